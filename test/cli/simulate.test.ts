/** `kport simulate`: a driver's lifetime from the command line, as text and JSON, with exit codes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { KPORT_BIN, ROOT } from '../support/lsp-client';

const run = (args: string[]) => spawnSync(process.execPath, [KPORT_BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
const FIXTURE = path.join('test', 'fixtures', 'simulation', 'driver-lifetime.c');

test('kport simulate prints the phases, each scenario and the leaks at exit, and exits 1', () => {
  const r = run(['simulate', FIXTURE]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stdout,
    /phases: module init lft_init\(\) → probe lft_probe\(\) → interrupt handler lft_interrupt\(\) ×8 → remove lft_remove\(\) → module exit lft_exit\(\)/,
  );
  assert.match(r.stdout, /normal memory: +2 problems/);
  assert.match(r.stdout, /exhausted memory: stops: kmalloc\(\) at line 37 in lft_probe\(\)/);
  assert.match(
    r.stdout,
    /- leak-at-exit \(normal memory, under pressure\): still held at module exit \(no free of it that kport can match\): lft_board->ring: order-2 page block, allocated at line 40 in lft_probe\(\)/,
  );
});

test('kport simulate --format json gives each file with its phases, problems and calls; --runs sets the interrupt runs', () => {
  const r = run(['simulate', '--format', 'json', '--runs', '3', FIXTURE]);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as {
    simulatedOn: string;
    files: { file: string; lifetime: { phases: { fn: string; runs: number }[]; problems: { kind: string; message: string }[] }; calls: { line: number }[] }[];
  };
  assert.match(out.simulatedOn, /2\.6\.11/);
  assert.equal(out.files.length, 1);
  const f = out.files[0];
  assert.equal(f.lifetime.phases.find((p) => p.fn === 'lft_interrupt')?.runs, 3);
  assert.ok(
    f.lifetime.problems.some((p) => p.kind === 'leak-at-exit' && /\(×3\)$/.test(p.message)),
    JSON.stringify(f.lifetime.problems),
  );
  assert.deepEqual(
    f.calls.map((c) => c.line),
    [29, 37, 40, 45, 46, 53],
  );
});

test('kport simulate: usage errors exit 2 with a clear message', () => {
  const bad = run(['simulate', '--runs', '0', FIXTURE]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--runs wants an integer from 1 to 64/);
  const none = run(['simulate']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no PATH given/);
  const missing = run(['simulate', 'no/such/file.c']);
  assert.equal(missing.status, 2);
});

test("kport simulate: frees kport matches through macros, list cursors, another file's teardown and #ifndef MODULE leave only the true leaks", () => {
  const dir = path.join('test', 'fixtures', 'simulation', 'driver-frees');
  const r = run(['simulate', '--format', 'json', dir]);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { files: { file: string; lifetime: { problems: { kind: string; line: number; fn: string }[] } }[] };
  const leaks = out.files.flatMap((f) => f.lifetime.problems.filter((p) => p.kind === 'leak-at-exit').map((p) => `${path.basename(f.file)}:${p.line} ${p.fn}`));
  assert.deepEqual(leaks.sort(), ['builtin-only.c:25 bo_probe', 'owner-release.c:44 or_init']);
});
