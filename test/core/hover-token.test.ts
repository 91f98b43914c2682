/**
 * The hover finds the allocation-API or GFP name under the cursor by confirming that one word at its place (tokenAt:
 * one descent in the tree), not by scanning the file for names: the same token at every offset of every rule
 * fixture as a scan for all the names finds, and no scan of the file for a hover.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyze, FileFacts } from '../../core';
import { GFP_BITS, GFP_MASKS, GONE_IN_26 } from '../../core/gfp/flags';
import { hoverAt, tokenAt } from '../../core/hover';
import { KB_NAMES } from '../../core/kernel/kb';
import { getParser } from '../support/core';
import { ROOT } from '../support/lsp-client';

const FIXTURES = path.join(ROOT, 'test/fixtures/rules');
const fixtures = fs
  .readdirSync(FIXTURES)
  .flatMap((rule) => fs.readdirSync(path.join(FIXTURES, rule)).flatMap((f) => (f.endsWith('.c') ? [path.join(FIXTURES, rule, f)] : [])));

const GFP_NAMES = [...Object.keys(GFP_BITS), ...Object.keys(GFP_MASKS), ...Object.keys(GONE_IN_26)];

test('tokenAt finds, at every offset of every rule fixture, the token a scan for all the names finds there', async () => {
  const parser = await getParser();
  let found = 0;
  for (const file of fixtures) {
    const parsed = parser.parse(fs.readFileSync(file, 'utf8'));
    try {
      const facts = new FileFacts(parsed, file);
      for (const names of [KB_NAMES, GFP_NAMES]) {
        const all = facts.tokens(names);
        const set = new Set(names);
        for (let offset = 0; offset <= facts.text.length; offset++) {
          const want = all.find((t) => t.span.start <= offset && offset <= t.span.end);
          assert.deepEqual(tokenAt(facts, offset, set), want, `${path.relative(ROOT, file)} at ${offset}`);
          if (want) found++;
        }
      }
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(found > 1000, `offsets on a name: ${found}`);
});

test('a hover on a call scans the file for no name: the word under the cursor is confirmed where it is', async () => {
  // Ours: an allocation, its mask from a #define, and a name of the API in a comment (not code).
  const text = [
    '#include <linux/slab.h>',
    '#define BUF_GFP GFP_KERNEL',
    '/* kmalloc() in a comment */',
    'static char *buf_get(void)',
    '{',
    '\treturn kmalloc(512, BUF_GFP);',
    '}',
    '',
  ].join('\n');
  const parsed = (await getParser()).parse(text);
  try {
    const facts = new FileFacts(parsed, 'drivers/x/buf.c');
    const { shared } = analyze(facts, { simulate: false });
    const asked: number[] = [];
    const tokens = facts.tokens.bind(facts);
    facts.tokens = (names) => {
      asked.push(names.length);
      return tokens(names);
    };
    const at = text.indexOf('kmalloc(512') + 2;
    const h = hoverAt(facts, at, {}, shared);
    assert.match(h!.markdown, /kmalloc/);
    assert.deepEqual(asked, [], 'scans of the file for names');
    assert.equal(hoverAt(facts, text.indexOf('kmalloc() in a comment') + 2, {}, shared), null, 'a name in a comment is no token');
  } finally {
    parsed.dispose();
  }
});
