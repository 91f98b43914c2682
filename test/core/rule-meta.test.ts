/**
 * What a rule's meta declares (core/rules/types.ts RuleSpec, made into a Rule by defineRule()) against what
 * it does on our fixtures, through the real parser and analysis:
 * - `fixable`: a rule that leaves it out never returns a fix; one that says 'code' offers fixes on its fixtures.
 * - `messages`: every template is the message of some finding (its `{{placeholders}}` filled in), so no id is dead.
 * - `docs`: the path names the doc beside the rule, starting with its id.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyze, FileFacts, RULES, type Finding } from '../../core';
import { formatMessage } from '../../core/rules/define';
import { diskEnv } from '../../server/node/headers';
import { getParser } from '../support/core';
import { loadFixtures, OPT_IN_ON, ourSources } from '../support/fixtures';
import { ROOT } from '../support/lsp-client';

/** Every finding on every C file we wrote (fixtures with the local headers beside them, as the CLI reads them). */
/** The latest target kport knows (the later-kernel rules report only past 2.6). */
const LATEST = { rules: { ...OPT_IN_ON }, target: '6.1' };
/** The article's target, with the opt-in rules on (each rule's findings are wanted here). */
const ARTICLE = { rules: { ...OPT_IN_ON } };

async function allFindings(): Promise<Finding[]> {
  const parser = await getParser();
  const out: Finding[] = [];
  for (const { file, text } of ourSources()) {
    const parsed = parser.parse(text);
    try {
      const facts = new FileFacts(parsed, file);
      // The article's target and the latest: rules about later kernels fire only for the latter.
      for (const config of [ARTICLE, LATEST]) out.push(...analyze(facts, { env: diskEnv(facts, path.join(ROOT, file)), config }).findings);
    } finally {
      parsed.dispose();
    }
  }
  return out;
}

const findings = allFindings();

test('a rule declaring no fix never returns one; a rule declaring fixes offers them on its fixtures', async () => {
  const all = await findings;
  const parser = await getParser();
  for (const rule of RULES) {
    const own = all.filter((f) => f.rule === rule.id);
    assert.ok(own.length > 0, `${rule.id} fires on our sources`);
    if (rule.fixable === undefined) {
      assert.deepEqual(
        own.filter((f) => f.fixes.length > 0).map((f) => f.message),
        [],
        `${rule.id} declares no fix`,
      );
      continue;
    }
    // Its labeled fixtures (the ones that expect it) offer at least one fix.
    let fixes = 0;
    for (const fx of loadFixtures().filter((f) => [...f.expected, ...[...f.targets.values()].flatMap((l) => [...l])].some((e) => e.endsWith(`:${rule.id}`)))) {
      const parsed = parser.parse(fx.text);
      try {
        const facts = new FileFacts(parsed, fx.virtualPath);
        fixes += analyze(facts, { only: [rule.id], env: diskEnv(facts, fx.file), config: rule.fromTarget ? LATEST : ARTICLE }).findings.reduce(
          (n, f) => n + f.fixes.length,
          0,
        );
      } finally {
        parsed.dispose();
      }
    }
    assert.ok(fixes > 0, `${rule.id} declares fixable 'code' and offers no fix on its fixtures`);
  }
});

/** A template as a pattern: its text literally, each placeholder any text. */
const templatePattern = (template: string) =>
  new RegExp(
    `^${template
      .split(/\{\{\s*\w+\s*\}\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^]*')}$`,
  );

test('every message id of a rule is the message of some finding of it', async () => {
  const all = await findings;
  let ids = 0;
  for (const rule of RULES) {
    const messages = all.filter((f) => f.rule === rule.id).map((f) => f.message);
    for (const [id, template] of Object.entries(rule.messages)) {
      ids++;
      const pattern = templatePattern(template);
      // The simulated verdict analyze() may append follows the message on a new paragraph.
      assert.ok(
        messages.some((m) => pattern.test(m.split('\n\n')[0])),
        `${rule.id}/${id} is the message of no finding: ${template}`,
      );
    }
  }
  assert.ok(ids >= 10, `${ids} message ids checked`);
});

test('formatMessage fills placeholders and refuses a placeholder without data', () => {
  assert.equal(formatMessage('create {{pool}} with {{ n }} elements', { pool: 'p', n: 4 }, 't'), 'create p with 4 elements');
  assert.equal(formatMessage('a $& b {{x}}', { x: '$1' }, 't'), 'a $& b $1');
  assert.throws(() => formatMessage('use {{what}}', {}, 'rule/id'), /rule\/id: no data for \{\{what\}\}/);
});

test("a rule's docs path is the doc beside it, starting with its id", () => {
  for (const rule of RULES) {
    assert.equal(rule.docs.path, `core/rules/${rule.id}.md`);
    assert.match(fs.readFileSync(path.join(ROOT, rule.docs.path), 'utf8'), new RegExp(`^# ${rule.id}\\b`));
  }
});
