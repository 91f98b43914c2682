/**
 * Whether a big document's staged open, its second stage run in parts as the server runs it (AnalysisHost
 * completion(), 8 ms steps), publishes in the end exactly what a one-stage analysis of the same text does, file
 * by file over a tree (every file of at least K KiB is staged here). Prints each file where it does not, and counts.
 *
 *   node --import tsx bench/staged-parts-check.ts PATH... [--min-kib K]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { AnalysisHost } from '../core/ide/host';
import { expandPaths } from '../server/check/files';
import { diskEnv } from '../server/node/headers';
import { decode } from '../server/node/text-file';
import { loadParser } from '../server/node/wasm';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'min-kib': { type: 'string', default: '0' } } });

(async () => {
  const parser = await loadParser();
  const minBytes = Number(values['min-kib']) * 1024;
  const options = { parser, envFor: (facts: Parameters<typeof diskEnv>[0], doc: { path: string }) => diskEnv(facts, doc.path) };
  let checked = 0;
  let partial = 0;
  let differ = 0;
  for (const f of expandPaths(positionals).files) {
    if (fs.statSync(f).size < minBytes) continue;
    const text = decode(fs.readFileSync(f)).text;
    const uri = `file://${f}`;
    const source = { version: 1, getText: () => text };
    const staged = new AnalysisHost({ ...options, stagedOpenBytes: 0 });
    staged.open(uri, f, source);
    if (staged.diagnostics(uri, { staged: true })?.partial) {
      partial++;
      const job = staged.completion(uri);
      while (job && job.step(8) === 'more');
    }
    const one = new AnalysisHost(options);
    one.open(uri, f, source);
    const a = JSON.stringify(staged.diagnostics(uri)?.diagnostics);
    const b = JSON.stringify(one.diagnostics(uri)?.diagnostics);
    staged.close(uri);
    one.close(uri);
    checked++;
    if (a !== b) {
      differ++;
      console.log(`differs: ${f}`);
    }
  }
  console.log(`${checked} files, ${partial} staged (second stage in parts), ${differ} with a different final publish`);
})().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
