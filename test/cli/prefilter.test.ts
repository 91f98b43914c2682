/**
 * A tree check leaves unparsed the files that hold no rule's trigger (core/relevance.ts), and reads for
 * their summary alone those that name a context-sensitive function of another file (pass 1b). Findings
 * must be those of a check that parses everything (KPORT_INTERNAL=no-prefilter).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { KPORT_BIN, ROOT } from '../support/lsp-client';

const run = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [KPORT_BIN, ...args], { cwd: ROOT, encoding: 'utf8', env });
/** The same check parsing every file (the internal switch benchmarks use). */
const runParsingAll = (args: string[]) => run(args, { ...process.env, KPORT_INTERNAL: 'no-prefilter' });

test('a lock held in a file without allocator calls still reaches the allocation it calls elsewhere', () => {
  const dir = 'test/fixtures/workspace/untriggered-caller';
  const r = run(['check', '--format', 'json', dir], { ...process.env, KPORT_TRACE: '1' });
  assert.equal(r.status, 1, r.stderr);
  const found = JSON.parse(r.stdout).diagnostics.map((d: { file: string; line: number; rule: string; message: string }) => `${d.file}:${d.line}:${d.rule}`);
  assert.deepEqual(found, [`${dir}/ring.c:6:sleep-in-atomic`]);
  assert.match(JSON.parse(r.stdout).diagnostics[0].message, /ring_refill\(\): a spinlock is held/);
  // ring_lock.c and ring_stats.c hold no trigger; only ring_lock.c names ring_grab(), so only it is read for pass 2.
  assert.match(r.stderr, /pass 1: 3 files, 1 parsed/);
  // Over workers, the run is a child node with V8's background threads tamed (POOL_V8_FLAGS), and says so once.
  const pooled = run(['check', '--format', 'json', '--jobs', '2', dir], { ...process.env, KPORT_TRACE: '1' });
  assert.equal(pooled.stdout, r.stdout);
  assert.equal(pooled.status, 1);
  assert.equal(
    pooled.stderr.match(/pass 1 \[node --single-threaded-gc --v8-pool-size=1 --interrupt-budget=270336\]: 3 files, 1 parsed/g)?.length,
    1,
    pooled.stderr,
  );
  assert.match(r.stderr, /pass 1b \(1 names\): 2 files, 1 parsed/);
  assert.equal(runParsingAll(['check', '--format', 'json', dir]).stdout, r.stdout);
});

test('every fixture and example: the same findings with and without the prefilter, in every format', () => {
  for (const format of ['json', 'sarif']) {
    const args = ['check', '--format', format, '--jobs', '2', 'examples', 'test/fixtures'];
    const a = run(args);
    const b = runParsingAll(args);
    assert.equal(a.status, b.status);
    assert.ok(a.stdout.length > 1000);
    assert.equal(a.stdout, b.stdout, format);
  }
  const fixed = run(['fix', '--diff', 'examples', 'test/fixtures']);
  assert.equal(fixed.stdout, runParsingAll(['fix', '--diff', 'examples', 'test/fixtures']).stdout);
  assert.ok(fixed.stdout.includes('+++'));
});

test('rules that do not depend on the calling context are checked in one pass, with the same findings', () => {
  const args = ['check', '--format', 'json', '--jobs', '2', 'examples', 'test/fixtures'];
  const all = JSON.parse(run(args).stdout).diagnostics.filter((d: { rule: string }) => d.rule === 'malloc-h' || d.rule === 'gfp-buffer');
  assert.ok(all.length >= 3);
  const r = run([...args, '--rule', 'malloc-h', '--rule', 'gfp-buffer'], { ...process.env, KPORT_TRACE: '1' });
  assert.deepEqual(JSON.parse(r.stdout).diagnostics, all);
  assert.match(r.stderr, /one pass/);
  assert.doesNotMatch(r.stderr, /pass 1b|pass 2/);
  // With sleep-in-atomic on, the cross-file passes run.
  assert.match(run([...args, '--rule', 'sleep-in-atomic'], { ...process.env, KPORT_TRACE: '1' }).stderr, /pass 1 .*\n.*pass 1b/);
});
