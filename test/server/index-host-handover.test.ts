/**
 * The index host hands the workspace's macro names to the language server in pieces (one message of megabytes
 * blocked the server's main thread while node concatenated its chunks): over JSON-RPC, with a workspace whose macro
 * names fill several pieces, a finding under `#ifdef` of a name from each piece stays live and one under a name
 * nothing defines is dead — the names arrived whole.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-protocol';
import { fileUri, startServer } from '../support/lsp-client';

test('macro names longer than several pieces reach the editor whole: #ifdef of any of them is live, of none dead', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-handover-'));
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-handover-cache-'));
  // Ours: 40,000 configuration macros (~720 K characters of names: three pieces of 256 K), and a driver.
  const names = Array.from({ length: 40_000 }, (_, i) => `KPORT_OPT_${String(i).padStart(6, '0')}`);
  fs.writeFileSync(path.join(ws, 'opts.c'), `${names.map((n) => `#define ${n} 1`).join('\n')}\n`);
  const guarded = ['KPORT_OPT_000000', 'KPORT_OPT_014562', 'KPORT_OPT_029125', 'KPORT_OPT_039999', 'KPORT_NEVER_DEFINED'];
  const ring = [
    '#include <linux/slab.h>',
    'static char *ring;',
    'void ring_refill(int len)',
    '{',
    ...guarded.flatMap((n) => [`#ifdef ${n}`, '\tring = kmalloc(len, GFP_BUFFER);', '#endif']),
    '}',
    '',
  ].join('\n');
  const file = path.join(ws, 'ring.c');
  fs.writeFileSync(file, ring);
  const s = await startServer({ rootDir: ws, initializationOptions: { cacheDir } });
  try {
    const uri = fileUri(file);
    // The first publish may predate the index ("nothing defines X" is unknown then): wait for the one after it.
    let ds: Diagnostic[] = await s.open(uri, ring);
    for (let i = 0; i < 20 && !ds.some((d) => d.severity === DiagnosticSeverity.Information); i++) ds = await s.diagnostics(uri, undefined, 60_000);
    const findings = ds.filter((d) => d.code === 'gfp-buffer').sort((a, b) => a.range.start.line - b.range.start.line);
    assert.equal(findings.length, guarded.length);
    findings.forEach((d, i) =>
      assert.equal(d.severity, i < guarded.length - 1 ? DiagnosticSeverity.Error : DiagnosticSeverity.Information, `#ifdef ${guarded[i]}: ${d.message}`),
    );
    assert.match(findings[guarded.length - 1].message, /^\[dead code: in `#ifdef KPORT_NEVER_DEFINED`/);
  } finally {
    await s.close();
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});
