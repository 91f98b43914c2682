/**
 * Where a hover's time goes, in process: for each FILE:LINE, the hover on the call's name (hoverAt, as the
 * language server answers it) on a fresh analysis of the file, split into the goal-directed extraction, the
 * call's simulation (simulateCall: the extraction again plus the simulator runs) and the rest (the hover's
 * text, the file's token scan); CPU time beside wall time; then the same hover after another call of the same
 * function was hovered ("second in function"). The simulator's results cache is emptied before each cold run.
 * Usage: node --import tsx bench/hover-split.ts FILE:LINE... [--repeat N]
 */
import fs from 'node:fs';
import { hoverAt } from '../core/hover';
import { SequenceExtractor } from '../core/simulation/extract';
import { allocationSites, clearSimulationResults, simulateCall } from '../core/simulation/run';
import { analyzeOnDisk, getParser, lineOffset } from './site-support';

const repeat = (() => {
  const i = process.argv.indexOf('--repeat');
  return i > 0 ? Number(process.argv[i + 1]) : 5;
})();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

function timed<T>(f: () => T): { value: T; ms: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0, cpu: cpuMs(process.cpuUsage(c0)) };
}

async function main() {
  const parser = await getParser();
  const targets = process.argv.slice(2).filter((a, i, all) => a.includes(':') && all[i - 1] !== '--repeat');
  for (const target of targets) {
    const [file, lineText] = target.split(/:(?=\d+$)/);
    const text = fs.readFileSync(file, 'latin1');
    const fresh = () => analyzeOnDisk(parser, text, file);
    const { facts, shared } = fresh();
    const offset = lineOffset(text, Number(lineText));
    const fi = facts.functionAt(offset);
    const sites = allocationSites(shared, fi);
    const site = sites.find((s) => facts.lineOf(s.call.span.start) === Number(lineText));
    if (!site) throw new Error(`${target}: no allocation call on that line`);
    const other = sites.find((s) => s !== site);
    const rows: Record<string, number[]> = { hover: [], hoverCpu: [], extract: [], call: [], second: [], secondCpu: [] };
    for (let r = 0; r < repeat; r++) {
      // Extraction alone (what simulateCall spends before the simulator runs), on its own analysis.
      const b = fresh();
      const reason = b.shared.context.siteReason(site, fi);
      rows.extract.push(
        timed(() =>
          new SequenceExtractor(b.facts, b.shared, b.shared.context).extract(fi, {
            span: site.call.span,
            context: reason ? { kind: 'atomic', reason: reason.message } : { kind: 'process', reason: 'process context (may sleep)' },
          }),
        ).ms,
      );
      const c = fresh();
      clearSimulationResults();
      rows.call.push(timed(() => simulateCall(c.shared, fi, site.call.span)).ms);
      const a = fresh();
      clearSimulationResults();
      const h = timed(() => hoverAt(a.facts, site.call.nameSpan.start, a.shared.env, a.shared));
      rows.hover.push(h.ms);
      rows.hoverCpu.push(h.cpu);
      // Second in function: another call of the same function was hovered first.
      const w = fresh();
      clearSimulationResults();
      if (other) hoverAt(w.facts, other.call.nameSpan.start, w.shared.env, w.shared);
      const s = timed(() => hoverAt(w.facts, site.call.nameSpan.start, w.shared.env, w.shared));
      rows.second.push(s.ms);
      rows.secondCpu.push(s.cpu);
    }
    const m = (k: string) => median(rows[k]).toFixed(1);
    console.log(
      `${target} (${facts.functions[fi].name}(), ${sites.length} allocation calls): hover ${m('hover')} ms (cpu ${m('hoverCpu')}) = extraction ${m('extract')} + simulator ${(median(rows.call) - median(rows.extract)).toFixed(1)} + rest ${(median(rows.hover) - median(rows.call)).toFixed(1)}; second in function ${other ? `${m('second')} ms (cpu ${m('secondCpu')})` : '-'}`,
    );
  }
}

void main();
