/**
 * The simulation of the call a porter points at, over the real server: it is reached however deep it sits, it
 * runs in the context its finding states (hover, finding, lens and kport/simulate agree), and a path that exists
 * only because an allocation failed never shows that allocation succeeding or leaking.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { CodeLens, Diagnostic, Hover } from 'vscode-languageserver-protocol';
import type { SimulateResult } from '../../core';
import { fileUri, ROOT, startServer, type LspSession } from '../support/lsp-client';

const DIR = path.join(ROOT, 'test', 'fixtures', 'simulation');
let s: LspSession;

before(async () => {
  s = await startServer({ initializationOptions: { indexWorkspace: false } });
});
after(async () => s.close());

interface Opened {
  uri: string;
  lines: string[];
  diagnostics: Diagnostic[];
}

async function open(name: string): Promise<Opened> {
  const file = path.join(DIR, name);
  const text = fs.readFileSync(file, 'utf8');
  const uri = fileUri(file);
  let diagnostics = await s.open(uri, text);
  // The findings come at once; the simulated verdicts follow them in a second publish.
  while (diagnostics.some((d) => d.code === 'sleep-in-atomic') && !diagnostics.some((d) => /Simulated on/.test(d.message)))
    diagnostics = await s.diagnostics(uri);
  return { uri, lines: text.split('\n'), diagnostics };
}

/** 0-based position of the first `needle` on a line holding it (after line `from`). */
function at(doc: Opened, needle: string, from = 0): { line: number; character: number } {
  const line = doc.lines.findIndex((l, i) => i >= from && l.includes(needle));
  assert.ok(line >= 0, `${needle} not in the fixture`);
  return { line, character: doc.lines[line].indexOf(needle) + 1 };
}

async function hover(doc: Opened, pos: { line: number; character: number }): Promise<string> {
  const h = (await s.conn.sendRequest('textDocument/hover', { textDocument: { uri: doc.uri }, position: pos })) as Hover | null;
  assert.ok(h, `a hover at ${pos.line + 1}:${pos.character}`);
  return (h.contents as { value: string }).value;
}

const simulateAt = (doc: Opened, pos: { line: number; character: number }) =>
  s.conn.sendRequest('kport/simulate', { textDocument: { uri: doc.uri }, position: pos }) as Promise<SimulateResult>;

/** The verdict word of one scenario in a call hover ("- under pressure: **sleeps in atomic context** — …"). */
function verdict(md: string, scenario: string): string {
  const line = md.split('\n').find((l) => l.startsWith(`- ${scenario}: `));
  assert.ok(line, `no ${scenario} line in\n${md}`);
  return /\*\*([^*]+)\*\*/.exec(line)![1];
}

test('a call 160 lines into a 330-line ioctl is simulated under the lock its finding names, and hover, finding, lens and kport/simulate agree', async () => {
  const doc = await open('ioctl-deep.c');
  const call = at(doc, 'kmalloc(xc.len');
  const finding = doc.diagnostics.find((d) => d.range.start.line === call.line && d.code === 'sleep-in-atomic');
  assert.ok(finding, `the sleep-in-atomic finding on line ${call.line + 1}: ${JSON.stringify(doc.diagnostics.map((d) => [d.range.start.line + 1, d.code]))}`);

  const md = await hover(doc, call);
  assert.match(md, /runs in \*\*atomic context\*\*: a spinlock is held \(`spin_lock_irqsave\(sc->lock\)` at line 219\)/);
  // The lock's line is a link the editor opens; no command link for an editor that is not VS Code.
  assert.ok(md.includes(`](${doc.uri}#L219)`), md);
  assert.doesNotMatch(md, /command:kport/);
  assert.equal(verdict(md, 'normal memory'), 'may sleep in atomic context');
  assert.equal(verdict(md, 'under pressure'), 'sleeps in atomic context');
  assert.equal(verdict(md, 'exhausted memory'), 'sleeps in atomic context');
  assert.doesNotMatch(md, /not on a simulated path|Not simulated/);
  // The distributions' kernel (no PREEMPT, no sleep debugging): under spin_lock_irqsave the sleep is silent.
  assert.match(
    md,
    /- under pressure: \*\*sleeps in atomic context\*\* — it sleeps in direct reclaim with the lock held and interrupts off, silently on this kernel/,
  );
  assert.match(md, /As seen on a non-preemptible kernel without sleep debugging, as distributions built 2\.6\.11/);
  // 2.6.11 mm/slab.c:1834: cache_grow turns interrupts on for a __GFP_WAIT mask, inside the caller's spin_lock_irqsave,
  // in every scenario (normal memory too: the size class has no free object yet, so the cache grows).
  for (const scenario of ['normal memory', 'under pressure', 'exhausted memory']) {
    const line = md.split('\n').find((l) => l.startsWith(`- ${scenario}: `)) ?? '';
    assert.ok(
      line.includes(
        '; `cache_grow()` turns interrupts back on inside the allocation (mm/slab.c:1834): an interrupt handler that takes the same lock deadlocks',
      ),
      line,
    );
  }

  // The finding carries the same verdicts, word for word.
  for (const [scenario, word] of [
    ['normal memory', 'may sleep in atomic context'],
    ['under pressure', 'sleeps in atomic context'],
    ['exhausted memory', 'sleeps in atomic context'],
  ])
    assert.ok(finding.message.includes(`${scenario}: ${word}`), `finding says "${scenario}: ${word}": ${finding.message}`);

  // The function's simulation lists the call as a problem, with the hover's words.
  const sim = await simulateAt(doc, call);
  assert.equal(sim.function, 'ssc_ioctl');
  const row = sim.calls.find((c) => c.line === call.line + 1);
  assert.ok(row?.verdicts, `kport/simulate has line ${call.line + 1}: ${JSON.stringify(sim.calls.map((c) => c.line))}`);
  assert.equal(row.context.kind, 'atomic');
  assert.deepEqual(
    [row.verdicts.normal.word, row.verdicts.pressure.word, row.verdicts.exhausted.word],
    ['may sleep in atomic context', 'sleeps in atomic context', 'sleeps in atomic context'],
  );
  assert.ok(row.verdicts.pressure.problem);
  assert.ok(
    sim.problems.some((p) => p.startsWith(`kmalloc() at line ${call.line + 1}`)),
    JSON.stringify(sim.problems),
  );

  // The function's hover never claims "no sleep in atomic context" while the finding stands.
  const fnHover = await hover(doc, at(doc, 'ssc_ioctl(struct'));
  assert.doesNotMatch(fnHover, /no BUG, no sleep in atomic context/);
  assert.match(fnHover, new RegExp(`line ${call.line + 1} \`kmalloc\\(\\)\` \\(atomic\\): normal memory: may sleep in atomic context`));

  const lenses = (await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: doc.uri } })) as CodeLens[];
  const lens = lenses.find((l) => doc.lines[l.range.start.line].includes('ssc_ioctl('));
  assert.ok(lens, 'a Simulate lens on ssc_ioctl');
  assert.equal(lens.command!.title, `▶ Simulate: 1 problem (kmalloc() at line ${call.line + 1})`);
});

test('a path taken because an allocation returned NULL shows neither a success nor a leak of it', async () => {
  const doc = await open('null-branches.c');
  const call = at(doc, 'board->ccb = kmalloc');
  const md = await hover(doc, { line: call.line, character: doc.lines[call.line].indexOf('kmalloc') + 1 });
  assert.equal(verdict(md, 'normal memory'), 'ok');
  assert.equal(verdict(md, 'exhausted memory'), 'returns NULL');
  assert.match(
    md,
    /`board->ccb == NULL` needs `kmalloc\(\)` at line 26 to return NULL; it returned memory under normal memory, so that path cannot happen there/,
  );
  assert.doesNotMatch(md, /leak/);

  const sim = await simulateAt(doc, call);
  assert.equal(sim.paths.length, 2);
  const nullPath = sim.paths.find((p) => p.conditions.some((c) => /== NULL/.test(c) && !/^!/.test(c)))!;
  const okPath = sim.paths.find((p) => p !== nullPath)!;
  assert.ok(nullPath && okPath, JSON.stringify(sim.paths.map((p) => p.conditions)));
  // Where kmalloc returns memory only the success path can happen, and where it returns NULL only the NULL path.
  assert.deepEqual([nullPath.feasibility.normal.feasible, okPath.feasibility.normal.feasible], [false, true]);
  assert.deepEqual([nullPath.feasibility.exhausted.feasible, okPath.feasibility.exhausted.feasible], [true, false]);
  // No feasible path reports a leak: the success path hands board->ccb to the board, the NULL path has nothing.
  for (const p of sim.paths)
    for (const sc of ['normal', 'pressure', 'exhausted'] as const)
      if (p.feasibility[sc].feasible)
        assert.ok(!p.results[sc].steps.some((st) => st.outcome.kind === 'leak'), `a leak on a feasible path under ${sc}: ${p.conditions.join(' → ')}`);

  // Both branches of `if (!ring)`: __get_free_pages(GFP_ATOMIC, 2) returns NULL only when memory is exhausted.
  const ring = await simulateAt(doc, at(doc, '__get_free_pages(GFP_ATOMIC, 2)'));
  assert.equal(ring.function, 'mun_ring_setup');
  const failed = ring.paths.find((p) => p.conditions.some((c) => c === '!ring'))!;
  const got = ring.paths.find((p) => p !== failed)!;
  assert.ok(failed && got, JSON.stringify(ring.paths.map((p) => p.conditions)));
  assert.deepEqual([failed.feasibility.normal.feasible, got.feasibility.normal.feasible], [false, true]);
  assert.deepEqual([failed.feasibility.exhausted.feasible, got.feasibility.exhausted.feasible], [true, false]);
  // The success path frees what it took: the free is simulated, nothing stays allocated.
  assert.ok(
    got.results.normal.steps.some((st) => st.op.op === 'free_pages' && st.outcome.kind === 'ok'),
    JSON.stringify(got.results.normal.steps.map((st) => [st.op.op, st.outcome.kind])),
  );
});

test('an interrupt handler that takes eight mempool elements drains a reserve of four when memory is exhausted', async () => {
  const doc = await open('irq-mempool.c');
  const call = at(doc, 'mempool_alloc(rxq_pool');
  const md = await hover(doc, { line: call.line, character: doc.lines[call.line].indexOf('mempool_alloc') + 1 });
  assert.match(md, /runs in \*\*atomic context\*\*: `rxq_interrupt\(\)` is an interrupt handler/);
  assert.equal(verdict(md, 'normal memory'), 'ok');
  assert.equal(verdict(md, 'exhausted memory'), 'returns NULL');
  // Every run of the call in the loop counts: the fifth takes the last... and finds the reserve empty.
  assert.match(md, /reserve empty, no `__GFP_WAIT` \(run 5 of 8 on this path\)/);

  const sim = await simulateAt(doc, call);
  assert.equal(sim.initialContext, 'interrupt');
  const exhausted = sim.paths[0].results.exhausted.steps.filter((st) => st.op.op === 'mempool_alloc').map((st) => st.outcome.kind);
  assert.deepEqual(exhausted, ['ok', 'ok', 'ok', 'ok', 'null', 'null', 'null', 'null'], 'four from the reserve, then NULL');
  const normal = sim.paths[0].results.normal.steps.filter((st) => st.op.op === 'mempool_alloc').map((st) => st.outcome.kind);
  assert.deepEqual(normal, Array(8).fill('ok'), 'with memory, alloc_fn serves all eight');
});

test('the machine and kernel settings (kport.simulation.*) are what hovers and findings simulate on, and they say so', async () => {
  const small = await startServer({
    initializationOptions: { indexWorkspace: false, settings: { simulation: { machine: 'embedded-32m', preempt: true, debugSleep: true } } },
  });
  try {
    const file = path.join(DIR, 'ioctl-deep.c');
    const uri = fileUri(file);
    const text = fs.readFileSync(file, 'utf8');
    let diagnostics = await small.open(uri, text);
    while (!diagnostics.some((d) => /Simulated on/.test(d.message))) diagnostics = await small.diagnostics(uri);
    assert.match(diagnostics.find((d) => d.code === 'sleep-in-atomic')!.message, /Simulated on Linux 2\.6\.11's allocator \(32 MiB, 1 CPU\)/);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('kmalloc(xc.len'));
    const h = (await small.conn.sendRequest('textDocument/hover', {
      textDocument: { uri },
      position: { line, character: lines[line].indexOf('kmalloc') + 1 },
    })) as Hover;
    const md = (h.contents as { value: string }).value;
    assert.match(md, /Simulated on Linux 2\.6\.11's allocator \(32 MiB, 1 CPU\):/);
    // A preemptible debug kernel: the warning on every call, and "scheduling while atomic" when it sleeps.
    assert.match(md, /- normal memory: \*\*may sleep in atomic context\*\* — it does not sleep now \(memory is plentiful\), but `might_sleep\(\)` warns/);
    assert.match(md, /- under pressure: \*\*sleeps in atomic context\*\* — it sleeps in direct reclaim and `schedule\(\)` prints "scheduling while atomic"/);
    assert.match(md, /As seen on a preemptible kernel \(`CONFIG_PREEMPT`\) with `CONFIG_DEBUG_SPINLOCK_SLEEP`/);
  } finally {
    await small.close();
  }
});

test('GFP_HIGHUSER on the default 256 MiB PC (no HighMem below 896 MiB on i386): the page comes from Normal and the mask line says the machine has no HighMem; on a 2 GiB server it comes from HighMem', async () => {
  const doc = await open('highmem.c');
  const md = await hover(doc, at(doc, 'alloc_page('));
  assert.match(md, /Simulated on Linux 2\.6\.11's allocator \(256 MiB, 1 CPU\):/);
  assert.equal(verdict(md, 'normal memory'), 'ok', md);
  assert.match(md, /- normal memory: \*\*ok\*\* — `alloc_pages`: order-0 page block at Normal pfn \d+/);
  assert.doesNotMatch(md, /HighMem pfn/);
  assert.match(md, /zones HighMem → Normal → DMA \(no HighMem on this machine: Normal → DMA\)/);
  const big = await startServer({ initializationOptions: { indexWorkspace: false, settings: { simulation: { machine: 'server-2g' } } } });
  try {
    const file = path.join(DIR, 'highmem.c');
    const uri = fileUri(file);
    await big.open(uri, fs.readFileSync(file, 'utf8'));
    const h = (await big.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: at(doc, 'alloc_page(') })) as Hover;
    const md2 = (h.contents as { value: string }).value;
    assert.match(md2, /Simulated on Linux 2\.6\.11's allocator \(2 GiB, 1 CPU\):/);
    assert.match(md2, /- normal memory: \*\*ok\*\* — `alloc_pages`: order-0 page block at HighMem pfn \d+/);
    assert.match(md2, /zones HighMem → Normal → DMA\./);
  } finally {
    await big.close();
  }
});

test('mempool_resize is simulated as 2.6.11 runs it: the hover shows the pool grown in normal memory and "returns 0, pool short" when alloc_fn fails (mm/mempool.c:141-145)', async () => {
  const doc = await open('resize.c');
  const md = await hover(doc, at(doc, 'mempool_resize('));
  assert.equal(verdict(md, 'normal memory'), 'ok', md);
  assert.match(md, /pool grown \(`min_nr` 4, `curr_nr` 4 → `min_nr` 8, `curr_nr` 8/);
  assert.equal(verdict(md, 'exhausted memory'), 'returns 0, pool short of new_min_nr', md);
  assert.doesNotMatch(md, /disabled/);
  // 3000 elements: a 12000-byte element array from an order-2 slab nobody has yet (mm/mempool.c:130-132).
  const jumbo = await hover(doc, at(doc, 'mempool_resize(ring_pool, RING_REQS_JUMBO'));
  assert.equal(verdict(jumbo, 'exhausted memory'), 'returns -ENOMEM', jumbo);
  assert.match(jumbo, /the pool is unchanged/);
});

test('a constant-size kmalloc above 131,072 bytes does not build on 2.6.11 (include/linux/slab.h:86-106); a size held in a variable returns NULL at run time', async () => {
  const doc = await open('big-buffers.c');
  const constant = await hover(doc, at(doc, 'kmalloc(FRAME_BYTES'));
  for (const scenario of ['normal memory', 'under pressure', 'exhausted memory']) assert.equal(verdict(constant, scenario), 'does not build', constant);
  assert.match(
    constant,
    /- normal memory: \*\*does not build\*\* — `kmalloc\(307200\)` with a constant size above the largest class \(131072\) calls `__you_cannot_kmalloc_that_much\(\)`, which no kernel file defines: the module does not link/,
  );
  const variable = await hover(doc, at(doc, 'kmalloc(work_bytes'));
  assert.equal(verdict(variable, 'normal memory'), 'returns NULL', variable);
  const sim = await simulateAt(doc, at(doc, 'kmalloc(FRAME_BYTES'));
  assert.ok(
    sim.problems.some((p) => p.startsWith(`kmalloc() at line ${at(doc, 'kmalloc(FRAME_BYTES').line + 1}: does not build`)),
    JSON.stringify(sim.problems),
  );
  // A constant within the classes builds and is simulated as usual.
  assert.equal(verdict(await hover(doc, at(doc, 'kmalloc(LINE_BYTES')), 'normal memory'), 'ok');
});
