/**
 * Mocha entry for the VS Code extension host (the `extensionTestsPath` module): runs kport.suite.js and, besides
 * the usual resolve/reject, writes a JSON summary (for hosts whose exit code is not observable, like code-server).
 */
import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000 });
  mocha.addFile(path.join(__dirname, 'kport.suite.js'));
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const out = process.env.KPORT_EH_RESULT || (folder ? path.join(folder, '.kport-eh-result.json') : undefined);
  return new Promise((resolve, reject) => {
    const passed: string[] = [];
    const failed: { title: string; error: string }[] = [];
    const runner = mocha.run((failures) => {
      if (out) fs.writeFileSync(out, JSON.stringify({ passed, failed, vscodeVersion: vscode.version }, null, 2));
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => passed.push(t.fullTitle()));
    runner.on('fail', (t, err) => failed.push({ title: t.fullTitle(), error: String(err?.stack ?? err) }));
  });
}
