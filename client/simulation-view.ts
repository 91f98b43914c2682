/** The "kport: Simulate function" webview: asks the server for the simulation and renders it with core's pure renderer. */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { renderSimulationHtml } from '../core/simulation/view';
import { SIMULATE_METHOD, type SimulateResult } from '../core/simulation/protocol';

let panel: vscode.WebviewPanel | undefined;

export async function showSimulation(client: LanguageClient, uri?: string, position?: { line: number; character: number }): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const target = uri ?? editor?.document.uri.toString();
  const pos = position ?? (editor ? { line: editor.selection.active.line, character: editor.selection.active.character } : undefined);
  if (!target || !pos) {
    void vscode.window.showInformationMessage('kport: place the cursor in a C function to simulate it.');
    return;
  }
  const result = await client.sendRequest<SimulateResult | null>(SIMULATE_METHOD, { textDocument: { uri: target }, position: pos, snapshots: true });
  if (!result) {
    void vscode.window.showInformationMessage('kport: the cursor is not inside a function.');
    return;
  }
  if (!panel) {
    const created = vscode.window.createWebviewPanel('kportSimulation', 'kport: simulation', vscode.ViewColumn.Beside, { enableScripts: true, retainContextWhenHidden: true });
    created.onDidDispose(() => (panel = undefined));
    panel = created;
  }
  panel.title = `kport: ${result.function}()`;
  panel.webview.html = renderSimulationHtml(result, { cspSource: panel.webview.cspSource, nonce: randomBytes(16).toString('base64') });
  panel.reveal(vscode.ViewColumn.Beside, true);
}
