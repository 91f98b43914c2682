/** `kport fix`: exact bytes outside the edits, idempotence, --diff, atomic writes under SIGKILL, the re-parse guard. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Finding } from '../../core';
import { safeFix } from '../../core';
import { unifiedDiff } from '../../server/check/diff';
import { getParser } from '../support/core';
import { KPORT_BIN, ROOT } from '../support/lsp-client';

const run = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [KPORT_BIN, ...args], { cwd, encoding: 'utf8' });
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `kport-${name}-`));
const bytes = (s: string) => Buffer.from(s, 'latin1');

// A Latin-1 comment (0xE9, invalid UTF-8), CRLF line ends and no final newline, all in one file.
const LATIN1_CRLF = bytes(
  '/* pilote \xe9crit par Ren\xe9 */\r\n#include <linux/malloc.h>\r\n\r\nvoid *get(void)\r\n{\r\n\treturn kmalloc(64, GFP_BUFFER);\r\n}',
);
const LATIN1_CRLF_FIXED = bytes(
  '/* pilote \xe9crit par Ren\xe9 */\r\n#include <linux/slab.h>\r\n\r\nvoid *get(void)\r\n{\r\n\treturn kmalloc(64, GFP_NOIO);\r\n}',
);

test('fix keeps every byte outside the edits: Latin-1, CRLF, no final newline, file mode', () => {
  const dir = tmp('fix');
  const file = path.join(dir, 'drv.c');
  fs.writeFileSync(file, LATIN1_CRLF, { mode: 0o640 });
  fs.chmodSync(file, 0o640);
  const utf8 = path.join(dir, 'utf8.c');
  fs.writeFileSync(utf8, '// © UTF-8 stays UTF-8\n#include <linux/malloc.h>\n');
  const r = run(['fix', dir]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /drv\.c: fixed 2 findings/);
  assert.deepEqual(fs.readFileSync(file), LATIN1_CRLF_FIXED);
  assert.equal(fs.statSync(file).mode & 0o777, 0o640);
  assert.equal(fs.readFileSync(utf8, 'utf8'), '// © UTF-8 stays UTF-8\n#include <linux/slab.h>\n');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['drv.c', 'utf8.c'], 'no temporary file left behind');
});

test('fix is idempotent: fixing twice gives the bytes of fixing once', () => {
  const dir = tmp('idem');
  fs.copyFileSync(path.join(ROOT, 'examples', 'skel_blk.c'), path.join(dir, 'a.c'));
  fs.writeFileSync(path.join(dir, 'b.c'), LATIN1_CRLF);
  const first = run(['fix', dir]);
  assert.equal(first.status, 1, 'mempool-resize has no automatic fix and stays an error');
  const once = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f)));
  const second = run(['fix', dir]);
  assert.match(second.stdout, /fixed 0 findings in 0 files/);
  assert.deepEqual(
    fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f))),
    once,
  );
  assert.match(fs.readFileSync(path.join(dir, 'a.c'), 'latin1'), /#include <linux\/slab\.h>\n/);
  const fixed = fs.readFileSync(path.join(dir, 'a.c'), 'latin1');
  assert.match(fixed, /#define SKEL_REQ_FLAGS GFP_NOIO\n/);
  assert.match(fixed, /__get_free_pages\(GFP_NOIO \| __GFP_DMA, pages\)/);
  assert.match(fixed, /"GFP_BUFFER in a string is fine"/, 'strings are not touched');
});

test('check --fix is fix', () => {
  const dir = tmp('checkfix');
  fs.writeFileSync(path.join(dir, 'b.c'), LATIN1_CRLF);
  assert.equal(run(['check', '--fix', dir]).status, 0);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'b.c')), LATIN1_CRLF_FIXED);
});

test('--diff writes nothing and prints a patch that git apply turns into the fixed bytes', () => {
  const dir = tmp('diff');
  fs.writeFileSync(path.join(dir, 'b.c'), LATIN1_CRLF);
  fs.copyFileSync(path.join(ROOT, 'examples', 'skel_blk.c'), path.join(dir, 'a.c'));
  const before = fs.readFileSync(path.join(dir, 'a.c'));
  const r = spawnSync(process.execPath, [KPORT_BIN, 'fix', '--diff', '.'], { cwd: dir });
  assert.equal(r.status, 1, 'mempool-resize is left');
  assert.deepEqual(fs.readFileSync(path.join(dir, 'b.c')), LATIN1_CRLF, 'nothing written');
  assert.deepEqual(fs.readFileSync(path.join(dir, 'a.c')), before);
  const patch = r.stdout as Buffer;
  assert.match(patch.toString('latin1'), /^--- a\/a\.c\n\+\+\+ b\/a\.c\n@@ -4,14 \+4,14 @@\n/);
  assert.match(patch.toString('latin1'), /\n-#include <linux\/malloc\.h>\r\n\+#include <linux\/slab\.h>\r\n/);
  assert.match(patch.toString('latin1'), /\n\\ No newline at end of file\n$/);
  assert.match(r.stderr.toString(), /would fix 5 findings in 2 files/);
  // Apply it to a copy and compare with a real fix.
  const other = tmp('diff-apply');
  fs.writeFileSync(path.join(other, 'b.c'), LATIN1_CRLF);
  fs.writeFileSync(path.join(other, 'a.c'), before);
  fs.writeFileSync(path.join(other, 'fix.patch'), patch);
  const apply = spawnSync('git', ['apply', '--unsafe-paths', 'fix.patch'], { cwd: other, encoding: 'utf8' });
  assert.equal(apply.status, 0, apply.stderr);
  run(['fix', dir]);
  assert.deepEqual(fs.readFileSync(path.join(other, 'b.c')), fs.readFileSync(path.join(dir, 'b.c')));
  assert.deepEqual(fs.readFileSync(path.join(other, 'a.c')), fs.readFileSync(path.join(dir, 'a.c')));
});

test('unifiedDiff: hunks, context merging, line numbers', () => {
  const a = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join('');
  const b = a.replace('line 5\n', 'LINE 5\n').replace('line 9\n', 'LINE 9\n').replace('line 25\n', '');
  assert.equal(
    unifiedDiff('x.c', a, b),
    '--- a/x.c\n+++ b/x.c\n@@ -2,11 +2,11 @@\n line 2\n line 3\n line 4\n-line 5\n+LINE 5\n line 6\n line 7\n line 8\n-line 9\n+LINE 9\n line 10\n line 11\n line 12\n' +
      '@@ -22,7 +22,6 @@\n line 22\n line 23\n line 24\n-line 25\n line 26\n line 27\n line 28\n',
  );
  assert.equal(unifiedDiff('x.c', 'a\n', 'a\n'), '');
  assert.equal(
    unifiedDiff('x.c', 'a\nb', 'a\nc'),
    '--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n',
  );
});

test('a pooled run whose parent is gone renames no fixed file: it stops at its first write', () => {
  // The pooled child of a `kport fix` learns of its parent's SIGKILL by its own parent pid changing; here the pid it
  // was given is not its parent's from the start, so its first rename must not happen.
  const dir = tmp('orphan');
  const file = path.join(dir, 'drv.c');
  fs.writeFileSync(file, LATIN1_CRLF);
  const notMyParent = String(process.pid === 2 ? 3 : 2);
  const r = spawnSync(process.execPath, [KPORT_BIN, 'fix', dir], { encoding: 'utf8', env: { ...process.env, KPORT_V8_TUNED: notMyParent } });
  assert.equal(r.signal, 'SIGKILL', r.stdout + r.stderr);
  assert.deepEqual(fs.readFileSync(file), LATIN1_CRLF, 'the file keeps its old bytes');
  // Without the orphan's pid the same run writes the fix.
  assert.equal(run(['fix', dir]).status, 0);
  assert.deepEqual(fs.readFileSync(file), LATIN1_CRLF_FIXED);
});

test('a fix whose result would parse worse than the original is not applied; the others are', async () => {
  const parser = await getParser();
  const text = 'int a = X;\nint b = Y;\n';
  const finding = (start: number, end: number, newText: string): Finding => ({
    rule: 'test',
    severity: 'error',
    message: 'm',
    span: { start, end },
    tags: [],
    related: [],
    fixes: [{ title: 't', edits: [{ start, end, newText }], preferred: true }],
  });
  const good = finding(8, 9, '1');
  const bad = finding(19, 20, '{{ (');
  const r = safeFix(parser, text, [good, bad], 0);
  assert.equal(r.newText, 'int a = 1;\nint b = Y;\n');
  assert.equal(r.applied, 1);
  assert.match(r.skipped!, /1 fix not applied/);
  assert.deepEqual(safeFix(parser, text, [good], 0), { newText: 'int a = 1;\nint b = Y;\n', applied: 1 });
});

test('SIGKILL in the middle of `kport fix` leaves every file either exactly old or exactly new', async () => {
  const N = 400;
  const dir = tmp('kill');
  const expectDir = tmp('kill-expect');
  const original = new Map<string, Buffer>();
  for (let i = 0; i < N; i++) {
    const name = `drv${String(i).padStart(3, '0')}.c`;
    // Files of varied size so writes are not all alike; every one has fixes.
    const body = Array.from({ length: 20 + (i % 7) * 40 }, (_, k) => `static int v${k} = ${k}; /* filler line \xe9 */\n`).join('');
    const data = bytes(`#include <linux/malloc.h>\r\n${body}void *get${i}(void)\n{\n\treturn kmalloc(${i + 1}, GFP_BUFFER);\n}\n`);
    original.set(name, data);
    fs.writeFileSync(path.join(dir, name), data);
    fs.writeFileSync(path.join(expectDir, name), data);
  }
  assert.equal(run(['fix', '--jobs', '2', expectDir]).status, 0);
  const expected = new Map([...original.keys()].map((n) => [n, fs.readFileSync(path.join(expectDir, n))]));
  for (const n of original.keys()) assert.notDeepEqual(expected.get(n), original.get(n), `${n} is changed by a fix`);

  const child = spawn(process.execPath, [KPORT_BIN, 'fix', '--jobs', '2', dir], { stdio: 'ignore' });
  // Kill once some files are written and most are not.
  const deadline = Date.now() + 30000;
  let changed = 0;
  while (Date.now() < deadline) {
    changed = [...original.keys()].filter((n) => {
      try {
        return fs.statSync(path.join(dir, n)).size !== original.get(n)!.length;
      } catch {
        return false;
      }
    }).length;
    if (changed >= 5) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  // The pooled run was a child node of the one killed (POOL_V8_FLAGS): it must stop with it.
  const snapshot = () => [...original.keys()].map((n) => fs.statSync(path.join(dir, n)).size).join();
  const atKill = snapshot();
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(snapshot(), atKill, 'no file changes after the kill');
  let oldCount = 0;
  let newCount = 0;
  for (const [n, old] of original) {
    const now = fs.readFileSync(path.join(dir, n));
    if (now.equals(old)) oldCount++;
    else if (now.equals(expected.get(n)!)) newCount++;
    else assert.fail(`${n} is neither the old nor the new bytes`);
  }
  assert.ok(newCount >= 5, `killed after ${newCount} files were written`);
  assert.ok(oldCount > 0, `killed mid-run (${oldCount} files not yet written)`);
  const leftovers = fs.readdirSync(dir).filter((n) => !original.has(n));
  assert.ok(
    leftovers.every((n) => /^\.drv\d+\.c\.kport-\d+-\w+\.tmp$/.test(n)),
    `only temporary files may be left: ${leftovers}`,
  );
  // A rerun finishes the job and ignores the temporaries.
  assert.equal(run(['fix', dir]).status, 0);
  for (const [n, exp] of expected) assert.deepEqual(fs.readFileSync(path.join(dir, n)), exp);
});
