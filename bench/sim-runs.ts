/**
 * The simulator runs behind one call's hover, timed apart: what a run costs with no ops (machine, scenario,
 * setup, finish) against the runs themselves, and the runs as a hover makes them (simulateShared: the steps the
 * sequences share at their start once, per scenario). Usage: node --import tsx bench/sim-runs.ts FILE:LINE [N]
 */
import fs from 'node:fs';
import { simulate, simulateShared } from '../core/sim';
import { SCENARIOS } from '../core/simulation/scenarios';
import { allocationSites, callExtractor, machineOf, simulateCall } from '../core/simulation/run';
import { UNKNOWN_SIZE_RANGE } from '../core/simulation/extract';
import { analyzeOnDisk, getParser, lineOffset } from './site-support';

async function main() {
  const [target, n = '50'] = process.argv.slice(2);
  const [file, lineText] = target.split(/:(?=\d+$)/);
  const text = fs.readFileSync(file, 'latin1');
  const { facts, shared } = analyzeOnDisk(await getParser(), text, file);
  const fi = facts.functionAt(lineOffset(text, Number(lineText)));
  const site = allocationSites(shared, fi).find((s) => facts.lineOf(s.call.span.start) === Number(lineText))!;
  const reason = shared.context.siteReason(site, fi);
  const ex = callExtractor(shared).extract(fi, {
    span: site.call.span,
    context: reason ? { kind: 'atomic', reason: reason.message } : { kind: 'process', reason: 'process context (may sleep)' },
  });
  const machine = machineOf(shared);
  const unknown = simulateCall(shared, fi, site.call.span).unknownSize;
  // As simulateCallAnew: each path, then for an unknown size each path's prefix up to the call at each size.
  const variants = unknown
    ? UNKNOWN_SIZE_RANGE.flatMap(({ size }) =>
        ex.paths.map((p) => {
          const upTo = Math.max(...p.goalOps) + 1;
          return p.ops.slice(0, upTo).map((op, i) => (p.goalOps.includes(i) && op.op === 'kmalloc' ? { ...op, size } : op));
        }),
      )
    : [];
  const distinct = [...new Map([...ex.paths.map((p) => p.ops), ...variants].map((o) => [JSON.stringify(o), o])).values()];
  const runs = distinct.flatMap((ops) => SCENARIOS.map((sc) => ({ ops, sc })));
  const opts = (sc: (typeof SCENARIOS)[number]) =>
    ({ scenario: machine.scenarios[sc], machine: machine.config, context: ex.initialContext, setup: ex.setup, snapshots: 'none', trace: true }) as const;
  const time = (label: string, f: () => void) => {
    let best = Infinity;
    for (let b = 0; b < 10; b++) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < Number(n) / 10; i++) f();
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / 1000 / (Number(n) / 10));
    }
    console.log(`${label}: ${best.toFixed(3)} ms cpu`);
  };
  const ops = runs.reduce((a, r) => a + r.ops.length, 0);
  console.log(`${target}: ${ex.paths.length} paths, unknown size ${unknown ?? 'no'}, ${runs.length} runs, ${ops} ops, setup ${ex.setup.length} ops`);
  time('all runs', () => runs.forEach((r) => simulate(r.ops, opts(r.sc))));
  time('same runs without ops', () => runs.forEach((r) => simulate([], opts(r.sc))));
  time('same runs, trace outcomes', () => runs.forEach((r) => simulate(r.ops, { ...opts(r.sc), trace: 'outcomes' })));
  time('same runs, trace false', () => runs.forEach((r) => simulate(r.ops, { ...opts(r.sc), trace: false })));
  time("same runs shared, trace outcomes (a hover's)", () => SCENARIOS.forEach((sc) => simulateShared(distinct, { ...opts(sc), trace: 'outcomes' })));
}
void main();
