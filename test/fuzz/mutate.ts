/**
 * Seeded mutations of C sources for the fuzz harness. Deterministic: the same seed and corpus give the
 * same mutants, so any crash is reproducible from `--seed N --iterations K` (the failing iteration is
 * reported with its mutation names).
 */
import fs from 'node:fs';
import path from 'node:path';
import { prng } from '../../core/sim';
import { ROOT } from '../support/lsp-client';

/** The simulator's seeded PRNG (mulberry32), shared so mutants stay reproducible from a seed. */
export const rng = prng;

export interface Rand {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

export function rand(seed: number): Rand {
  const r = rng(seed);
  return { next: r, int: (n) => Math.floor(r() * n), pick: (xs) => xs[Math.floor(r() * xs.length)] };
}

/** Every test/fixtures/**\/*.c and examples/*.c, read as Latin-1 (lossless, as the CLI falls back to). */
export function loadCorpus(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.c')) out.push({ name: path.relative(ROOT, p), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(path.join(ROOT, 'test', 'fixtures'));
  walk(path.join(ROOT, 'examples'));
  return out;
}

const lines = (t: string) => t.split('\n');
const at = (r: Rand, t: string) => r.int(t.length + 1);

function randomChar(r: Rand): string {
  const k = r.int(8);
  if (k === 0) return String.fromCharCode(0xd800 + r.int(0x400)); // lone high surrogate
  if (k === 1) return String.fromCharCode(0xdc00 + r.int(0x400)); // lone low surrogate
  if (k === 2) return String.fromCodePoint(0x10000 + r.int(0xfffff)); // astral pair
  if (k === 3) return '\0';
  if (k === 4) return String.fromCharCode(0x80 + r.int(0x80)); // C1 / Latin-1 range
  if (k === 5) return r.pick(['\u2028', '\u2029', '\ufeff', '\u00a0', '\u200b', '\ufffd', '\r', '\t', '\\']);
  if (k === 6) return String.fromCharCode(r.int(0x10000));
  return r.pick(['{', '}', '(', ')', ';', '#', '"', "'", '/*', '*/', '//', ',', '*', '&', '|', '?', ':']);
}

export type Mutation = (r: Rand, text: string, other: string) => string;

export const MUTATIONS: Record<string, Mutation> = {
  byteFlips(r, t) {
    const cs = t.split('');
    for (let n = 1 + r.int(16); n > 0 && cs.length; n--) {
      const i = r.int(cs.length);
      cs[i] = String.fromCharCode((cs[i].charCodeAt(0) ^ (1 << r.int(8))) & 0xff);
    }
    return cs.join('');
  },
  truncate: (r, t) => t.slice(0, at(r, t)),
  truncateFront: (r, t) => t.slice(at(r, t)),
  splice: (r, t, o) => t.slice(0, at(r, t)) + o.slice(at(r, o)),
  spliceMiddle(r, t, o) {
    const a = at(r, o);
    return t.slice(0, at(r, t)) + o.slice(a, a + r.int(2000)) + t.slice(at(r, t));
  },
  deleteBraces(r, t) {
    const ch = r.pick(['{', '}', '(', ')', '[', ']']);
    const idx: number[] = [];
    for (let i = t.indexOf(ch); i !== -1; i = t.indexOf(ch, i + 1)) idx.push(i);
    const drop = new Set<number>();
    for (let n = 1 + r.int(4); n > 0 && idx.length; n--) drop.add(r.pick(idx));
    return t
      .split('')
      .filter((_, i) => !drop.has(i))
      .join('');
  },
  preprocessor(r, t) {
    const ls = lines(t);
    for (let n = 1 + r.int(4); n > 0; n--)
      ls.splice(
        r.int(ls.length + 1),
        0,
        r.pick([
          '#if 0',
          '#endif',
          '#else',
          '#ifdef CONFIG_X',
          '#elif 1',
          '#if 1',
          '#define kmalloc(a, b) foo',
          '#include <linux/slab.h>',
          '#',
          '#if 0 /* unterminated',
        ]),
      );
    return ls.join('\n');
  },
  unicode(r, t) {
    let out = t;
    for (let n = 1 + r.int(12); n > 0; n--) {
      const i = at(r, out);
      out = out.slice(0, i) + randomChar(r) + out.slice(i);
    }
    return out;
  },
  nul(r, t) {
    let out = t;
    for (let n = 1 + r.int(6); n > 0; n--) {
      const i = at(r, out);
      out = out.slice(0, i) + '\0'.repeat(1 + r.int(3)) + out.slice(i);
    }
    return out;
  },
  hugeLine(r, t) {
    const unit = r.pick(['x', 'kmalloc(n, GFP_KERNEL); ', 'a+', ' ', '/* c */', '"s"', 'GFP_ATOMIC|']);
    const line = unit.repeat(Math.ceil((1 << 20) / unit.length));
    const ls = lines(t);
    ls.splice(r.int(ls.length + 1), 0, line);
    return ls.join('\n');
  },
  nestedParens(r, t) {
    const n = 20000;
    const body = `void deep(void) { int x = ${'('.repeat(n)}kmalloc(4, GFP_KERNEL)${r.next() < 0.5 ? ')'.repeat(n) : ''}; }\n`;
    const i = r.next() < 0.5 ? t.length : t.lastIndexOf('\n', at(r, t)) + 1;
    return t.slice(0, i) + body + t.slice(i);
  },
  nestedBraces(r, t) {
    const n = 5000;
    const body = `void deepb(void) ${'{ '.repeat(n)}p = kmalloc(4, GFP_ATOMIC);${r.next() < 0.5 ? ' }'.repeat(n) : ''}\n`;
    const i = r.next() < 0.5 ? t.length : t.lastIndexOf('\n', at(r, t)) + 1;
    return t.slice(0, i) + body + t.slice(i);
  },
  crlf: (_r, t) => t.replace(/\n/g, '\r\n'),
  cr: (_r, t) => t.replace(/\n/g, '\r'),
  mixedEol: (r, t) => t.replace(/\n/g, () => r.pick(['\n', '\r\n', '\r', '\n\r'])),
  latin1(r, t) {
    // The UTF-8 bytes of the file, decoded as Latin-1 (what a 2.4 tree in ISO-8859-1 looks like to us).
    const bytes = Buffer.from(t, 'utf8');
    for (let n = r.int(6); n > 0; n--) bytes[r.int(bytes.length || 1)] = 0x80 + r.int(0x80);
    return bytes.toString('latin1');
  },
  duplicateLines(r, t) {
    const ls = lines(t);
    const i = r.int(ls.length);
    const k = 1 + r.int(30);
    ls.splice(r.int(ls.length), 0, ...ls.slice(i, i + k));
    return ls.join('\n');
  },
  deleteLines(r, t) {
    const ls = lines(t);
    ls.splice(r.int(ls.length), 1 + r.int(10));
    return ls.join('\n');
  },
  protoNames(r, t) {
    // Identifiers renamed to Object.prototype members: name-keyed tables must not answer for them.
    const names = ['valueOf', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'isPrototypeOf', 'toLocaleString', '__defineGetter__'];
    let left = 1 + r.int(8);
    return t.replace(/\b[A-Za-z_]\w*\b/g, (id) => (left > 0 && r.next() < 0.05 && left-- > 0 ? r.pick(names) : id));
  },
  empty: () => '',
};

export const MUTATION_NAMES = Object.keys(MUTATIONS);
/** Mutations whose output is ~1 MB or deeply nested: slow on purpose, so picked less often. */
export const HEAVY = new Set(['hugeLine', 'nestedParens', 'nestedBraces']);

/** One mutant: 1–3 stacked mutations of a corpus file (heavy ones at most once, ~5% of mutants). */
export function mutant(r: Rand, corpus: readonly { name: string; text: string }[]): { text: string; base: string; ops: string[] } {
  const base = r.pick(corpus);
  let text = base.text;
  const ops: string[] = [];
  const light = MUTATION_NAMES.filter((m) => !HEAVY.has(m));
  for (let n = 1 + r.int(3); n > 0; n--) {
    const name = r.next() < 0.05 && !ops.some((o) => HEAVY.has(o)) ? r.pick([...HEAVY]) : r.pick(light);
    text = MUTATIONS[name](r, text, r.pick(corpus).text);
    ops.push(name);
  }
  return { text, base: base.name, ops };
}
