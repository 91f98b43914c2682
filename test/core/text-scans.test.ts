/**
 * The per-keystroke text scans made fast (core/text/affixes.ts, LineIndex's line ends): they answer what the
 * plain character loops answer, on edits at every distance from the chunk boundaries and on texts with CR.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commonAffixes } from '../../core/text/affixes';
import { LineIndex } from '../../core/text/line-index';
import { lineStartOf } from '../../core/text/lines';

function naiveAffixes(a: string, b: string) {
  const max = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < max && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  return { prefix, suffix };
}

function naiveLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n') starts.push(i + 1);
    else if (text[i] === '\r') {
      if (text[i + 1] === '\n') i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** A deterministic pseudo-random sequence (the same cases every run). */
function* lcg(seed: number) {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    yield x;
  }
}

const driverLine = (i: number) => `\tif (!(buf${i % 7} = kmalloc(${i} * sizeof(struct foo), GFP_KERNEL)))\n\t\treturn -ENOMEM;\n`;

test('commonAffixes equals the character loops for inserts, deletes and replaces around chunk boundaries', () => {
  const base = Array.from({ length: 400 }, (_, i) => driverLine(i)).join('');
  const rnd = lcg(7);
  const next = (n: number) => rnd.next().value! % n;
  for (let k = 0; k < 600; k++) {
    // Edits near multiples of 256 from either end, and anywhere.
    const near =
      k % 3 === 0 ? 256 * next(base.length >> 8) + next(5) - 2 : k % 3 === 1 ? base.length - 256 * next(base.length >> 8) - next(5) : next(base.length);
    const at = Math.max(0, Math.min(base.length, near));
    const cut = next(4) === 0 ? next(600) : next(3);
    const ins = ['', 'x', '\t', 'kmalloc(', '\n\n', 'a'.repeat(next(300))][next(6)];
    const b = base.slice(0, at) + ins + base.slice(Math.min(base.length, at + cut));
    assert.deepEqual(commonAffixes(base, b), naiveAffixes(base, b), `edit at ${at}, cut ${cut}, insert ${JSON.stringify(ins)}`);
    assert.deepEqual(commonAffixes(b, base), naiveAffixes(b, base));
  }
  // Repeated characters: the prefix is taken first, and the suffix never overlaps it.
  for (const [a, b] of [
    ['a'.repeat(1000), 'a'.repeat(1001)],
    ['a'.repeat(513), 'a'.repeat(256)],
    ['', 'abc'],
    ['same', 'same'],
  ])
    assert.deepEqual(commonAffixes(a, b), naiveAffixes(a, b));
});

test('commonAffixes told of common affixes (any valid ones, up to the longest) answers the longest all the same', () => {
  const base = Array.from({ length: 200 }, (_, i) => driverLine(i)).join('');
  const rnd = lcg(11);
  const next = (n: number) => rnd.next().value! % n;
  for (let k = 0; k < 400; k++) {
    const at = next(base.length);
    const cut = next(3) === 0 ? next(300) : next(3);
    const ins = ['', 'x', 'kmalloc(', 'a'.repeat(next(100))][next(4)];
    const b = base.slice(0, at) + ins + base.slice(Math.min(base.length, at + cut));
    const longest = naiveAffixes(base, b);
    // What an editor's change says, or less: the edit's own range, or any shorter ends.
    const known = { prefix: next(longest.prefix + 1), suffix: next(longest.suffix + 1) };
    assert.deepEqual(commonAffixes(base, b, known), longest, `edit at ${at}, told ${JSON.stringify(known)}`);
    assert.deepEqual(commonAffixes(base, b, longest), longest);
  }
  // A suffix told beyond what the prefix leaves (an insert of the character before it) is cut to the room.
  assert.deepEqual(commonAffixes('ab', 'abb', { prefix: 1, suffix: 1 }), naiveAffixes('ab', 'abb'));
});

test('LineIndex finds the same line starts with and without carriage returns', () => {
  const lf = Array.from({ length: 50 }, (_, i) => driverLine(i)).join('');
  for (const text of [lf, lf.replace(/\n/g, '\r\n'), lf.replace(/\n/g, '\r'), `${lf}\r\nlast\rline`, '', '\n', 'no end of line']) {
    const index = new LineIndex(text);
    assert.deepEqual(index.lineStarts, naiveLineStarts(text));
    const mid = text.length >> 1;
    assert.equal(index.offsetAt(index.positionAt(mid)), mid);
  }
});

test('lineStartOf: the first line starts at 0, whatever follows (a `\\n` at offset 0 is not before it)', () => {
  assert.equal(lineStartOf('\nabc', 0), 0);
  assert.equal(lineStartOf('\nabc', 1), 1);
  assert.equal(lineStartOf('ab\ncd', 4), 3);
  assert.equal(lineStartOf('', 0), 0);
});
