/**
 * Emacs 28 + eglot (Debian `emacs-nox elpa-eglot`) as an LSP client of `kport lsp --stdio`, in batch mode:
 * Flymake shows kport's findings and the malloc-h quick fix edits the file. Skipped with the missing
 * package and `npm run setup:editors` where Emacs or eglot is not installed; required under CI=true.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { requireTools, suiteGate } from '../support/editor-tools.mjs';
import { KPORT_BIN, ROOT } from '../support/lsp-client';

const gate = suiteGate('emacs');

test('Emacs + eglot shows kport diagnostics through Flymake and applies the malloc-h quick fix', { skip: gate.skip, timeout: 90_000 }, () => {
  requireTools('emacs', gate);
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-emacs-'));
  after(() => fs.rmSync(ws, { recursive: true, force: true }));
  spawnSync('git', ['init', '-q', ws]); // eglot needs a project root
  const file = path.join(ws, 'skel_blk.c');
  fs.copyFileSync(path.join(ROOT, 'examples', 'skel_blk.c'), file);
  const r = spawnSync('emacs', ['--batch', '-l', path.join(__dirname, 'kport-eglot.el')], {
    cwd: ws,
    encoding: 'utf8',
    timeout: 80_000,
    env: { ...process.env, KPORT_FILE: file, KPORT_NODE: process.execPath, KPORT_BIN },
  });
  assert.equal(r.status, 0, `emacs exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  const diags = [...r.stdout.matchAll(/^DIAG (\d+) ([\w-]+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  for (const want of ['7 malloc-h', '14 gfp-buffer', '38 gfp-buffer', '56 mempool-resize'])
    assert.ok(diags.includes(want), `missing ${want}: ${diags.join(', ')}`);
  assert.match(r.stdout, /^LINE7 #include <linux\/slab\.h>/m);
  assert.match(fs.readFileSync(file, 'utf8').split('\n')[6], /<linux\/slab\.h>/);
});
