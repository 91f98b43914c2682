/** The real parser and analysis, from source, for core-level tests. */
import fs from 'node:fs';
import path from 'node:path';
import { analyze, CParser, FileFacts, type Finding } from '../../core';
import type { AnalyzeOptions } from '../../core/analyze';
import { ROOT } from './lsp-client';

let parser: Promise<CParser> | undefined;

export function getParser(): Promise<CParser> {
  parser ??= CParser.create({
    runtime: fs.readFileSync(path.join(ROOT, 'node_modules/web-tree-sitter/web-tree-sitter.wasm')),
    language: fs.readFileSync(path.join(ROOT, 'node_modules/tree-sitter-c/tree-sitter-c.wasm')),
  });
  return parser;
}

export async function check(text: string, file = 'drivers/x/test.c', opts: AnalyzeOptions = {}): Promise<Finding[]> {
  const p = await getParser();
  const parsed = p.parse(text);
  try {
    return analyze(new FileFacts(parsed, file), opts).findings;
  } finally {
    parsed.dispose();
  }
}

export async function withFacts<T>(text: string, fn: (facts: FileFacts) => T, file = 'drivers/x/test.c'): Promise<T> {
  const p = await getParser();
  const parsed = p.parse(text);
  try {
    return fn(new FileFacts(parsed, file));
  } finally {
    parsed.dispose();
  }
}

/** The text a finding's span covers. */
export const covered = (text: string, f: { span: { start: number; end: number } }) => text.slice(f.span.start, f.span.end);
