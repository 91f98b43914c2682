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

import { showDriverSimulation, showSimulation } from './simulation-view';

let client: LanguageClient | undefined;

/** A server that crashes this many times within CRASH_WINDOW_MS is not restarted again (languageclient's default too). */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 3 * 60_000;

/**
 * Restarts a crashed server, up to MAX_CRASHES crashes in CRASH_WINDOW_MS: the fifth stops it with one error message
 * (languageclient shows the returned `message`, with "Go to output"). The crashed server's diagnostics are cleared
 * at once (the restarted one publishes its own; stale ones would otherwise stay until then, or forever once it gives
 * up). Settings survive a restart: initializationOptions are read again on every start (see createClient) and the
 * server pulls `kport` settings after initializing. The crash history starts over after giving up, so
 * "kport: Restart Language Server" gets a fresh allowance.
 */
function restartingErrorHandler(): ErrorHandler {
  const crashes: number[] = [];
  return {
    // Read/write errors (EPIPE to a server that just died) are logged to the output channel only, not shown: the close
    // that follows a crash is handled below. Continue, not Shutdown: a client stopping on errors is never restarted.
    error: () => ({ action: ErrorAction.Continue, handled: true }),
    closed: () => {
      const now = Date.now();
      crashes.push(now);
      while (crashes.length && now - crashes[0] > CRASH_WINDOW_MS) crashes.shift();
      client?.diagnostics?.clear();
      if (crashes.length >= MAX_CRASHES) {
        crashes.length = 0;
        return {
          action: CloseAction.DoNotRestart,
          message: `kport: the language server crashed ${MAX_CRASHES} times in 3 minutes and will not be restarted. Use "kport: Restart Language Server" after fixing the cause.`,
        };
      }
      return {
        action: CloseAction.Restart,
        message: `kport: the language server stopped unexpectedly (crash ${crashes.length} of ${MAX_CRASHES} allowed in 3 minutes); restarting it.`,
      };
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
    // Hovers link to the Simulate view (command link) and to related lines: trusted for that one command only.
    markdown: { isTrusted: { enabledCommands: ['kport.simulateFunction'] } },
    synchronize: { configurationSection: 'kport', fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.c,*.h,.kport.json}') },
    // A function: evaluated on every (re)start, so a restarted server gets the settings of now, not of activation.
    // The index cache goes to this workspace's storage (VS Code removes it with the workspace).
    initializationOptions: () => ({ settings: vscode.workspace.getConfiguration('kport'), cacheDir: context.storageUri?.fsPath }),
    errorHandler: restartingErrorHandler(),
    outputChannelName: 'kport',
  };
  return new LanguageClient('kport', 'kport', serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = createClient(context);
  context.subscriptions.push(
    vscode.commands.registerCommand('kport.restartServer', async () => {
      if (!client) return;
      // restart() stops first, which throws when a (re)start had failed (no connection to stop): then just start.
      await client.restart().catch(() => client?.start());
    }),
    vscode.commands.registerCommand('kport.simulateFunction', async (uri?: string, position?: { line: number; character: number }) => {
      if (client) await showSimulation(client, uri, position);
    }),
    vscode.commands.registerCommand('kport.simulateDriver', async (uri?: string) => {
      if (client) await showDriverSimulation(client, uri);
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop();
  client = undefined;
}
