/**
 * The main-thread tasks of a big document's staged open, through the editor's AnalysisHost as the server runs
 * them: the first stage (one task), then the second stage: one task where the host has no `completion` (before
 * the second stage ran in parts), else its parts of 8 ms (server.ts SECOND_STAGE_SLICE_MS). CPU per task; the
 * longest task is what a keystroke in another document can wait behind. `--mb1` adds bench/editor.ts's ~1 MB file
 * made of the files given.
 *
 *   node --import tsx bench/open-big-parts.ts FILE... [--runs 5] [--mb1]
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { AnalysisHost } from '../core/ide/host';
import type { StepJob } from '../core/ide/types';
import { diskEnv } from '../server/node/headers';
import { decode } from '../server/node/text-file';
import { loadParser } from '../server/node/wasm';
import { cpuTimeMs } from '../test/support/cpu-time';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '5' }, mb1: { type: 'boolean', default: false } },
});
const SLICE_MS = 8;

const cpu = (f: () => void): number => cpuTimeMs(f).cpuMs;

async function main(): Promise<void> {
  const parser = await loadParser();
  const docs: { path: string; text: string }[] = positionals.map((f) => ({ path: f, text: decode(fs.readFileSync(f)).text }));
  if (values.mb1) {
    let big = docs.map((d) => `${d.text}\n`).join('');
    while (big.length < 1_000_000) big += big;
    big = big.slice(0, 1_000_000);
    docs.push({ path: `${positionals[0]}.kport-bench-1mb.c`, text: big.slice(0, big.lastIndexOf('\n}\n') + 3) });
  }
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`load ${load()}; parts: ${'completion' in AnalysisHost.prototype ? 'yes' : 'no (one task)'}`);
  for (const { path, text } of docs) {
    for (let run = 0; run < Number(values.runs); run++) {
      const host = new AnalysisHost({ parser, envFor: (facts, doc) => diskEnv(facts, doc.path) });
      const uri = `file://${path}`;
      host.open(uri, path, { version: 1, getText: () => text });
      let partial = false;
      const first = cpu(() => {
        partial = !!host.diagnostics(uri, { staged: true })?.partial;
      });
      const tasks: number[] = [];
      const completion = (host as unknown as { completion?: (uri: string) => StepJob | undefined }).completion;
      const job = completion?.call(host, uri);
      if (job) {
        let state: string;
        do tasks.push(cpu(() => (state = job.step(SLICE_MS))));
        while (state! === 'more');
      }
      tasks.push(cpu(() => host.diagnostics(uri))); // the final publish (with no parts: the whole second stage)
      const findings = host.diagnostics(uri)!.diagnostics.length;
      host.close(uri);
      const longest = Math.max(...tasks);
      const total = tasks.reduce((a, b) => a + b, 0);
      console.log(
        `${path} (${(text.length / 1024).toFixed(0)} KiB) run ${run}: first stage ${first.toFixed(0)} ms${partial ? '' : ' (not staged)'}; ` +
          `second stage ${total.toFixed(0)} ms CPU in ${tasks.length} tasks, longest ${longest.toFixed(0)}; ${findings} diagnostics; load ${load()}`,
      );
    }
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
