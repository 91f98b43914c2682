/**
 * Background indexing of the workspace's C files: each file is parsed once, summarized (call graph,
 * interrupt registrations, exported functions) and its tree freed at once. Only summaries are kept,
 * so a whole driver tree fits in memory. Progress is reported with LSP work-done progress.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { FileFacts, summarizeFile, type CParser, type WorkspaceIndex } from '../../core';
import { expandPaths } from '../cli/files';
import { decode } from '../node/text-file';

const MAX_FILE_BYTES = 2 * 1024 * 1024;
const MAX_FILES = 20000;

export function summarizePath(parser: CParser, file: string, index: WorkspaceIndex): boolean {
  let bytes: Buffer;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return false;
    bytes = fs.readFileSync(file);
  } catch {
    index.remove(file);
    return false;
  }
  const parsed = parser.parse(decode(bytes).text);
  try {
    index.update(summarizeFile(new FileFacts(parsed, file), index));
    return true;
  } finally {
    parsed.dispose();
  }
}

export async function indexWorkspace(connection: Connection, parser: CParser, root: string, index: WorkspaceIndex, skip: (file: string) => boolean, useProgress: boolean): Promise<number> {
  const { files } = expandPaths([root]);
  const todo = files.slice(0, MAX_FILES).filter((f) => !skip(f));
  if (todo.length === 0) return 0;
  const progress = useProgress ? await connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
  progress?.begin('kport: indexing', 0, `${todo.length} C files`, false);
  let done = 0;
  let lastReport = Date.now();
  for (const file of todo) {
    try {
      summarizePath(parser, file, index);
    } catch (e) {
      connection.console.error(`kport: indexing ${path.relative(root, file)} failed: ${(e as Error).message}`);
    }
    done++;
    if (Date.now() - lastReport > 100) {
      lastReport = Date.now();
      progress?.report(Math.round((done / todo.length) * 100), `${done}/${todo.length} files`);
      // Let requests for open documents through between files.
      await new Promise((r) => setImmediate(r));
    }
  }
  progress?.done();
  return done;
}
