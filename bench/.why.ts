import { readFileSync } from 'node:fs';
import { analyze, FileFacts } from '../core';
import { SequenceExtractor } from '../core/simulation/extract';
import { getParser } from '../test/support/core';
(async () => {
  const p = await getParser();
  const text = readFileSync(process.argv[2], 'latin1');
  const facts = new FileFacts(p.parse(text), process.argv[2]);
  const { shared } = analyze(facts, { simulate: false });
  const line = Number(process.argv[3]);
  const lineStart = text.split('\n').slice(0, line - 1).join('\n').length + 1;
  const at = text.indexOf(process.argv[4] ?? 'kmalloc', lineStart);
  const fi = facts.functionAt(at);
  const site = shared.context.flows[fi].sites.find((s) => s.call.span.start <= at && at < s.call.span.end)!;
  const ex = new SequenceExtractor(facts, shared, shared.context).extract(fi, { span: site.call.span });
  console.log(facts.functions[fi].name, 'paths', ex.paths.length, 'missed:', ex.goalMissed, 'trunc', ex.truncated);
})();
