/**
 * The first hover in a big file, in process, through core/ide's AnalysisHost: the file opens staged (its first
 * publish: the rules that need no context), then a hover on the first allocation call of LINE arrives before the
 * second stage ran. Prints the hover's CPU, and the split of the work behind it: the complete analysis' parts done
 * apart on a second host (the remaining functions' facts, the file's facts, the context analysis, the rules, then
 * the hover on the complete analysis), and what the hover read (`lastFocus`: its focus's functions of the file's, where the host has one).
 *
 *   node --import tsx bench/first-hover.ts FILE:LINE... [--runs 5]
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { AnalysisHost } from '../core/ide/host';
import { SIMULATION_ANCHORS } from '../core/kernel/alloc-api';
import { diskEnv } from '../server/node/headers';
import { decode } from '../server/node/text-file';
import { loadParser } from '../server/node/wasm';
import { cpuNowMs } from '../test/support/cpu-time';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: 'string', default: '5' } } });
const CALL = new RegExp(`\\b(${[...SIMULATION_ANCHORS].join('|')})\\s*\\(`);

const source = (text: string, version = 1) => ({ version, getText: () => text });

async function main(): Promise<void> {
  const parser = await loadParser();
  console.log(
    `load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const at of positionals) {
    const [file, lineText] = at.split(/:(?=\d+$)/);
    const text = decode(fs.readFileSync(file)).text;
    const line = Number(lineText) - 1;
    const m = CALL.exec(text.split('\n')[line] ?? '');
    if (!m) throw new Error(`${at}: no allocation call on the line`);
    const position = { line, character: m.index + 1 };
    const uri = `file://${file}`;
    const hostOf = () => new AnalysisHost({ parser, envFor: (facts, doc) => diskEnv(facts, doc.path) });
    const rows: string[] = [];
    const hoverCpu: number[] = [];
    let md = '';
    for (let run = 0; run < Number(values.runs); run++) {
      // The first hover, as the server meets it: right after the staged first publish.
      const host = hostOf();
      host.open(uri, file, source(text));
      host.diagnostics(uri, { staged: true });
      const t0 = cpuNowMs();
      md = host.hover(uri, position)?.markdown ?? '';
      hoverCpu.push(cpuNowMs() - t0);
      const focus = (host as { lastFocus?: { functions: number; of: number } | 'completed' }).lastFocus;
      const own = focus === undefined ? undefined : focus === 'completed' ? { completed: 1 } : focus;
      // The complete analysis' parts, apart: what a hover that completes the analysis spends.
      const apart = hostOf();
      apart.open(uri, file, source(text));
      apart.diagnostics(uri, { staged: true });
      // One part a step (budget 0): the remaining functions' facts one each (with what the context analysis reads of
      // each), the file's facts, the context, then the rules one each.
      const t1 = cpuNowMs();
      const job = apart.completion(uri);
      const steps: number[] = [];
      for (let state = 'more'; job && state === 'more'; ) {
        const s0 = cpuNowMs();
        state = job.step(0);
        steps.push(cpuNowMs() - s0);
      }
      const t2 = cpuNowMs();
      const split = `${steps.length} parts, the longest ${Math.max(0, ...steps).toFixed(1)}`;
      apart.hover(uri, position);
      const t3 = cpuNowMs();
      rows.push(
        `run ${run}: first hover ${hoverCpu[run].toFixed(1)} ms CPU${
          own
            ? ` (${Object.entries(own)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')})`
            : ''
        }; ` + `apart: second stage ${(t2 - t1).toFixed(1)} (${split}), hover after it ${(t3 - t2).toFixed(1)}`,
      );
      host.close(uri);
      apart.close(uri);
    }
    console.log(`${at} (${(text.length / 1024).toFixed(0)} KiB): ${md.split('\n')[0]}`);
    for (const r of rows) console.log(`  ${r}`);
    const s = [...hoverCpu].sort((a, b) => a - b);
    console.log(`  first hover CPU: min ${s[0].toFixed(1)}, median ${s[Math.floor(s.length / 2)].toFixed(1)} ms`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
