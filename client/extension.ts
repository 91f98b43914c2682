/** The VS Code client: starts the bundled server over IPC for C files and forwards kport settings. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  TransportKind,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

import { showSimulation } from './simulation-view';

let client: LanguageClient | undefined;

/** Restart a crashed server (keeping settings: they are pulled again on start), give up after 5 crashes in 3 minutes. */
function restartingErrorHandler(): ErrorHandler {
  const crashes: number[] = [];
  return {
    error: () => ({ action: ErrorAction.Continue }),
    closed: () => {
      const now = Date.now();
      crashes.push(now);
      while (crashes.length && now - crashes[0] > 3 * 60_000) crashes.shift();
      if (crashes.length > 5) {
        void vscode.window.showErrorMessage('kport: the language server crashed 5 times in 3 minutes and will not be restarted. Use "kport: Restart Language Server" after fixing the cause.');
        return { action: CloseAction.DoNotRestart };
      }
      return { action: CloseAction.Restart };
    },
  };
}

function createClient(context: vscode.ExtensionContext): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'c' },
      { scheme: 'untitled', language: 'c' },
      { scheme: 'file', pattern: '**/*.{c,h}' },
    ],
    synchronize: { configurationSection: 'kport', fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.c,*.h,.kport.json}') },
    initializationOptions: { settings: vscode.workspace.getConfiguration('kport') },
    errorHandler: restartingErrorHandler(),
    outputChannelName: 'kport',
  };
  return new LanguageClient('kport', 'kport', serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = createClient(context);
  context.subscriptions.push(
    vscode.commands.registerCommand('kport.restartServer', async () => {
      if (client) await client.restart();
    }),
    vscode.commands.registerCommand('kport.simulateFunction', async (uri?: string, position?: { line: number; character: number }) => {
      if (client) await showSimulation(client, uri, position);
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop();
  client = undefined;
}
