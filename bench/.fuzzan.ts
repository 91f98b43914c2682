import { analyze, FileFacts, RULES, triggerTest, parseForRules } from '../core';
import { CONTEXT_ANCHORS } from '../core/kernel/alloc-api';
import { getParser } from '../test/support/core';
(async () => {
  const { loadCorpus, mutant, rand } = await import('../test/fuzz/mutate');
  const parser = await getParser();
  const seed = triggerTest([...RULES, { triggers: [...CONTEXT_ANCHORS] } as any]);
  const r = rand(1125);
  const corpus = loadCorpus();
  for (let i = 0; i < 200; i++) {
    const text = mutant(r, corpus).text;
    const rules = parseForRules(parser, text, seed);
    if (i >= 50) { console.log('start', i, text.length); require('fs').writeFileSync('/tmp/fuzz-' + i + '.c', text); }
    const t = performance.now();
    analyze(new FileFacts(rules.parsed, 'fuzz.c'));
    const dt = performance.now() - t;
    if (dt > 200 || i % 50 === 0) console.log(i, dt.toFixed(0), 'ms', text.length);
    rules.parsed.dispose();
  }
})();
