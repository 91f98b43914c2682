/**
 * ERROR-node rate of tree-sitter-c on kernel C, with and without kport's annotation neutralization.
 * Usage: node --import tsx bench/parse-errors.ts PATH...
 * Prints files, files with any ERROR/MISSING node, total error nodes, and functions found, for both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { countSyntaxErrors, CParser } from '../core';
import { scanTopLevel } from '../core/facts/build-ir';
import { expandPaths } from '../server/check/files';
import { decode } from '../server/node/text-file';

async function main() {
  const roots = process.argv.slice(2);
  if (!roots.length) {
    console.error('usage: parse-errors PATH...');
    process.exit(2);
  }
  const root = path.resolve(__dirname, '..');
  const parser = await CParser.create({
    runtime: fs.readFileSync(path.join(root, 'node_modules/web-tree-sitter/web-tree-sitter.wasm')),
    language: fs.readFileSync(path.join(root, 'node_modules/tree-sitter-c/tree-sitter-c.wasm')),
  });
  const { files } = expandPaths(roots);
  const stats = { raw: { filesWithErrors: 0, errors: 0, functions: 0 }, neutralized: { filesWithErrors: 0, errors: 0, functions: 0 } };
  let bytes = 0;
  const t0 = Date.now();
  for (const f of files) {
    const buf = fs.readFileSync(f);
    bytes += buf.length;
    const { text } = decode(buf);
    for (const mode of ['raw', 'neutralized'] as const) {
      // Parse the raw text through the same path by handing the parser text with nothing to neutralize.
      const parsed = mode === 'raw' ? parseRaw(parser, text) : parser.parse(text);
      const errors = countSyntaxErrors(parsed.root);
      const s = stats[mode];
      s.errors += errors;
      if (errors) s.filesWithErrors++;
      s.functions += scanTopLevel(parsed.root).functions.length;
      parsed.dispose();
    }
  }
  const pct = (n: number) => ((100 * n) / Math.max(1, files.length)).toFixed(1) + '%';
  console.log(`files: ${files.length}, ${(bytes / 1e6).toFixed(1)} MB, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const mode of ['raw', 'neutralized'] as const) {
    const s = stats[mode];
    console.log(
      `${mode.padEnd(12)} files with ERROR/MISSING: ${s.filesWithErrors} (${pct(s.filesWithErrors)}), error nodes: ${s.errors} (${(s.errors / Math.max(1, bytes / 1e3)).toFixed(3)} per KB), function definitions found: ${s.functions}`,
    );
  }
}

const parseRaw = (parser: CParser, text: string) => parser.parseWith(text, (s) => ({ text: s }));

main();
