import { readFileSync } from 'node:fs';
import { analyze, FileFacts } from '../core';
import { getParser } from '../test/support/core';
(async () => {
  const p = await getParser();
  const text = readFileSync(process.argv[2], 'latin1');
  const parsed = p.parse(text);
  let t = performance.now();
  const facts = new FileFacts(parsed, 'fuzz.c');
  void facts.functions;
  console.log('facts', (performance.now() - t).toFixed(0));
  t = performance.now();
  const r = analyze(facts, { simulate: false });
  console.log('rules', (performance.now() - t).toFixed(0), r.findings.length, r.findings.filter((f) => f.simulate).length);
  t = performance.now();
  for (const f of r.findings) if (f.simulate) { const t1 = performance.now(); const { simulatedVerdict } = await import('../core/simulation/for-rules'); simulatedVerdict(r.shared, f.simulate.fnIndex, f.simulate.span); console.log('  verdict', f.rule, facts.lineOf(f.span.start), (performance.now() - t1).toFixed(0)); }
  console.log('verdicts', (performance.now() - t).toFixed(0));
})();
