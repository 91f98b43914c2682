/**
 * Precision and recall per rule over the labeled set: every `@expect RULE` line in the fixtures is a
 * finding, every `@ok RULE` line a deliberate non-finding. Fails when either metric drops below 1.0
 * for a rule, or when the set shrinks below 40 findings and 40 non-findings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, FileFacts, RULE_IDS } from '../../core';
import { diskEnv } from '../../server/node/headers';
import { getParser } from '../support/core';
import { lineOf, loadFixtures, OPT_IN_ON } from '../support/fixtures';

test('labeled set: precision and recall per rule', async () => {
  const parser = await getParser();
  const stats = new Map(RULE_IDS.map((r) => [r, { tp: 0, fp: 0, fn: 0, tn: 0, negatives: 0 }]));
  let findings = 0;
  let nonFindings = 0;
  for (const fx of loadFixtures()) {
    const parsed = parser.parse(fx.text);
    const facts = new FileFacts(parsed, fx.virtualPath);
    const got = new Set(
      analyze(facts, { env: diskEnv(facts, fx.file), config: { rules: { ...OPT_IN_ON } } }).findings.map((f) => `${lineOf(fx.text, f.span.start)}:${f.rule}`),
    );
    parsed.dispose();
    for (const key of new Set([...got, ...fx.expected])) {
      const s = stats.get(key.split(':')[1])!;
      if (got.has(key) && fx.expected.has(key)) s.tp++;
      else if (got.has(key)) s.fp++;
      else s.fn++;
    }
    for (const key of fx.negatives) {
      const s = stats.get(key.split(':')[1]);
      assert.ok(s, `unknown rule in @ok label ${key} (${fx.virtualPath})`);
      s.negatives++;
      if (!got.has(key)) s.tn++;
    }
    findings += fx.expected.size;
    nonFindings += fx.negatives.size;
  }
  const rows = [...stats].map(([rule, s]) => {
    const precision = s.tp + s.fp ? s.tp / (s.tp + s.fp) : 1;
    const recall = s.tp + s.fn ? s.tp / (s.tp + s.fn) : 1;
    return { rule, ...s, precision: +precision.toFixed(3), recall: +recall.toFixed(3) };
  });
  console.table(rows);
  console.log(`labeled set: ${findings} findings, ${nonFindings} non-findings`);
  assert.ok(findings >= 40, `at least 40 labeled findings (have ${findings})`);
  assert.ok(nonFindings >= 40, `at least 40 labeled non-findings (have ${nonFindings})`);
  for (const r of rows) {
    assert.equal(r.precision, 1, `${r.rule} precision`);
    assert.equal(r.recall, 1, `${r.rule} recall`);
    assert.equal(r.tn, r.negatives, `${r.rule} stays silent on its labeled non-findings`);
  }
});
