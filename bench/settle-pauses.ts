/**
 * How often settle() parses a whole file afresh when typing pauses, on real files: bench/edit-loop.ts's edits
 * (typing bursts at the start of a statement near the middle, a new line with an allocation, that line
 * deleted) with a pause after every edit, through CParser's speculative reparse and settle(). Counts the fresh
 * parses and settle()'s CPU time, and what the previous condition (any syntax error in the tree) would have
 * parsed afresh at the same pauses.
 *
 *   node --import tsx bench/settle-pauses.ts FILE... [--edits 60]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decode } from '../server/node/text-file';
import { loadParser } from '../server/node/wasm';
import { benchEdits } from './support/edits';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { edits: { type: 'string', default: '60' } } });
const EDITS = Number(values.edits);

const edits = (text: string) => benchEdits(text, EDITS);

async function main(): Promise<void> {
  const parser = await loadParser();
  const parse = parser.parse.bind(parser);
  let fresh = 0;
  parser.parse = (t, o) => {
    fresh++;
    return parse(t, o);
  };
  console.log(
    `load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const file of positionals) {
    let text = decode(fs.readFileSync(file)).text;
    let parsed = parse(text);
    const errors = parsed.root.hasError;
    let pauses = 0;
    let settled = 0;
    let previous = 0;
    let cpuMs = 0;
    fresh = 0;
    for (const e of edits(text)) {
      text = text.slice(0, e.start) + e.newText + text.slice(e.end);
      parsed = parser.reparse(parsed, text, { speculative: true });
      pauses++;
      // The previous settle(): a fresh parse when an edit broke clean code, or when the tree has any error.
      const { window, tree } = parsed.unsettled;
      if (tree || (window && parsed.root.hasError)) previous++;
      if (!parsed.exact) settled++;
      const c = process.cpuUsage();
      parsed = parser.settle(parsed);
      const d = process.cpuUsage(c);
      cpuMs += (d.user + d.system) / 1000;
    }
    parsed.dispose();
    console.log(
      `${path.basename(file)} (${(text.length / 1024).toFixed(0)} KiB${errors ? ', has errors' : ''}): ${pauses} pauses, ${settled} with work to settle; ` +
        `fresh parses ${fresh} (previous condition ${previous}); settle CPU ${cpuMs.toFixed(0)} ms`,
    );
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
