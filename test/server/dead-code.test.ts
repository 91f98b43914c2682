/** The editor over real JSON-RPC: a finding in code no build compiles arrives as Information, faded, its message tagged. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver-protocol';
import { fileUri, ROOT, startServer, type LspSession } from '../support/lsp-client';

const fixture = path.join(ROOT, 'test', 'fixtures', 'rules', 'gfp-nofail', 'dead-branches.c');
let s: LspSession;

before(async () => {
  // No workspace folder: no index, so "nothing defines X" cannot be known; file-local decisions can.
  s = await startServer({});
});
after(async () => s.close());

test('dead findings are Information with the Unnecessary tag and a [dead code: …] message; the rest keep their severity', async () => {
  const ds = await s.open(fileUri(fixture), fs.readFileSync(fixture, 'utf8'));
  const byLine = new Map(ds.filter((d) => d.code === 'gfp-nofail').map((d) => [d.range.start.line + 1, d]));
  for (const line of [28, 44, 54]) {
    const d = byLine.get(line);
    assert.ok(d, `a finding on line ${line}`);
    assert.equal(d.severity, DiagnosticSeverity.Information, `line ${line}`);
    assert.deepEqual(d.tags, [DiagnosticTag.Unnecessary]);
    assert.match(d.message, /^\[dead code: in (the )?`#/);
  }
  assert.match(byLine.get(28)!.message, /SKEL_HAVE_RING is always defined \(line 5\)/);
  assert.match(byLine.get(54)!.message, /the `#else` after `#if defined\(CONFIG_SKEL_A\)` and `#elif 1`, which is always false/);
  // `#ifdef SKEL_NEVER_DEFINED` needs the whole workspace to be called dead: without an index it stays live.
  for (const line of [19, 22, 25, 30, 33, 42, 47, 50, 52, 57, 62]) {
    const d = byLine.get(line);
    assert.ok(d, `a finding on line ${line}`);
    assert.equal(d.severity, DiagnosticSeverity.Warning, `line ${line} is live`);
    assert.equal(d.tags, undefined);
  }
});

test('with the workspace indexed, `#ifdef X` that no file, header or Makefile of the workspace defines is dead; the others stay live', async () => {
  const ws = path.join(ROOT, 'test', 'fixtures', 'workspace', 'dead-ifdef');
  const file = path.join(ws, 'ring.c');
  const text = fs.readFileSync(file, 'utf8');
  const indexed = await startServer({ rootDir: ws });
  try {
    const uri = fileUri(file);
    // The first publish may predate the index ("nothing defines X" is unknown then): wait for the one after it.
    let ds = await indexed.open(uri, text);
    for (let i = 0; i < 20 && !ds.some((d) => d.severity === DiagnosticSeverity.Information); i++) ds = await indexed.diagnostics(uri, undefined, 60_000);
    const byLine = new Map(ds.filter((d) => d.code === 'gfp-buffer').map((d) => [d.range.start.line + 1, d]));
    const never = byLine.get(9);
    assert.ok(never, 'a finding under #ifdef RING_NEVER_DEFINED');
    assert.equal(never.severity, DiagnosticSeverity.Information);
    assert.ok(never.tags?.includes(DiagnosticTag.Unnecessary), `tags ${never.tags}`);
    assert.match(never.message, /^\[dead code: in `#ifdef RING_NEVER_DEFINED`/);
    // Defined by ring.h, and by the Makefile's -D: live.
    for (const line of [12, 15]) {
      const d = byLine.get(line);
      assert.ok(d, `a finding on line ${line}`);
      assert.equal(d.severity, DiagnosticSeverity.Error, `line ${line} is live`);
      assert.ok(!d.tags?.includes(DiagnosticTag.Unnecessary), `line ${line}: tags ${d.tags}`);
    }
  } finally {
    await indexed.close();
  }
});
