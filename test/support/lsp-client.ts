/** A real JSON-RPC client over the server's stdio, as any editor would speak it. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export const ROOT = path.resolve(__dirname, '..', '..');
export const KPORT_BIN = path.join(ROOT, 'bin', 'kport.js');

export interface LspSession {
  conn: MessageConnection;
  proc: ChildProcess;
  stderr: () => string;
  /** Resolves with the next publishDiagnostics for `uri` (optionally for a given version). */
  diagnostics(uri: string, version?: number, timeoutMs?: number): Promise<Diagnostic[]>;
  open(uri: string, text: string, version?: number): Promise<Diagnostic[]>;
  /** The last diagnostics published for `uri` (undefined: none yet). */
  latest(uri: string): Diagnostic[] | undefined;
  /** Every publishDiagnostics for `uri` so far, in order. */
  published(uri: string): PublishDiagnosticsParams[];
  /** Every publishDiagnostics so far, all documents, as `uri v<version>` in the order they arrived. */
  publishOrder(): string[];
  close(): Promise<void>;
}

let cacheHome: string | undefined;
/** One temporary cache home per test process, removed when it exits. */
function testCacheHome(): string {
  if (!cacheHome) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-test-cache-'));
    cacheHome = dir;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return cacheHome;
}

export function fileUri(p: string): string {
  return pathToFileURL(path.resolve(p)).href;
}

export async function startServer(
  opts: {
    rootDir?: string /** XDG_CACHE_HOME of the server (its index cache); default: a temporary one. */;
    cacheHome?: string;
    initializationOptions?: object;
    capabilities?: object /** Answers workspace/configuration (default: no settings). */;
    configuration?: () => unknown[] | Promise<unknown[]>;
  } = {},
): Promise<LspSession> {
  // The index cache goes to a directory of this test run, never the user's ~/.cache/kport.
  const proc = spawn(process.execPath, [KPORT_BIN, 'lsp', '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, XDG_CACHE_HOME: opts.cacheHome ?? testCacheHome() },
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  const latest = new Map<string, PublishDiagnosticsParams>();
  const history = new Map<string, PublishDiagnosticsParams[]>();
  const order: string[] = [];
  const waiters: { uri: string; version?: number; resolve: (d: Diagnostic[]) => void }[] = [];
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    latest.set(p.uri, p);
    history.set(p.uri, [...(history.get(p.uri) ?? []), p]);
    order.push(`${p.uri} v${p.version}`);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w.uri === p.uri && (w.version === undefined || p.version === w.version)) {
        waiters.splice(i, 1);
        w.resolve(p.diagnostics);
      }
    }
  });
  conn.onRequest('workspace/configuration', () => (opts.configuration ? opts.configuration() : [null]));
  conn.onRequest('client/registerCapability', () => null);
  conn.onNotification('window/showMessage', () => undefined);
  conn.onNotification('window/logMessage', () => undefined);
  conn.listen();
  const rootUri = opts.rootDir ? fileUri(opts.rootDir) : null;
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri,
    workspaceFolders: rootUri ? [{ uri: rootUri, name: 'ws' }] : null,
    capabilities: opts.capabilities ?? { textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } } },
    initializationOptions: opts.initializationOptions ?? {},
  });
  await conn.sendNotification('initialized', {});
  const session: LspSession = {
    conn,
    proc,
    stderr: () => err,
    diagnostics(uri, version, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} v${version} within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
        waiters.push({
          uri,
          version,
          resolve: (d) => {
            clearTimeout(timer);
            resolve(d);
          },
        });
      });
    },
    latest: (uri) => latest.get(uri)?.diagnostics,
    published: (uri) => history.get(uri) ?? [],
    publishOrder: () => [...order],
    async open(uri, text, version = 1) {
      const p = session.diagnostics(uri, version);
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version, text } });
      return p;
    },
    async close() {
      try {
        await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        await conn.sendNotification('exit');
      } catch {
        /* already gone */
      }
      conn.dispose();
      proc.kill();
    },
  };
  return session;
}
