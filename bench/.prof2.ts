import { readFileSync } from 'node:fs';
import { analyze, FileFacts } from '../core';
import { SequenceExtractor } from '../core/simulation/extract';
import { simulateCall } from '../core/simulation/run';
import { getParser } from '../test/support/core';
(async () => {
  const p = await getParser();
  const text = readFileSync(process.argv[2], 'latin1');
  const line = Number(process.argv[3]);
  for (let round = 0; round < 4; round++) {
    const facts = new FileFacts(p.parse(text), process.argv[2]);
    const { shared } = analyze(facts, { simulate: false });
    const lineStart = text.split('\n').slice(0, line - 1).join('\n').length + 1;
    const at = text.indexOf(process.argv[4] ?? 'kmalloc', lineStart);
    const fi = facts.functionAt(at);
    const site = shared.context.flows[fi].sites.find((s) => s.call.span.start <= at && at < s.call.span.end)!;
    let t = performance.now();
    new SequenceExtractor(facts, shared, shared.context).extract(fi, { span: site.call.span });
    const e = performance.now() - t;
    t = performance.now();
    simulateCall(shared, fi, site.call.span);
    console.log(`round ${round}: extract ${e.toFixed(1)} ms, simulateCall ${(performance.now() - t).toFixed(1)} ms`);
  }
})();
