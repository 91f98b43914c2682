#!/usr/bin/env node
// Builds core/kernel/kb.generated.json, the versioned knowledge base of the allocation API, from the
// real headers of each release. Plain Node, no network.
//
//   node scripts/kb/generate.mjs TREES_DIR [--out FILE] [--check]
//
// TREES_DIR holds one directory per release (`2.6.11/`, `6.1/`, ...), each with:
//   PROVENANCE.tsv  one line per header read: path <TAB> repository or package <TAB> commit or version <TAB> where
//   RELEASE.txt     (optional) the exact release of the tree (2.6.32.2), NOTE.txt (optional) what the tree is
//   NOT_READ.txt    (optional) headers the release has but that were not available: a symbol absent from
//                   the headers read is then `unknown` there, not `absent`
//   the headers themselves at their path in the kernel tree (include/linux/gfp.h, ...)
// Only the files PROVENANCE.tsv lists are read, so every fact has a source.
// --check compares with the existing file instead of writing it (exit 1 when they differ).

import { readFileSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SYMBOLS = JSON.parse(readFileSync(join(here, 'symbols.json'), 'utf8'));
const DEFAULT_OUT = join(here, '..', '..', 'core', 'kernel', 'kb.generated.json');

/** Dotted release numbers compared numerically: 2.6.9 < 2.6.11 < 3.10. */
export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Comments and string contents become spaces; newlines stay, so line numbers are the file's. */
export function blankComments(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const n = text[i + 1];
    if (c === '/' && n === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '/' && n === '/') {
      let stop = text.indexOf('\n', i);
      if (stop < 0) stop = text.length;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += c + text.slice(i + 1, j).replace(/[^\n]/g, ' ') + (text[j] === c ? c : '');
      i = text[j] === c ? j + 1 : j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const normalize = (s) =>
  s
    .replace(/\\\n/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\(\s+/g, '(')
    .replace(/\s+\)/g, ')')
    .replace(/\s+,/g, ',')
    .replace(/\s*\*\s*/g, ' *')
    .replace(/\( \*/g, '(*')
    .trim();

/**
 * A header's facts: its #defines (with line) and its top-level code with the preprocessor lines blanked.
 */
export function scanHeader(text) {
  const clean = blankComments(text);
  const lines = clean.split('\n');
  const defines = [];
  const codeLines = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*#/.test(lines[i])) {
      // A directive with its continuation lines.
      let full = lines[i];
      const start = i;
      codeLines.push('');
      while (/\\\s*$/.test(full) && i + 1 < lines.length) {
        full = full.replace(/\\\s*$/, ' ') + lines[++i];
        codeLines.push('');
      }
      const m = /^\s*#\s*define\s+(\w+)(\([^)]*\))?(.*)$/.exec(full);
      if (m) defines.push({ name: m[1], params: m[2] ?? null, body: m[3].trim(), line: start + 1 });
    } else codeLines.push(lines[i]);
  }
  const code = codeLines.join('\n');
  const lineStarts = [0];
  for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) === 10) lineStarts.push(i + 1);
  return { defines, code, lineStarts, statements: topLevelStatements(code) };
}

/** 1-based line of an offset. */
function lineOf(lineStarts, offset) {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/**
 * Top-level statements of the code (brace depth 0): declarations up to `;`, and function heads up to
 * their `{` (the body is skipped). Each with its start offset.
 */
export function topLevelStatements(code) {
  const out = [];
  let depth = 0;
  let paren = 0;
  let start = 0;
  // `typedef struct x { ... } name;` is one statement: its body is skipped and its head kept.
  let aggregateHead = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '(') paren++;
    else if (c === ')') paren = Math.max(0, paren - 1);
    else if (c === '{') {
      if (depth === 0) {
        const head = code.slice(start, i);
        if (/^\s*(?:typedef\s+)?(?:struct|union|enum)\b[^()]*$/.test(head)) aggregateHead = { head, start };
        out.push({ text: head, start, body: true });
      }
      depth++;
    } else if (c === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0) start = i + 1;
    } else if (c === ';' && depth === 0 && paren === 0) {
      if (aggregateHead && /^\s*typedef\b/.test(aggregateHead.head)) {
        out.push({ text: `${aggregateHead.head} { ... } ${code.slice(start, i + 1)}`, start: aggregateHead.start, body: false });
      } else out.push({ text: code.slice(start, i + 1), start, body: false });
      aggregateHead = null;
      start = i + 1;
    }
  }
  return out.map(dropLeadingMacroCalls).map((s) => ({ ...s, lead: s.text.length - s.text.trimStart().length }));
}

/**
 * A statement-like macro written without its `;` (`DEFINE_FREE(kfree, ...)` before `size_t ksize(...)` in
 * 6.1's slab.h) runs into the next declaration; an upper-case macro call that other text follows is cut off.
 */
function dropLeadingMacroCalls(st) {
  let { text, start } = st;
  for (;;) {
    const m = /^\s*[A-Z][A-Z0-9_]*\s*\(/.exec(text);
    if (!m) return { ...st, text, start };
    let depth = 0;
    let end = -1;
    for (let i = m[0].length - 1; i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')' && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    if (end < 0 || !/\w/.test(text.slice(end))) return { ...st, text, start };
    text = text.slice(end);
    start += end;
  }
}

/** Arithmetic on #define bodies: | ^ & << >> + - * ~ ( ), integer literals, other macros of the same tree. */
export function evaluate(body, lookup, seen = new Set()) {
  const src = body
    .replace(/\(\s*(?:__force\s+)?(?:gfp_t|slab_flags_t|unsigned(?:\s+int|\s+long)?|int|long)(?:\s+__force)?\s*\)/g, ' ')
    .replace(/\bBIT\s*\(\s*(\w+)\s*\)/g, '(1 << $1)');
  const tokens = src.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[|^&+\-*~()]|\S/g) ?? [];
  let pos = 0;
  const fail = () => {
    throw new Error('unknown');
  };
  const primary = () => {
    const t = tokens[pos++];
    if (t === undefined) fail();
    if (t === '(') {
      const v = or();
      if (tokens[pos++] !== ')') fail();
      return v;
    }
    if (t === '~') return ~primary() >>> 0;
    if (t === '-') return -primary();
    if (/^\d|^0[xX]/.test(t)) return Number.parseInt(t.replace(/[uUlL]+$/, ''), /^0[xX]/.test(t) ? 16 : 10);
    if (/^[A-Za-z_]/.test(t)) {
      if (seen.has(t)) fail();
      const v = lookup(t, new Set([...seen, t]));
      if (v === null || v === undefined) fail();
      return v;
    }
    return fail();
  };
  const binary = (next, ops, apply) => () => {
    let v = next();
    while (ops.includes(tokens[pos])) v = apply(tokens[pos++], v, next());
    return v;
  };
  const mul = binary(primary, ['*'], (_, a, b) => a * b);
  const add = binary(mul, ['+', '-'], (op, a, b) => (op === '+' ? a + b : a - b));
  const shift = binary(add, ['<<', '>>'], (op, a, b) => (op === '<<' ? (a << b) >>> 0 : a >>> b));
  const and = binary(shift, ['&'], (_, a, b) => (a & b) >>> 0);
  const xor = binary(and, ['^'], (_, a, b) => (a ^ b) >>> 0);
  const or = binary(xor, ['|'], (_, a, b) => (a | b) >>> 0);
  try {
    if (!tokens.length) return null;
    const v = or();
    return pos === tokens.length ? v : null;
  } catch {
    return null;
  }
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function readTree(dir) {
  const provenance = readFileSync(join(dir, 'PROVENANCE.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [path, source, revision, from] = l.split('\t');
      return { path, source, revision, from: from ?? path };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const notReadFile = join(dir, 'NOT_READ.txt');
  const notRead = existsSync(notReadFile)
    ? readFileSync(notReadFile, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .sort()
    : [];
  const headers = provenance.map((p) => {
    const text = readFileSync(join(dir, p.path), 'latin1');
    return { path: p.path, text, ...scanHeader(text) };
  });
  const optional = (f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').trim() : undefined);
  return { provenance, notRead, headers, release: optional('RELEASE.txt'), note: optional('NOTE.txt') };
}

/** Every fact about one symbol in one tree: its declarations, in header order. */
function findSymbol(kind, name, tree, defineValue) {
  const found = [];
  if (kind === 'header') {
    const h = tree.headers.find((x) => x.path === name);
    if (h) found.push({ file: h.path, line: 1, decl: `#include <${name.replace(/^include\//, '')}>` });
    return found;
  }
  const structName = kind === 'type' && name.startsWith('struct ') ? name.slice(7) : null;
  for (const h of tree.headers) {
    if (kind !== 'type') {
      for (const d of h.defines) {
        if (d.name !== name) continue;
        const decl = normalize(`#define ${d.name}${d.params ?? ''} ${d.body}`);
        const entry = { file: h.path, line: d.line, decl };
        if (kind === 'flag' || kind === 'mask') {
          const v = defineValue(name);
          if (v !== null) entry.value = `0x${v.toString(16)}`;
        }
        found.push(entry);
      }
    }
    if (kind === 'flag' || kind === 'mask') continue;
    const word = structName ? new RegExp(`\\bstruct\\s+${escapeRe(structName)}\\b`) : new RegExp(`\\b${escapeRe(name)}\\b`);
    for (const st of h.statements) {
      if (!word.test(st.text)) continue;
      const text = normalize(st.text.replace(/;$/, ''));
      const line = lineOf(h.lineStarts, st.start + st.lead);
      if (kind === 'function') {
        if (/^typedef\b/.test(text) || /\breturn\b/.test(text)) continue;
        // The name declared: followed by its parameter list (directly, or inside FASTCALL(...)).
        if (!new RegExp(`(?:^|[\\s*(])${escapeRe(name)}\\s*\\(`).test(text)) continue;
        if (new RegExp(`\\bstruct\\s+${escapeRe(name)}\\b`).test(text)) continue;
        // A prototype names its function before any `=` (an initializer would be a variable).
        if (text.indexOf('=') >= 0 && text.indexOf('=') < text.indexOf(name)) continue;
        // Parameter types, not the declared name: `void f(void (*)(void *), ...)` or `int g(mempool_t *)`.
        const head = text.slice(0, text.search(new RegExp(`${escapeRe(name)}\\s*\\(`)));
        if ((head.match(/\(/g) ?? []).length > (head.match(/\)/g) ?? []).length + (/\bFASTCALL\s*\($/.test(head.trim()) ? 1 : 0)) continue;
        found.push({ file: h.path, line, decl: st.body ? `${text} { ... }` : `${text};` });
      } else if (structName) {
        const def = new RegExp(`^(?:typedef\\s+)?struct\\s+${escapeRe(structName)}$`).test(text) && st.body;
        const fwd = text === `struct ${structName}`;
        found.push({
          file: h.path,
          line,
          decl: def ? `struct ${structName} { ... }` : fwd ? `struct ${structName};` : `${text}${st.body ? ' { ... }' : ';'}`,
          rank: def ? 0 : fwd ? 1 : 2,
        });
      } else if (/^typedef\b/.test(text) && new RegExp(`(?:\\b${escapeRe(name)}$|\\(\\s*\\*?\\s*${escapeRe(name)}\\s*\\))`).test(text)) {
        found.push({ file: h.path, line, decl: `${text};` });
      }
    }
  }
  if (structName && found.length) {
    // A struct that is only mentioned (an incomplete type in prototypes) still exists; its
    // definition or forward declaration, where the headers have one, is the fact to show.
    const best = Math.min(...found.map((f) => f.rank));
    return found.filter((f) => f.rank === best).map(({ rank, ...f }) => f);
  }
  return found;
}

export function generate(treesDir) {
  const versions = readdirSync(treesDir)
    .filter((v) => /^\d+(\.\d+)+$/.test(v) && statSync(join(treesDir, v)).isDirectory() && existsSync(join(treesDir, v, 'PROVENANCE.tsv')))
    .sort(compareVersions);
  const trees = new Map(versions.map((v) => [v, readTree(join(treesDir, v))]));
  const kinds = Object.keys(SYMBOLS).filter((k) => k !== 'comment');
  const symbols = {};
  for (const kind of kinds) {
    for (const name of SYMBOLS[kind]) {
      const perVersion = {};
      for (const v of versions) {
        const tree = trees.get(v);
        const defs = new Map();
        for (const h of tree.headers) for (const d of h.defines) if (!d.params && !defs.has(d.name)) defs.set(d.name, d.body);
        const lookup = (n, seen) => (defs.has(n) ? evaluate(defs.get(n), lookup, seen) : null);
        perVersion[v] = findSymbol(kind, name, tree, (n) => lookup(n, new Set([n])));
      }
      // The headers it is declared in anywhere: where one of them was not read, absence proves nothing.
      const homes = new Set(Object.values(perVersion).flatMap((f) => f.map((x) => x.file)));
      if (kind === 'header') homes.add(name);
      const timeline = {};
      for (const v of versions) {
        const f = perVersion[v];
        if (f.length) {
          const [first, ...rest] = f;
          const entry = { status: 'present', file: first.file, line: first.line, decl: first.decl };
          if (first.value !== undefined) entry.value = first.value;
          const others = rest.filter((r) => r.decl !== first.decl || r.value !== first.value);
          if (others.length)
            entry.alternatives = others.map((r) => ({ file: r.file, line: r.line, decl: r.decl, ...(r.value !== undefined ? { value: r.value } : {}) }));
          timeline[v] = entry;
        } else {
          const unread = trees.get(v).notRead.filter((p) => homes.has(p));
          timeline[v] = unread.length ? { status: 'unknown', notRead: unread } : { status: 'absent' };
        }
      }
      symbols[name] = { kind, versions: timeline };
    }
  }
  const sortedSymbols = Object.fromEntries(
    Object.keys(symbols)
      .sort()
      .map((k) => [k, symbols[k]]),
  );
  return {
    comment:
      'Generated by scripts/kb/generate.mjs from the headers of each release; do not edit. Per symbol and release: present (first declaration: header, line, normalized text, value of a flag), absent, or unknown (a header that declares it elsewhere was not read for that release).',
    versions,
    trees: Object.fromEntries(
      versions.map((v) => {
        const t = trees.get(v);
        return [v, { ...(t.release ? { release: t.release } : {}), ...(t.note ? { note: t.note } : {}), headers: t.provenance, notRead: t.notRead }];
      }),
    ),
    symbols: sortedSymbols,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const treesDir = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--out');
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : DEFAULT_OUT;
  if (!treesDir) {
    console.error('usage: node scripts/kb/generate.mjs TREES_DIR [--out FILE] [--check]');
    process.exit(2);
  }
  const json = `${JSON.stringify(generate(treesDir), null, 1)}\n`;
  if (args.includes('--check')) {
    const same = existsSync(out) && readFileSync(out, 'utf8') === json;
    console.log(same ? `${out} is up to date` : `${out} differs from what the trees give`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(out, json);
  console.log(`wrote ${out}`);
}
