import { readFileSync } from 'node:fs';
import { analyze, FileFacts } from '../core';
import { simulateDriver } from '../core/simulation/driver';
import { getParser } from '../test/support/core';
(async () => {
  const p = await getParser();
  const text = readFileSync(process.argv[2], 'latin1');
  const facts = new FileFacts(p.parse(text), process.argv[2]);
  const { shared } = analyze(facts, { simulate: false });
  const t = performance.now();
  const d = simulateDriver(shared, process.argv[2]);
  console.log('ms', (performance.now() - t).toFixed(1));
  console.log(d.phases.map((p) => `${p.kind} ${p.fn} ×${p.runs} (${p.how})`).join('\n'));
  console.log('skipped', d.skipped, 'chosen', JSON.stringify(d.chosen));
  for (const c of d.calls) console.log(c.line, c.call, c.fn, Object.entries(c.verdicts!).map(([k, v]) => `${k}:${v.kind}`).join(' '));
  for (const pr of d.problems) console.log('PROBLEM', pr.kind, pr.scenarios.join(','), pr.message);
})();
