/** What the one-call benches (hover-split, hover-profile) share: the parser, a file analyzed as on disk, a line's offset. */
import fs from 'node:fs';
import path from 'node:path';
import { analyze, CParser, FileFacts } from '../core';
import { diskEnv } from '../server/node/headers';

/** The parser from the node_modules under the working directory (a bundle of a bench runs elsewhere). */
export const getParser = () =>
  CParser.create({
    runtime: fs.readFileSync(path.join('node_modules/web-tree-sitter/web-tree-sitter.wasm')),
    language: fs.readFileSync(path.join('node_modules/tree-sitter-c/tree-sitter-c.wasm')),
  });

/** `text` of `file` analyzed with its headers on disk, without simulated verdicts. */
export function analyzeOnDisk(parser: CParser, text: string, file: string) {
  const facts = new FileFacts(parser.parse(text), file);
  return { facts, shared: analyze(facts, { simulate: false, env: diskEnv(facts, file) }).shared };
}

/** The offset of the first character of 1-based `line`'s second column (inside the line, for functionAt). */
export function lineOffset(text: string, line: number): number {
  return (
    text
      .split('\n')
      .slice(0, line - 1)
      .join('\n').length + 1
  );
}
