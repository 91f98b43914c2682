/**
 * Every rule against every fixture: the findings are exactly the @expect-labeled lines, no more, no fewer; and
 * each finding's message and every fix's fixed text are what the fixture's golden file (`X.c.expect`) says.
 * `UPDATE_EXPECT=1 npm test` (or this file alone) rewrites the golden files: review them in the diff.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { analyze, applyEdits, countSyntaxErrors, FileFacts, RULES, type Finding } from '../../core';
import { unifiedDiff } from '../../server/check/diff';
import { diskEnv } from '../../server/node/headers';
import { getParser } from '../support/core';
import { lineOf, loadFixtures, OPT_IN_ON, type Fixture } from '../support/fixtures';

const UPDATE = !!process.env.UPDATE_EXPECT;

/** The golden text of a fixture: each finding (line:column, rule, severity, message), then each fix as a diff. */
function golden(fx: Fixture, findings: Finding[]): string {
  const out = [`# ${fx.virtualPath}: findings and the text of every fix (UPDATE_EXPECT=1 rewrites this file)`];
  for (const f of [...findings].sort((a, b) => a.span.start - b.span.start || a.rule.localeCompare(b.rule))) {
    const line = lineOf(fx.text, f.span.start);
    const col = f.span.start - fx.text.lastIndexOf('\n', f.span.start - 1);
    out.push('', `${line}:${col} ${f.rule} (${f.severity}): ${f.message}`);
    // Dead unless another file of the workspace defines one of the names (the CLI decides; see test/cli/dead-code.test.ts).
    if (f.deadUnless) out.push(`  dead unless a file defines ${f.deadUnless.names.join(' or ')}: ${f.deadUnless.reason}`);
    for (const fix of f.fixes) {
      out.push(`  fix${fix.preferred ? ' (preferred)' : ''}: ${fix.title}`);
      const diff = unifiedDiff(fx.virtualPath, fx.text, applyEdits(fx.text, fix.edits), 1)
        .split('\n')
        .filter((l) => l && !l.startsWith('---') && !l.startsWith('+++'));
      out.push(...diff.map((l) => `    ${l}`));
    }
  }
  return out.join('\n') + '\n';
}

/** Every fix applies, changes the text and never makes the file parse worse. */
function assertFixesSafe(parser: Awaited<ReturnType<typeof getParser>>, fx: Fixture, findings: Finding[], before: number): void {
  for (const f of findings) {
    for (const fix of f.fixes) {
      const fixed = applyEdits(fx.text, fix.edits);
      assert.notEqual(fixed, fx.text, `${fix.title} changes the text`);
      const re = parser.parse(fixed);
      assert.ok(countSyntaxErrors(re.root) <= before, `${fix.title} adds no ERROR nodes`);
      re.dispose();
    }
  }
}

function checkGolden(expectFile: string, text: string, what: string): void {
  if (UPDATE) fs.writeFileSync(expectFile, text);
  assert.ok(fs.existsSync(expectFile), `${expectFile} is missing: run UPDATE_EXPECT=1 node --import tsx --test test/core/rule-fixtures.test.ts and review it`);
  assert.equal(text, fs.readFileSync(expectFile, 'utf8'), `${what}: findings or fixed text differ from ${expectFile} (UPDATE_EXPECT=1 to accept)`);
}

for (const fx of loadFixtures()) {
  for (const [target, labels] of fx.targets) {
    test(`fixture ${fx.virtualPath} for a ${target} target`, async () => {
      const parser = await getParser();
      const parsed = parser.parse(fx.text);
      const facts = new FileFacts(parsed, fx.virtualPath);
      const { findings, failures } = analyze(facts, { env: diskEnv(facts, fx.file), config: { rules: { ...OPT_IN_ON }, target } });
      assert.deepEqual(failures, []);
      const got = new Set(findings.map((f) => `${lineOf(fx.text, f.span.start)}:${f.rule}`));
      for (const l of labels) assert.ok(got.has(l), `${fx.virtualPath} for ${target}: no ${l} finding (got ${[...got].join(', ')})`);
      assertFixesSafe(parser, fx, findings, countSyntaxErrors(parsed.root));
      parsed.dispose();
      checkGolden(`${fx.file}.target-${target}.expect`, golden(fx, findings), `${fx.virtualPath} for ${target}`);
    });
  }
  test(`fixture ${fx.virtualPath}`, async () => {
    const parser = await getParser();
    const parsed = parser.parse(fx.text);
    const facts = new FileFacts(parsed, fx.virtualPath);
    // Local headers are read from the disk beside the fixture, as the CLI and the editor read them.
    const { findings, failures } = analyze(facts, { env: diskEnv(facts, fx.file), config: { rules: { ...OPT_IN_ON } } });
    assert.deepEqual(failures, []);
    const got = new Set(findings.map((f) => `${lineOf(fx.text, f.span.start)}:${f.rule}`));
    assert.deepEqual([...got].sort(), [...fx.expected].sort(), `findings in ${fx.virtualPath}`);
    // Every fix applies cleanly and never makes the file parse worse.
    assertFixesSafe(parser, fx, findings, countSyntaxErrors(parsed.root));
    parsed.dispose();
    // The messages and fixed texts, against the golden file.
    checkGolden(`${fx.file}.expect`, golden(fx, findings), fx.virtualPath);
  });
}

test('every rule has a doc beside its code and at least one fixture', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  for (const r of RULES) {
    const doc = path.join(__dirname, '..', '..', 'core', 'rules', `${r.id}.md`);
    assert.ok(fs.existsSync(doc), `${doc} exists`);
    assert.match(fs.readFileSync(doc, 'utf8'), new RegExp(`^# ${r.id}`), `${r.id}.md starts with its id`);
    const fixtures = loadFixtures().filter((f) => [...f.expected, ...[...f.targets.values()].flatMap((l) => [...l])].some((e) => e.endsWith(`:${r.id}`)));
    assert.ok(fixtures.length > 0, `${r.id} has a positive fixture`);
  }
});
