/** Every rule against every fixture: the findings are exactly the @expect-labeled lines, no more, no fewer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, applyEdits, countSyntaxErrors, FileFacts, RULES } from '../../core';
import { diskEnv } from '../../server/node/headers';
import { getParser } from '../support/core';
import { lineOf, loadFixtures } from '../support/fixtures';

for (const fx of loadFixtures()) {
  test(`fixture ${fx.virtualPath}`, async () => {
    const parser = await getParser();
    const parsed = parser.parse(fx.text);
    const facts = new FileFacts(parsed, fx.virtualPath);
    // Local headers are read from the disk beside the fixture, as the CLI and the editor read them.
    const { findings, failures } = analyze(facts, { env: diskEnv(facts, fx.file) });
    assert.deepEqual(failures, []);
    const got = new Set(findings.map((f) => `${lineOf(fx.text, f.span.start)}:${f.rule}`));
    assert.deepEqual([...got].sort(), [...fx.expected].sort(), `findings in ${fx.virtualPath}`);
    // Every fix applies cleanly and never makes the file parse worse.
    const before = countSyntaxErrors(parsed.root);
    for (const f of findings) {
      for (const fix of f.fixes) {
        const fixed = applyEdits(fx.text, fix.edits);
        assert.notEqual(fixed, fx.text, `${fix.title} changes the text`);
        const re = parser.parse(fixed);
        assert.ok(countSyntaxErrors(re.root) <= before, `${fix.title} adds no ERROR nodes`);
        re.dispose();
      }
    }
    parsed.dispose();
  });
}

test('every rule has a doc beside its code and at least one fixture', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  for (const r of RULES) {
    const doc = path.join(__dirname, '..', '..', 'core', 'rules', `${r.id}.md`);
    assert.ok(fs.existsSync(doc), `${doc} exists`);
    assert.match(fs.readFileSync(doc, 'utf8'), new RegExp(`^# ${r.id}`), `${r.id}.md starts with its id`);
    const fixtures = loadFixtures().filter((f) => [...f.expected].some((e) => e.endsWith(`:${r.id}`)));
    assert.ok(fixtures.length > 0, `${r.id} has a positive fixture`);
  }
});
