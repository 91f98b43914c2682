/**
 * Fix safety (issue 8): applying an offered fix, or the fix-all, never changes a byte outside the
 * fix's edit ranges — checked piecewise (prefix, the gaps between edits, suffix) against the original,
 * over the fixtures and fast-check mutations of them. Edits within one fix must not overlap
 * (applyEdits would silently drop one, leaving half a fix).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyze, applyEdits, FileFacts, type Finding } from '../../core';
import { preferredEdits } from '../../core/fix';
import { fuzzParser, outsideEditsUnchanged } from '../fuzz/harness';
import { loadCorpus, MUTATIONS, HEAVY, rand } from '../fuzz/mutate';

const corpus = loadCorpus();

async function findingsOf(text: string): Promise<Finding[]> {
  const p = await fuzzParser();
  const parsed = p.parse(text);
  try {
    return analyze(new FileFacts(parsed, 'drivers/fix/safety.c'), { simulate: false }).findings;
  } finally {
    parsed.dispose();
  }
}

async function checkText(text: string): Promise<number> {
  const findings = await findingsOf(text);
  let checked = 0;
  for (const f of findings)
    for (const fix of f.fixes) {
      const problem = outsideEditsUnchanged(text, applyEdits(text, fix.edits), fix.edits);
      assert.equal(problem, null, `${f.rule} "${fix.title}"`);
      checked++;
    }
  const all = preferredEdits(findings);
  assert.equal(outsideEditsUnchanged(text, applyEdits(text, all.edits), all.edits), null, 'fix-all');
  return checked;
}

test('every fix of every fixture changes only the bytes in its edit ranges', async () => {
  let n = 0;
  for (const c of corpus) n += await checkText(c.text);
  assert.ok(n > 20, `only ${n} fixes checked`);
});

test('property: fixes on mutated fixtures change only the bytes in their edit ranges', async () => {
  const light = Object.keys(MUTATIONS).filter((m) => !HEAVY.has(m));
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: corpus.length - 1 }),
      fc.integer({ min: 0, max: corpus.length - 1 }),
      fc.array(fc.constantFrom(...light), { minLength: 1, maxLength: 3 }),
      fc.integer(),
      async (a, b, ops, seed) => {
        const r = rand(seed);
        let text = corpus[a].text;
        for (const op of ops) text = MUTATIONS[op](r, text, corpus[b].text);
        await checkText(text);
      },
    ),
    { numRuns: 150, seed: 8 },
  );
});

test('property: the checker itself catches a byte changed outside an edit', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 2, maxLength: 60 }), fc.nat(), fc.nat(), (text, x, y) => {
      const start = x % text.length;
      const end = start + (y % (text.length - start));
      const edits = [{ start, end, newText: 'NEW' }];
      const good = applyEdits(text, edits);
      assert.equal(outsideEditsUnchanged(text, good, edits), null);
      const at = end < text.length ? good.length - 1 : 0; // a byte of the suffix, or of the prefix
      if (end < text.length || start > 0) {
        const bad = good.slice(0, at) + String.fromCharCode(good.charCodeAt(at) ^ 1) + good.slice(at + 1);
        assert.notEqual(outsideEditsUnchanged(text, bad, edits), null);
      }
    }),
  );
});
