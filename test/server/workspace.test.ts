/** Across files: the server indexes the workspace in the background and follows registrations and callers. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { CodeAction } from 'vscode-languageserver-protocol';
import { fileUri, ROOT, startServer } from '../support/lsp-client';

const WS = path.join(ROOT, 'test', 'fixtures', 'workspace', 'irq-split');

test('a handler registered in another file, a mask from a local header, and a non-static helper only the handler calls', async () => {
  const s = await startServer({
    rootDir: WS,
    capabilities: { window: { workDoneProgress: true }, textDocument: { publishDiagnostics: { relatedInformation: true } } },
  });
  const progress: string[] = [];
  s.conn.onRequest('window/workDoneProgress/create', () => null);
  s.conn.onNotification('$/progress', (p: { value: { kind: string } }) => progress.push(p.value.kind));
  try {
    const file = path.join(WS, 'skel_irq.c');
    const uri = fileUri(file);
    const text = fs.readFileSync(file, 'utf8');
    // The first publish may predate the index; wait for the one after indexing (the index host runs at nice 19:
    // on a loaded machine it can take many seconds).
    let ds = await s.open(uri, text);
    for (let i = 0; i < 20 && ds.length < 2; i++) ds = await s.diagnostics(uri, undefined, 60_000);
    const lines = text.split('\n');
    const got = ds.map((d) => `${d.range.start.line + 1}:${d.code}:${lines[d.range.start.line].slice(d.range.start.character, d.range.end.character)}`).sort();
    assert.deepEqual(got, ['13:sleep-in-atomic:SKEL_GFP', '7:sleep-in-atomic:GFP_KERNEL']);
    const direct = ds.find((d) => d.range.start.line === 12)!;
    assert.match(direct.message, /skel_irq\(\) is an interrupt handler: it is registered with request_irq\(\) in .*skel_main\.c/);
    assert.ok(
      direct.relatedInformation!.some((r) => r.location.uri.endsWith('skel_main.c') && r.location.range.start.line === 9),
      'related information points at the request_irq line',
    );
    const chained = ds.find((d) => d.range.start.line === 6)!;
    assert.match(chained.message, /call chain skel_irq\(\) → skel_refill\(\)/);
    const fix = (await s.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: direct.range,
      context: { diagnostics: [direct], only: ['quickfix'] },
    })) as CodeAction[];
    assert.equal(fix[0].title, 'Use GFP_ATOMIC | __GFP_DMA (cannot sleep)');
    assert.equal(fix[0].isPreferred, true);
    assert.ok(progress.includes('begin') && progress.includes('end'), `work-done progress reported: ${progress}`);
    // The registering file itself runs its allocation in process context: nothing to report.
    const main = path.join(WS, 'skel_main.c');
    assert.deepEqual(await s.open(fileUri(main), fs.readFileSync(main, 'utf8')), []);
  } finally {
    await s.close();
  }
});

test('a call through an ops table: the functions stored in the field come from another file, through the index', async () => {
  const dir = path.join(ROOT, 'test', 'fixtures', 'workspace', 'ops-split');
  const s = await startServer({ rootDir: dir, capabilities: { textDocument: { publishDiagnostics: { relatedInformation: true } } } });
  try {
    const file = path.join(dir, 'card_core.c');
    const uri = fileUri(file);
    const text = fs.readFileSync(file, 'utf8');
    // Alone the file cannot know what its fields hold: the first publish may predate the index.
    let ds = await s.open(uri, text);
    for (let i = 0; i < 20 && ds.length < 2; i++) ds = await s.diagnostics(uri, undefined, 60_000);
    const got = ds.map((d) => `${d.range.start.line + 1}:${d.code}`).sort();
    assert.deepEqual(got, ['11:sleep-in-atomic', '27:sleep-in-atomic']);
    const open = ds.find((d) => d.range.start.line === 10)!;
    assert.match(open.message, /c->ops->open\(\) → hw_open\(\) \(.*card_hw\.c:5\) → kmalloc\(GFP_KERNEL\)/);
    assert.ok(
      open.relatedInformation!.some((r) => r.location.uri.endsWith('card_hw.c') && r.location.range.start.line === 28),
      `related information points at the initializer that stores hw_open: ${JSON.stringify(open.relatedInformation)}`,
    );
  } finally {
    await s.close();
  }
});

test('calls through an ops table split by severity: every stored function sleeps → error, one of two → warning with its route', async () => {
  const dir = path.join(ROOT, 'test', 'fixtures', 'workspace', 'ops-may');
  const s = await startServer({ rootDir: dir, capabilities: { textDocument: { publishDiagnostics: { relatedInformation: true } } } });
  try {
    const file = path.join(dir, 'xd_core.c');
    const uri = fileUri(file);
    // Alone the file cannot know what its fields hold: the first publish may predate the index.
    let ds = await s.open(uri, fs.readFileSync(file, 'utf8'));
    for (let i = 0; i < 20 && ds.length < 2; i++) ds = await s.diagnostics(uri, undefined, 60_000);
    const got = ds.map((d) => `${d.range.start.line + 1}:${d.code}:${d.severity}`).sort();
    // LSP severities: 1 error, 2 warning.
    assert.deepEqual(got, ['11:sleep-in-atomic:1', '20:may-sleep-in-atomic-indirect:2']);
    const may = ds.find((d) => d.code === 'may-sleep-in-atomic-indirect')!;
    assert.match(
      may.message,
      /^d->ops->detach\(\) may sleep: 1 of the 2 functions stored in struct xd_ops\.detach sleeps: dma_detach\(\) \(.*xd_hw\.c:23\) → vmalloc\(\)\. It runs in atomic context: a spinlock is held \(spin_lock\(xd_lock\) at line 19\)/,
    );
    const related = may.relatedInformation!.map((r) => `${path.basename(r.location.uri)}:${r.location.range.start.line + 1}: ${r.message}`);
    // The lock taken, where dma_detach is stored (the positional initializer) and where it is defined, with why it sleeps.
    assert.ok(
      related.some((r) => r.startsWith('xd_core.c:19:')),
      related.join('\n'),
    );
    assert.ok(related.includes('xd_hw.c:35: dma_detach() is stored in struct xd_ops.detach here'), related.join('\n'));
    assert.ok(related.includes('xd_hw.c:23: dma_detach() sleeps: vmalloc()'), related.join('\n'));
    assert.ok(!related.some((r) => r.includes('pio_detach')), 'the implementation that does not sleep is not a route');
    // The editor says what the CLI says over the same folder.
    // Exit status 1: an error-severity finding.
    const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'kport.js'), 'check', '--format', 'json', dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
    assert.equal(run.status, 1, run.stderr);
    const cli = JSON.parse(run.stdout) as { diagnostics: { line: number; rule: string; message: string }[] };
    assert.deepEqual(
      cli.diagnostics.map((d) => `${d.line}:${d.rule}:${d.message}`).sort(),
      ds.map((d) => `${d.range.start.line + 1}:${d.code}:${d.message}`).sort(),
    );
  } finally {
    await s.close();
  }
});
