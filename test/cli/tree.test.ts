/** Whole trees: globs, worker_threads with a stable order, the summary table, the progress bar, --help. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { expandPaths, globToRegExp } from '../../server/check/files';
import { Progress } from '../../server/cli/progress';
import { KPORT_BIN, ROOT } from '../support/lsp-client';

const run = (args: string[], cwd = ROOT, env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [KPORT_BIN, ...args], { cwd, encoding: 'utf8', env });

/** A generated tree: 3 directories × 20 files, a third with malloc.h, a third with GFP_BUFFER, some clean. */
function makeTree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-tree-'));
  for (const sub of ['block', 'net', 'scsi']) {
    fs.mkdirSync(path.join(dir, 'drivers', sub), { recursive: true });
    for (let i = 0; i < 20; i++) {
      const lines = [i % 3 === 0 ? '#include <linux/malloc.h>' : '#include <linux/slab.h>'];
      for (let k = 0; k < i; k++) lines.push(`static int pad${k};`);
      lines.push(`void *alloc_${sub}_${i}(void)`, '{', `\treturn kmalloc(${i + 8}, ${i % 3 === 1 ? 'GFP_BUFFER' : 'GFP_KERNEL'});`, '}', '');
      fs.writeFileSync(path.join(dir, 'drivers', sub, `${sub}${i}.c`), lines.join('\n'));
    }
    fs.writeFileSync(path.join(dir, 'drivers', sub, 'Makefile'), 'obj-y += x.o\n');
    fs.writeFileSync(path.join(dir, 'drivers', sub, `${sub}.h`), '#include <linux/malloc.h>\n');
  }
  return dir;
}

test('globs: ** spans directories, * does not, braces and classes, only C files, no match is an error', () => {
  assert.ok(globToRegExp('drivers/**/*.c').test('drivers/net/a.c'));
  assert.ok(globToRegExp('drivers/**/*.c').test('drivers/a.c'));
  assert.ok(!globToRegExp('drivers/*.c').test('drivers/net/a.c'));
  assert.ok(globToRegExp('{net,scsi}/[a-c]?.h').test('scsi/b1.h'));
  assert.ok(!globToRegExp('{net,scsi}/[!a-c]?.h').test('scsi/b1.h'));
  const dir = makeTree();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const all = expandPaths(['drivers/**']);
    assert.equal(all.files.length, 63, '60 .c and 3 .h, no Makefile');
    assert.deepEqual(expandPaths(['drivers/*/*.h']).files, ['drivers/block/block.h', 'drivers/net/net.h', 'drivers/scsi/scsi.h']);
    assert.deepEqual(expandPaths(['drivers/{net,scsi}/*1?.c']).files.length, 20);
    assert.deepEqual(
      expandPaths(['drivers/net/net1.c', 'drivers/net/net1*.c']).files.slice(0, 2),
      ['drivers/net/net1.c', 'drivers/net/net10.c'],
      'duplicates dropped, order kept',
    );
    assert.deepEqual(expandPaths(['drivers/**/*.cpp']).errors, ['drivers/**/*.cpp: no file matches']);
  } finally {
    process.chdir(cwd);
  }
  const r = run(['check', 'drivers/**/*.h'], dir);
  assert.equal(r.status, 1);
  assert.equal((r.stdout.match(/\[malloc-h\]/g) ?? []).length, 3);
  assert.equal(run(['check', 'nowhere/**/*.c'], dir).status, 2);
});

test('workers give the same output, in the same order, as the main thread', () => {
  const dir = makeTree();
  const seq = run(['check', '--jobs', '1', '--format', 'json', 'drivers'], dir);
  const par = run(['check', '--jobs', '2', '--format', 'json', 'drivers'], dir);
  const dflt = run(['check', '--format', 'json', 'drivers'], dir);
  assert.equal(seq.status, 1, seq.stderr);
  const diags = JSON.parse(seq.stdout).diagnostics;
  assert.equal(diags.filter((d: { rule: string }) => d.rule === 'malloc-h').length, 24, '7 per directory + 3 headers');
  assert.equal(diags.filter((d: { rule: string }) => d.rule === 'gfp-buffer').length, 21);
  assert.equal(par.stdout, seq.stdout);
  assert.equal(dflt.stdout, seq.stdout);
  assert.equal(
    run(['check', '--jobs', '2', '--format', 'sarif', 'drivers'], dir).stdout,
    run(['check', '--jobs', '1', '--format', 'sarif', 'drivers'], dir).stdout,
  );
  // And fixing in parallel writes what fixing sequentially writes.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-tree-copy-'));
  fs.cpSync(dir, copy, { recursive: true });
  assert.equal(run(['fix', '--jobs', '2', 'drivers'], dir).status, 0);
  assert.equal(run(['fix', '--jobs', '1', 'drivers'], copy).status, 0);
  for (const f of expandPaths([path.join(dir, 'drivers')]).files) assert.deepEqual(fs.readFileSync(f), fs.readFileSync(path.join(copy, path.relative(dir, f))));
});

test('text output ends with a per-rule summary table; no progress bar off a TTY', () => {
  const dir = makeTree();
  const r = run(['check', '--jobs', '2', 'drivers'], dir, { ...process.env, CI: '' });
  assert.equal(r.stderr, '', 'nothing on stderr when it is not a TTY');
  const tail = r.stdout.trimEnd().split('\n').slice(-4);
  assert.deepEqual(tail, ['rule        findings   files', 'malloc-h          24      24', 'gfp-buffer        21      21', '45 findings in 45 of 63 files']);
});

test('the progress bar: files done/total and MB/s, throttled, cleared at the end; off when disabled', () => {
  let out = '';
  const stream = { columns: 100, write: (s: string) => (out += s) };
  const p = new Progress(stream, true, Date.now() - 2000);
  p.update(50, 200, 4_000_000);
  assert.match(out, /^\r\[#{10}\.{30}\] 50\/200 files {2}4\.0 MB {2}2\.0 MB\/s\x1b\[K$/);
  p.update(51, 200, 4_100_000);
  assert.equal(out.split('\r').length, 2, 'throttled to one redraw per 100 ms');
  // A later pass names itself; its rate counts from its own start.
  p.phase('cross-file calls');
  (p as unknown as { phaseStart: number }).phaseStart = Date.now() - 1000;
  p.update(10, 20, 1_000_000);
  assert.match(out, /\r\[#{20}\.{20}\] cross-file calls: 10\/20 files {2}1\.0 MB {2}1\.0 MB\/s\x1b\[K$/);
  p.done();
  assert.ok(out.endsWith('\r\x1b[K'));
  let quiet = '';
  const off = new Progress({ write: (s: string) => (quiet += s) }, false, Date.now() - 2000);
  off.update(1, 2, 3);
  off.done();
  assert.equal(quiet, '');
});

test('--help documents the commands, formats and exit codes', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /kport fix \[--diff\]/);
  assert.match(r.stdout, /--format text\|json\|sarif/);
  assert.match(r.stdout, /0 {2}no error-severity findings/);
  assert.match(r.stdout, /1 {2}error-severity findings/);
  assert.match(r.stdout, /2 {2}usage error, or a path or file that could not be read or written/);
  assert.equal(run(['check', '--jobs', '0', '.']).status, 2);
  assert.equal(run(['check', '--diff', '.']).status, 2);
  assert.equal(run(['fix', '--diff', '--format', 'json', '.']).status, 2);
});

test('a worker that dies takes only its file down: the others are checked, the file is reported, exit 2', () => {
  const dir = makeTree();
  const r = run(['check', '--jobs', '2', '--format', 'json', 'drivers'], dir, { ...process.env, KPORT_INTERNAL: 'crash-worker-on=net7.c' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /drivers\/net\/net7\.c: checking this file crashed a worker \(exit code 70\)/);
  const files = new Set(JSON.parse(r.stdout).diagnostics.map((d: { file: string }) => d.file));
  assert.equal(files.size, 44, 'every other file with findings is still reported');
  assert.ok(!files.has('drivers/net/net7.c'));
  assert.ok(files.has('drivers/net/net6.c'));
});
