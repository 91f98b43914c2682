/**
 * The editor's keystroke reparse (ParseOptions.speculative): a neutralize window around the edit and
 * tree-sitter's incremental result kept where an edit breaks clean code. Whatever it gives, settle() gives
 * a fresh parse's tree; a result marked exact is one; and the window agrees with a whole neutralize()
 * on nearly every edit of a file made of our fixtures.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { neutralize } from '../../core/parse/neutralize';
import { getParser } from '../support/core';
import { loadCorpus, rand } from '../fuzz/mutate';

const PIECES = [
  'x',
  ';',
  '{',
  '}',
  '(',
  ')',
  ' ',
  '\n',
  'kmalloc(16, GFP_KERNEL);',
  '__init ',
  '__attribute__((unused)) ',
  '/*',
  '*/',
  '"',
  'list_for_each(p, h) ',
  'err:',
  '#define X(a...) a\n',
];

test('speculative reparses of a 48 KB file: settle() always gives the fresh tree, and the neutralize window agrees with a whole neutralize', async () => {
  const p = await getParser();
  let text = loadCorpus()
    .map((c) => c.text)
    .join('\n');
  while (text.length < 48_000) text += '\n' + text;
  const r = rand(20261202);
  let parsed = p.parse(text);
  let windowed = 0;
  let agreed = 0;
  try {
    for (let i = 0; i < 100; i++) {
      const at = r.int(text.length);
      const del = r.int(3) === 0 ? r.int(6) : 0;
      text = text.slice(0, at) + (del && r.int(2) ? '' : r.pick(PIECES)) + text.slice(at + del);
      parsed = p.reparse(parsed, text, { speculative: true });
      const full = neutralize(text).text;
      if (parsed.unsettled.window) windowed++;
      if (parsed.parsedText === full) agreed++;
      const fresh = p.parse(text);
      try {
        if (parsed.exact) assert.equal(parsed.root.toString(), fresh.root.toString(), `edit ${i}: an exact reparse is the fresh tree`);
        if (i % 10 === 9) {
          parsed = p.settle(parsed);
          assert.equal(parsed.exact, true);
          assert.equal(parsed.parsedText, full);
          assert.equal(parsed.root.toString(), fresh.root.toString(), `edit ${i}: settle() gives the fresh tree`);
        }
      } finally {
        fresh.dispose();
      }
    }
  } finally {
    parsed.dispose();
  }
  // Edits inside a top-level ERROR that spans much of the text (the corpus has broken files) neutralize the whole text.
  assert.ok(windowed > 30, `edits that took the window: ${windowed} of 100`);
  assert.ok(agreed >= 97, `the window agreed with a whole neutralize on ${agreed} of 100 edits`);
});
