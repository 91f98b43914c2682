/** A driver's lifetime over the real server (kport/simulateDriver): phases in order, leaks at exit, a drained reserve. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { SimulateDriverResult } from '../../core';
import { fileUri, ROOT, startServer, type LspSession } from '../support/lsp-client';

const DIR = path.join(ROOT, 'test', 'fixtures', 'simulation');
let s: LspSession;

before(async () => {
  s = await startServer({ initializationOptions: { indexWorkspace: false } });
});
after(async () => s.close());

async function lifetime(name: string, runs?: number): Promise<SimulateDriverResult> {
  const file = path.join(DIR, name);
  const uri = fileUri(file);
  await s.open(uri, fs.readFileSync(file, 'utf8'));
  return (await s.conn.sendRequest('kport/simulateDriver', { textDocument: { uri }, ...(runs ? { runs } : {}) })) as SimulateDriverResult;
}

test('a PCI driver runs init → probe → the interrupt ×8 → remove → exit; the ring probe allocates and remove forgets leaks at exit', async () => {
  const r = await lifetime('driver-lifetime.c');
  assert.deepEqual(
    r.lifetime.phases.map((p) => `${p.kind} ${p.fn} ×${p.runs} ${p.context}`),
    [
      'module-init lft_init ×1 process',
      'probe lft_probe ×1 process',
      'interrupt lft_interrupt ×8 interrupt',
      'remove lft_remove ×1 process',
      'module-exit lft_exit ×1 process',
    ],
  );
  assert.match(r.lifetime.phases[1].how, /lft_driver\.probe = lft_probe/);
  const problems = r.lifetime.problems.map((p) => `${p.kind} [${p.scenarios.join(',')}] ${p.message}`);
  // The ring: an order-2 page block from __get_free_pages at line 40, freed nowhere.
  assert.ok(
    problems.includes(
      'leak-at-exit [normal,pressure] still held at module exit (no free of it that kport can match): lft_board->ring: order-2 page block, allocated at line 40 in lft_probe()',
    ),
    problems.join('\n'),
  );
  // One element per interrupt, queued and never given back: eight of them.
  assert.ok(
    problems.some((p) =>
      /^leak-at-exit \[normal,pressure\] still held at module exit .*lft_interrupt\(\)'s req: mempool element, allocated at line 29 in lft_interrupt\(\) \(×8\)$/.test(
        p,
      ),
    ),
    problems.join('\n'),
  );
  // The board is freed in remove: not a leak.
  assert.ok(!problems.some((p) => /lft_board: /.test(p)), problems.join('\n'));
  // Exhausted memory: probe's GFP_KERNEL kmalloc never returns (2.6.11 restarts after the OOM killer), so the
  // lifetime stops there and nothing is reported "at exit".
  assert.match(r.lifetime.stoppedAt.exhausted ?? '', /^kmalloc\(\) at line 37 in lft_probe\(\): .*never returns/);
  assert.ok(!r.lifetime.problems.some((p) => p.scenarios.includes('exhausted') && p.kind === 'leak-at-exit'));
  // Every allocation call of the lifetime with its verdict per scenario; those after the stop are not reached.
  const byLine = new Map(r.calls.map((c) => [c.line, c]));
  assert.equal(byLine.get(29)?.verdicts?.normal.word, 'ok');
  assert.equal(byLine.get(29)?.context.kind, 'interrupt');
  assert.equal(byLine.get(40)?.verdicts?.exhausted.kind, 'not-reached');
  // The view's one path: every phase's ops in order, each scenario with its own run.
  assert.ok(r.paths[0].conditions.includes('interrupt handler lft_interrupt() run 8 of 8'), r.paths[0].conditions.join(' | '));
});

test('an interrupt handler firing eight times drains a mempool reserve of four when memory is exhausted', async () => {
  const r = await lifetime('irq-mempool.c');
  assert.deepEqual(
    r.lifetime.phases.map((p) => `${p.kind} ${p.fn}`),
    ['interrupt rxq_interrupt'],
  );
  const drained = r.lifetime.problems.find((p) => p.kind === 'null-in-atomic');
  assert.ok(drained, JSON.stringify(r.lifetime.problems));
  assert.deepEqual(drained.scenarios, ['exhausted']);
  assert.match(drained.message, /mempool_alloc\(\) at line 31 in rxq_interrupt\(\) returns NULL, and the code does not check it: .*reserve empty/);
  // One interrupt takes eight elements already: one run drains it too, and the message says which run of the loop.
  const once = await lifetime('irq-mempool.c', 1);
  assert.equal(once.lifetime.phases[0].runs, 1);
  assert.match(once.lifetime.problems.find((p) => p.kind === 'null-in-atomic')?.message ?? '', /run 5 of 8/);
});

test('a file with no entry point has no phases, and an unknown document is an LSP error', async () => {
  const r = await lifetime('null-branches.c');
  assert.deepEqual(r.lifetime.phases, []);
  await assert.rejects(s.conn.sendRequest('kport/simulateDriver', { textDocument: { uri: 'file:///nope.c' } }), /not open/);
});

test('events linked into a list and freed by walking it are no leak; a file without module_exit is not checked for leaks at exit', async () => {
  const r = await lifetime('driver-list.c');
  assert.deepEqual(
    r.lifetime.phases.map((p) => `${p.kind} ${p.fn}`),
    ['probe evt_probe', 'interrupt evt_interrupt', 'remove evt_remove'],
  );
  assert.equal(r.lifetime.exitUnchecked, 'no module exit in this file: built in, or unloaded elsewhere');
  assert.deepEqual(r.lifetime.problems, []);
  // The allocation is checked (if (!e) return): a NULL in exhausted memory is handled, not a problem.
  assert.equal(r.calls.find((c) => c.call === 'kmalloc')?.verdicts?.exhausted.word, 'returns NULL');
});

/** The leaks at exit of a fixture, as "ref: what, allocated at line N in fn()". */
async function leaks(name: string): Promise<string[]> {
  const r = await lifetime(name);
  return r.lifetime.problems
    .filter((p) => p.kind === 'leak-at-exit')
    .map((p) => p.message.replace(/^still held at module exit \(no free of it that kport can match\): /, ''));
}

test('state read back through a function-like macro, of the file or of its local header, and freed in close is no leak at exit', async () => {
  const inFile = await lifetime('driver-frees/macro-alias.c');
  assert.deepEqual(
    inFile.lifetime.phases.map((p) => `${p.kind} ${p.fn}`),
    ['module-init ma_init', 'open ma_open', 'release ma_close', 'module-exit ma_exit'],
  );
  assert.deepEqual(inFile.lifetime.problems, []);
  assert.deepEqual(await leaks('driver-frees/macro-header.c'), []);
});

test('a list freed through a cursor (p = head, then p = p->next) and slots filled through a pointer to the tail are no leak at exit', async () => {
  const r = await lifetime('driver-frees/list-walk.c');
  assert.deepEqual(
    r.lifetime.phases.map((p) => `${p.kind} ${p.fn}`),
    ['module-init lw_init', 'open lw_open', 'release lw_release', 'module-exit lw_exit'],
  );
  assert.deepEqual(r.lifetime.problems, []);
});

test("private data of a device torn down by another file's remove, or allocated only when the device has none, is no leak; a forgotten buffer is", async () => {
  assert.deepEqual(await leaks('driver-frees/owner-release.c'), ['or_scratch: size-32 object, allocated at line 44 in or_init()']);
});

test('an allocation a module build does not compile (#else of #ifdef MODULE) is no leak at exit; one of the module branch is', async () => {
  assert.deepEqual(await leaks('driver-frees/builtin-only.c'), ['bo_stats: size-128 object, allocated at line 25 in bo_probe()']);
});

test('a helper the module calls with NULL takes only its NULL branch in the lifetime: the kmalloc for a given device is not reached, no leak', async () => {
  const r = await lifetime('driver-frees/null-arg.c');
  assert.deepEqual(
    r.lifetime.phases.map((p) => `${p.kind} ${p.fn}`),
    ['module-init init_module', 'module-exit cleanup_module'],
  );
  assert.deepEqual(r.lifetime.problems, []);
  assert.ok(!r.calls.some((c) => c.line === 25), JSON.stringify(r.calls.map((c) => c.line)));
});
