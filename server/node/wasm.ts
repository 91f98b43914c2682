/** Finds and loads the two wasm files: beside the bundle in dist/, or in node_modules when run from source. */
import fs from 'node:fs';
import path from 'node:path';
import { CParser } from '../../core';

function locate(file: string, pkgPath: string): string {
  const beside = path.join(__dirname, file);
  if (fs.existsSync(beside)) return beside;
  return require.resolve(pkgPath);
}

let parser: Promise<CParser> | undefined;

export function loadParser(): Promise<CParser> {
  parser ??= CParser.create({
    runtime: fs.readFileSync(locate('web-tree-sitter.wasm', 'web-tree-sitter/web-tree-sitter.wasm')),
    language: fs.readFileSync(locate('tree-sitter-c.wasm', 'tree-sitter-c/tree-sitter-c.wasm')),
  });
  return parser;
}

/** Rule docs: dist/docs/rules/<id>.md when bundled, core/rules/<id>.md from source. */
export function docsDir(): string {
  const bundled = path.join(__dirname, 'docs', 'rules');
  if (fs.existsSync(bundled)) return bundled;
  return path.resolve(__dirname, '..', '..', 'core', 'rules');
}
