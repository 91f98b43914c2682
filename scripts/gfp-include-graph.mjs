#!/usr/bin/env node
/**
 * Generates core/kernel/gfp-include-graph.ts: which 2.6 headers reach <linux/gfp.h>, each with the
 * `#include` line (file:line) of the first step of its shortest path there.
 *
 *   node scripts/gfp-include-graph.mjs GIT_DIR [REV] > core/kernel/gfp-include-graph.ts
 *
 * GIT_DIR is a git repository of the kernel (read with `git ls-tree` and `git cat-file`, no checkout
 * needed); the table in the tree was made from pwanbul/linux-2.6.11 (2.6.11, i386 only: `asm/` is
 * include/asm-i386). An include counts only when every `#if` around it holds in any kernel build: the
 * header's include guard and `#ifdef __KERNEL__`. Includes under CONFIG_ or architecture conditions
 * are left out: a build may not have them.
 */
import { execFileSync } from 'node:child_process';

const [gitDir, rev = 'HEAD'] = process.argv.slice(2);
if (!gitDir) {
  process.stderr.write('usage: node scripts/gfp-include-graph.mjs GIT_DIR [REV]\n');
  process.exit(2);
}
const git = (...args) => execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'latin1', maxBuffer: 1 << 30 });
const version = (() => {
  const mk = git('show', `${rev}:Makefile`);
  const v = (k) => mk.match(new RegExp(`^${k}[ \\t]*=[ \\t]*(\\S*)`, 'm'))?.[1] ?? '';
  return `${v('VERSION')}.${v('PATCHLEVEL')}.${v('SUBLEVEL')}${v('EXTRAVERSION')}`;
})();

/** include/asm-i386/x.h → asm/x.h; include/linux/x.h → linux/x.h. */
const keyOf = (p) => p.replace(/^include\//, '').replace(/^asm-i386\//, 'asm/');
const files = git('ls-tree', '-r', '--name-only', rev, 'include')
  .split('\n')
  .filter((p) => p.endsWith('.h') && !/^include\/asm-(?!i386\/|generic\/)/.test(p));

/** The includes of a header that hold in every kernel build, with their 1-based line. */
function unconditionalIncludes(text, key) {
  const out = [];
  const lines = text.split('\n');
  const stack = []; // true: the branch holds in every kernel build
  let inComment = false;
  let pendingGuard = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    // Strip block comments (they can span lines) and line comments.
    let code = '';
    for (let j = 0; j < line.length; ) {
      if (inComment) {
        const e = line.indexOf('*/', j);
        if (e < 0) {
          j = line.length;
          break;
        }
        inComment = false;
        j = e + 2;
      } else {
        const s = line.indexOf('/*', j);
        const c = line.indexOf('//', j);
        if (c >= 0 && (s < 0 || c < s)) {
          code += line.slice(j, c);
          break;
        }
        if (s < 0) {
          code += line.slice(j);
          break;
        }
        code += line.slice(j, s) + ' ';
        inComment = true;
        j = s + 2;
      }
    }
    const d = code.match(/^\s*#\s*(\w+)\s*(.*?)\s*$/);
    if (!d) {
      pendingGuard = null;
      continue;
    }
    const [, dir, arg] = d;
    const holds = () => stack.every(Boolean);
    switch (dir) {
      case 'ifndef':
        stack.push(false);
        pendingGuard = { name: arg, at: stack.length - 1 };
        continue;
      case 'ifdef':
        stack.push(arg === '__KERNEL__');
        break;
      case 'if':
        stack.push(/^defined\s*\(?\s*__KERNEL__\s*\)?$/.test(arg));
        break;
      case 'else':
      case 'elif':
        if (stack.length) stack[stack.length - 1] = false;
        break;
      case 'endif':
        stack.pop();
        break;
      case 'define':
        if (pendingGuard && arg.split(/\s+/)[0] === pendingGuard.name) stack[pendingGuard.at] = true;
        break;
      case 'include': {
        const m = arg.match(/^<([^>]+)>|^"([^"]+)"/);
        if (m && holds()) {
          const target = m[1] ?? `${key.replace(/[^/]*$/, '')}${m[2]}`;
          out.push({ target, line: i + 1 });
        }
        break;
      }
    }
    pendingGuard = null;
  }
  return out;
}

// One `git cat-file --batch` for every header.
const batch = execFileSync('git', ['--git-dir', gitDir, 'cat-file', '--batch'], {
  input: files.map((f) => `${rev}:${f}`).join('\n') + '\n',
  encoding: 'latin1',
  maxBuffer: 1 << 30,
});
const texts = new Map();
let at = 0;
for (const f of files) {
  const nl = batch.indexOf('\n', at);
  const size = Number(batch.slice(at, nl).split(' ')[2]);
  texts.set(f, batch.slice(nl + 1, nl + 1 + size));
  at = nl + 1 + size + 1;
}

// Reverse edges, then a breadth-first search from linux/gfp.h: each header's first step on a shortest path.
const includedBy = new Map();
for (const [f, text] of texts) {
  const key = keyOf(f);
  for (const inc of unconditionalIncludes(text, key)) {
    const list = includedBy.get(inc.target) ?? [];
    list.push({ from: key, source: `${f}:${inc.line}` });
    includedBy.set(inc.target, list);
  }
}
const GOAL = 'linux/gfp.h';
const step = new Map([[GOAL, null]]);
const queue = [GOAL];
while (queue.length) {
  const h = queue.shift();
  for (const e of (includedBy.get(h) ?? []).sort((a, b) => a.from.localeCompare(b.from))) {
    if (step.has(e.from)) continue;
    step.set(e.from, { next: h, source: e.source });
    queue.push(e.from);
  }
}
const rows = [...step].filter(([, s]) => s).sort(([a], [b]) => a.localeCompare(b));
const out = [];
out.push('// Generated by scripts/gfp-include-graph.mjs from pwanbul/linux-2.6.11 (' + version + ', include/ with asm-i386 as asm/); do not edit.');
out.push('/**');
out.push(` * The headers of Linux ${version} from which <linux/gfp.h> is reached by includes that hold in every`);
out.push(' * kernel build (include guards and `#ifdef __KERNEL__` only; includes under CONFIG_ or other conditions');
out.push(' * do not count), each with the next header on its shortest path there and the `#include` line it');
out.push(` * comes from. ${rows.length} headers; a header not listed does not reach gfp.h.`);
out.push(' */');
out.push(`export const GFP_INCLUDE_GRAPH_VERSION = '${version}';`);
out.push('');
out.push('export const GFP_INCLUDE_STEPS: Readonly<Record<string, { next: string; source: string }>> = {');
for (const [h, s] of rows) out.push(`  '${h}': { next: '${s.next}', source: '${s.source}' },`);
out.push('};');
process.stdout.write(out.join('\n') + '\n');
