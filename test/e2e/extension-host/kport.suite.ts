/**
 * kport through the VS Code API, inside a real extension host (VS Code from @vscode/test-electron, or code-server).
 * The workspace is a temp copy of examples/; the kport extension under test is the packaged one.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | Thenable<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await fn();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(200);
    v = await fn();
  }
  return v;
}

const kport = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'kport');
const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));
const at = (d: vscode.Diagnostic) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${codeOf(d)}`;

suite('kport in the extension host', () => {
  let doc: vscode.TextDocument;
  let uri: vscode.Uri;

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension('kport.kport');
    assert.ok(ext, 'kport.kport is installed');
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder is open');
    uri = vscode.Uri.joinPath(folder.uri, 'skel_blk.c');
    doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    await ext.activate();
  });

  test('diagnostics at the right places with rule codes and doc links', async () => {
    const diags = await until(
      'kport diagnostics',
      () => kport(uri),
      (d) => d.length >= 4,
      60_000,
    );
    const got = diags.map(at);
    for (const want of ['7:10 malloc-h', '14:24 gfp-buffer', '38:34 gfp-buffer', '56:6 mempool-resize'])
      assert.ok(got.includes(want), `missing ${want}: ${got.join(', ')}`);
    const malloc = diags.find((d) => codeOf(d) === 'malloc-h')!;
    assert.equal(malloc.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(typeof malloc.code === 'object' && /docs\/rules\/malloc-h\.md$/.test(malloc.code.target.path), 'the code links to the rule doc');
  });

  test('hover on a GFP mask decodes it', async () => {
    const line = doc.lineAt(55).text;
    const pos = new vscode.Position(55, line.indexOf('GFP_KERNEL') + 2);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, pos);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /GFP_KERNEL/);
    assert.match(text, /may sleep/i);
  });

  test('gfp-buffer quick fixes: GFP_NOIO (preferred) and GFP_NOFS', async () => {
    const d = kport(uri).find((x) => at(x) === '14:24 gfp-buffer')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      d.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const noio = actions.find((a) => /GFP_NOIO/.test(a.title));
    const nofs = actions.find((a) => /GFP_NOFS/.test(a.title));
    assert.ok(noio && nofs, `both offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(noio.isPreferred, true);
    assert.notEqual(nofs.isPreferred, true);
  });

  test('malloc-h quick fix edits the file and its diagnostic goes away', async () => {
    const d = kport(uri).find((x) => codeOf(x) === 'malloc-h')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      d.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((a) => /slab\.h/.test(a.title) && a.edit);
    assert.ok(fix, `a slab.h fix: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.match(doc.lineAt(6).text, /<linux\/slab\.h>/);
    await until(
      'malloc-h to clear',
      () => kport(uri),
      (ds) => !ds.some((x) => codeOf(x) === 'malloc-h'),
    );
  });

  test('fix-all source action fixes the rest', async () => {
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      new vscode.Range(0, 0, doc.lineCount, 0),
      'source.fixAll.kport',
    );
    const all = actions.find((a) => a.kind?.value.startsWith('source.fixAll.kport') && a.edit);
    assert.ok(all, `a fix-all action: ${actions.map((a) => `${a.kind?.value} ${a.title}`).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(all.edit!));
    await until(
      'gfp-buffer to clear',
      () => kport(uri),
      (ds) => !ds.some((x) => codeOf(x) === 'gfp-buffer'),
    );
    assert.ok(kport(uri).some((x) => codeOf(x) === 'mempool-resize'));
  });

  test('kport.rules in settings turns a rule off without a restart', async () => {
    const cfg = vscode.workspace.getConfiguration('kport');
    await cfg.update('rules', { 'mempool-resize': 'off' }, vscode.ConfigurationTarget.Global);
    try {
      await until(
        'mempool-resize to go',
        () => kport(uri),
        (ds) => !ds.some((x) => codeOf(x) === 'mempool-resize'),
      );
    } finally {
      await cfg.update('rules', undefined, vscode.ConfigurationTarget.Global);
    }
    await until(
      'mempool-resize to come back',
      () => kport(uri),
      (ds) => ds.some((x) => codeOf(x) === 'mempool-resize'),
    );
  });
});
