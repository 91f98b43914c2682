/**
 * One call's hover work repeated on one analysis, for `node --cpu-prof`: what remains once the file is parsed.
 * Usage: node --cpu-prof --import tsx bench/hover-profile.ts FILE:LINE [extract|call] [N]
 */
import fs from 'node:fs';
import { SharedAnalyses } from '../core/context/shared';
import { SequenceExtractor } from '../core/simulation/extract';
import { allocationSites, clearSimulationResults, simulateCall } from '../core/simulation/run';
import { analyzeOnDisk, getParser, lineOffset } from './site-support';

async function main() {
  const [target, what = 'extract', n = '200'] = process.argv.slice(2);
  const [file, lineText] = target.split(/:(?=\d+$)/);
  const text = fs.readFileSync(file, 'latin1');
  const { facts, shared } = analyzeOnDisk(await getParser(), text, file);
  const offset = lineOffset(text, Number(lineText));
  const fi = facts.functionAt(offset);
  const site = allocationSites(shared, fi).find((s) => facts.lineOf(s.call.span.start) === Number(lineText))!;
  // Blocks of n/10 runs; the fastest block's mean (CPU time per run) is the figure least disturbed by other load.
  const block = Math.max(1, Math.floor(Number(n) / 10));
  let best = Infinity;
  let bestWall = Infinity;
  for (let b = 0; b < 10; b++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < block; i++) {
      if (what === 'extract')
        new SequenceExtractor(facts, shared, shared.context).extract(fi, { span: site.call.span, context: { kind: 'process', reason: 'x' } });
      else {
        // A fresh memo table each time (simulateCall memoizes per analysis), no simulator results cached. The
        // file's context analysis is kept: the diagnostics computed it before any hover (a fresh one per run
        // would count it in every run).
        const fresh = new SharedAnalyses(facts, shared.env);
        (fresh as unknown as { fileContext: unknown }).fileContext = shared.context;
        clearSimulationResults();
        simulateCall(fresh, fi, site.call.span);
      }
    }
    const cpu = process.cpuUsage(c0);
    best = Math.min(best, (cpu.user + cpu.system) / 1000 / block);
    bestWall = Math.min(bestWall, (performance.now() - t0) / block);
  }
  console.log(`${what} ${target}: fastest block of ${block}: cpu ${best.toFixed(2)} ms, wall ${bestWall.toFixed(2)} ms per run`);
}
void main();
