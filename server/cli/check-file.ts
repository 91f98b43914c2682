/** Checks one file from disk: read, decode, parse, analyze. Used by the CLI's main thread and its workers. */
import fs from 'node:fs';
import { analyze, FileFacts, LineIndex, type CParser, type Finding, type KportConfig } from '../../core';
import { headerResolver } from '../node/headers';
import { decode, type Encoding } from '../node/text-file';

export interface FileResult {
  file: string;
  text?: string;
  encoding?: Encoding;
  findings: Finding[];
  lines?: LineIndex;
  error?: string;
}

export function checkFile(parser: CParser, file: string, opts: { config?: KportConfig; only?: readonly string[] }): FileResult {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    return { file, findings: [], error: (e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message };
  }
  const { text, encoding } = decode(bytes);
  const parsed = parser.parse(text);
  try {
    const facts = new FileFacts(parsed, file);
    const { findings, failures } = analyze(facts, { ...opts, env: { headerDefine: headerResolver(facts, file) } });
    const error = failures.length ? failures.map((f) => `rule ${f.rule} failed: ${f.error}`).join('; ') : undefined;
    return { file, text, encoding, findings, lines: new LineIndex(text), error };
  } finally {
    parsed.dispose();
  }
}
