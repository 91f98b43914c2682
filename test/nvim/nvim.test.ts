/**
 * Neovim as a real third-party LSP client: `nvim --headless` runs kport-fix.lua, which starts `kport lsp --stdio`
 * with vim.lsp.start_client + buf_attach_client, waits for diagnostics, applies the malloc-h quick fix through
 * vim.lsp.util.apply_workspace_edit and writes the buffer. The test checks the file on disk.
 * Needs Debian's `neovim` (0.7.x): `npm run setup:editors` installs it. Missing, it skips with that hint, and fails
 * under CI=true (test/support/editor-tools.mjs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { requireTools, suiteGate } from '../support/editor-tools.mjs';
import { KPORT_BIN, ROOT } from '../support/lsp-client';

const gate = suiteGate('nvim');

test('Neovim (headless) shows kport diagnostics and applies the malloc-h quick fix', { skip: gate.skip, timeout: 60_000 }, () => {
  requireTools('nvim', gate);

  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-nvim-'));
  after(() => fs.rmSync(ws, { recursive: true, force: true }));
  const file = path.join(ws, 'skel_blk.c');
  fs.copyFileSync(path.join(ROOT, 'examples', 'skel_blk.c'), file);
  const resultFile = path.join(ws, 'result.json');
  const r = spawnSync('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${path.join(__dirname, 'kport-fix.lua')}`], {
    cwd: ws,
    encoding: 'utf8',
    timeout: 50_000,
    env: { ...process.env, KPORT_NVIM_FILE: file, KPORT_NVIM_ROOT: ws, KPORT_BIN, KPORT_NODE: process.execPath, KPORT_NVIM_RESULT: resultFile },
  });
  assert.ok(fs.existsSync(resultFile), `nvim wrote no result (exit ${r.status}, signal ${r.signal})\n${r.stdout}\n${r.stderr}`);
  const result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  assert.equal(result.ok, true, `Lua script failed: ${result.error}\nsteps: ${result.steps.join(' → ')}`);

  // Diagnostics as Neovim holds them (0-based lines/columns): the README's demo positions.
  const at = result.diagnostics.map((d: { lnum: number; col: number; code: string }) => `${d.lnum + 1}:${d.col + 1} ${d.code}`).sort();
  for (const want of ['7:10 malloc-h', '14:24 gfp-buffer', '38:34 gfp-buffer', '56:6 mempool-resize'])
    assert.ok(at.includes(want), `missing ${want} in ${at.join(', ')}`);
  assert.ok(result.diagnostics.every((d: { source: string }) => d.source === 'kport'));

  assert.match(result.actions[0].title, /slab\.h/);
  const text = fs.readFileSync(file, 'utf8');
  assert.match(text.split('\n')[6], /^#include <linux\/slab\.h>/, 'line 7 now includes <linux/slab.h>');
  assert.doesNotMatch(text, /^#include <linux\/malloc\.h>/m);
  assert.equal(result.malloc_cleared, true, 'the malloc-h diagnostic went away after the edit');
});
