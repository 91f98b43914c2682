/** A call's paths run together (simulateShared): each path's results are those of its ops run alone. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyze, FileFacts } from '../../core';
import { simulate, type SimResult } from '../../core/sim';
import { allocationSites, clearSimulationResults, machineOf, simulateCall, simulateFunction } from '../../core/simulation/run';
import { SCENARIOS } from '../../core/simulation/scenarios';
import { getParser } from '../support/core';

const FIXTURES = path.join(__dirname, '../fixtures/simulation');

/** A result's steps but the leaks (a call's results drop the leaks of refs owned elsewhere), and its leaks apart. */
const split = (r: SimResult) => ({
  steps: JSON.stringify(r.steps.filter((s) => s.outcome.kind !== 'leak')),
  leaks: r.steps.filter((s) => s.outcome.kind === 'leak').map((s) => JSON.stringify(s)),
});

test('every call of the simulation fixtures: each path in each scenario as its ops run alone give it', async () => {
  const parser = await getParser();
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.c'));
  let compared = 0;
  let sharedSteps = 0;
  for (const file of files) {
    const parsed = parser.parse(fs.readFileSync(path.join(FIXTURES, file), 'latin1'));
    try {
      const facts = new FileFacts(parsed, file);
      const { shared } = analyze(facts, { simulate: false });
      const machine = machineOf(shared);
      clearSimulationResults();
      for (let fi = 0; fi < facts.functions.length; fi++) {
        const sims = allocationSites(shared, fi).map((site) => simulateCall(shared, fi, site.call.span));
        // The whole function's runs too: traced, with snapshots (the view's).
        const whole = allocationSites(shared, fi).length ? [{ ...simulateFunction(shared, fi, 'all'), snapshots: 'all' as const, trace: true }] : [];
        for (const c of [...sims.map((s) => ({ ...s, snapshots: 'none' as const, trace: 'outcomes' as const })), ...whole]) {
          for (const p of c.paths) {
            for (const sc of SCENARIOS) {
              const opts = {
                scenario: machine.scenarios[sc],
                machine: machine.config,
                context: c.initialContext,
                setup: c.setup,
                snapshots: c.snapshots,
                trace: c.trace,
              };
              const alone = split(simulate(p.ops, opts));
              const got = split(p.results[sc]);
              assert.equal(got.steps, alone.steps, `${file}: ${c.fn}, ${sc}`);
              for (const leak of got.leaks) assert.ok(alone.leaks.includes(leak), `${file}: ${c.fn}, ${sc}: ${leak}`);
              compared++;
            }
          }
          // Steps two paths share at their start are one result object (run once).
          for (const sc of SCENARIOS)
            if (c.paths.length > 1 && c.paths[0].ops[0] === c.paths[1].ops[0] && c.paths[0].ops.length && c.paths[1].ops.length) {
              assert.equal(c.paths[0].results[sc].steps[0], c.paths[1].results[sc].steps[0]);
              sharedSteps++;
            }
        }
      }
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(compared > 200, `${compared} path runs compared`);
  assert.ok(sharedSteps > 0, 'some paths share their first step');
});
