/** The "kport: Simulate function" webview: asks the server for the simulation and renders it with core's pure renderer. */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { renderSimulationHtml } from '../core/simulation/view';
import { SIMULATE_DRIVER_METHOD, SIMULATE_METHOD, type SimulateDriverResult, type SimulateResult } from '../core/simulation/protocol';

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
  render(result);
}

/** "kport: Simulate Driver": the lifetime of the active C file's driver, in the same view. */
export async function showDriverSimulation(client: LanguageClient, uri?: string): Promise<void> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
  if (!target) {
    void vscode.window.showInformationMessage("kport: open a driver's C file to simulate its lifetime.");
    return;
  }
  const result = await client.sendRequest<SimulateDriverResult>(SIMULATE_DRIVER_METHOD, { textDocument: { uri: target } });
  if (!result.lifetime.phases.length) {
    void vscode.window.showInformationMessage('kport: no driver entry point in this file (module_init, .probe/.open/.release/.remove, request_irq, timers).');
    return;
  }
  render(result);
}

function render(result: SimulateResult): void {
  if (!panel) {
    const created = vscode.window.createWebviewPanel('kportSimulation', 'kport: simulation', vscode.ViewColumn.Beside, {
      enableScripts: true,
      retainContextWhenHidden: true,
    });
    created.onDidDispose(() => (panel = undefined));
    panel = created;
  }
  panel.title = 'lifetime' in result ? `kport: ${result.function}` : `kport: ${result.function}()`;
  panel.webview.html = renderSimulationHtml(result, { cspSource: panel.webview.cspSource, nonce: randomBytes(16).toString('base64') });
  panel.reveal(vscode.ViewColumn.Beside, true);
}
