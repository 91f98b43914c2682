/** Which `#if` branches can be compiled: the lexical scan of the branches and the analysis that marks findings in dead ones. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definedNames, preprocessorBranches } from '../../core/facts/conditions';
import { ourSources } from '../support/fixtures';
import { check } from '../support/core';

test('branches: nesting, #elif/#else groups, continuations, directives in comments and strings are not directives', () => {
  const text = [
    '#ifdef A', // 1
    'int a;',
    '#if defined(B) && \\', // 3
    '    C /* comment */',
    'int bc;',
    '#elif D // line comment', // 6
    'int d;',
    '#else', // 8
    'int e;',
    '#endif',
    '#endif',
    '/*',
    '#if 0',
    '*/',
    'char *s = "#if 0";',
    '   #  ifndef E', // 16
    '#endif',
  ].join('\n');
  const bs = preprocessorBranches(text);
  assert.deepEqual(
    bs.map((b) => [b.kind, b.cond, b.line, b.before.length]),
    [
      ['ifdef', 'A', 1, 0],
      ['if', 'defined(B) &&     C', 3, 0],
      ['elif', 'D', 6, 1],
      ['else', '', 8, 2],
      ['ifndef', 'E', 16, 0],
    ],
  );
  const at = (s: string) => text.indexOf(s);
  const inner = bs[1];
  assert.ok(inner.start <= at('int bc;') && at('int bc;') < inner.end);
  assert.ok(!(inner.start <= at('int d;') && at('int d;') < inner.end));
  assert.ok(bs[0].start <= at('int e;') && at('int e;') < bs[0].end);
});

const driver = (cond: string, extra = '') => `#include <linux/slab.h>
${extra}
void *get(int n)
{
${cond}
	return kmalloc(n, GFP_KERNEL | __GFP_NOFAIL);
#endif
	return 0;
}
`;

test('a macro another file of the workspace defines keeps its branch live; one no file defines makes it dead (the env answers)', async () => {
  const workspace = new Set(['DEFINED_IN_OTHER_FILE']);
  const env = { macroDefined: (name: string) => workspace.has(name) };
  const [live] = await check(driver('#ifdef DEFINED_IN_OTHER_FILE'), 'drivers/x/a.c', { env, only: ['gfp-nofail'] });
  assert.equal(live.severity, 'warning');
  assert.equal(live.dead, undefined);
  assert.equal(live.deadUnless, undefined);
  const [dead] = await check(driver('#ifdef NEVER_DEFINED'), 'drivers/x/a.c', { env, only: ['gfp-nofail'] });
  assert.equal(dead.severity, 'info');
  assert.equal(dead.dead, 'in `#ifdef NEVER_DEFINED`, which nothing defines');
  assert.deepEqual(dead.tags, ['unnecessary']);
  assert.match(dead.message, /^\[dead code: in `#ifdef NEVER_DEFINED`, which nothing defines\] __GFP_NOFAIL/);
  // While the workspace has not answered (an index still running), nothing is marked: the decision waits.
  const [pending] = await check(driver('#ifdef NEVER_DEFINED'), 'drivers/x/a.c', { env: { macroDefined: () => undefined }, only: ['gfp-nofail'] });
  assert.equal(pending.severity, 'warning');
  assert.deepEqual(pending.deadUnless, { names: ['NEVER_DEFINED'], reason: 'in `#ifdef NEVER_DEFINED`, which nothing defines' });
});

test('conservative: build symbols, function-like macros, values and conditional defines keep code live', async () => {
  const env = { macroDefined: () => false };
  const live = [
    '#ifdef CONFIG_FOO',
    '#ifndef MODULE',
    '#if defined(__i386__) || defined(__alpha__)',
    '#if LINUX_VERSION_CODE < KERNEL_VERSION(2,4,0)',
    '#if HZ > 100',
    '#ifndef COND_DEF',
    '#if !defined(NOWHERE)',
    "#if 'a' == 97",
  ];
  for (const cond of live) {
    const [f] = await check(driver(cond, '#ifdef CONFIG_BAR\n#define COND_DEF 1\n#endif\n#define HZ 100'), 'drivers/x/a.c', { env, only: ['gfp-nofail'] });
    assert.equal(f.severity, 'warning', cond);
    assert.equal(f.dead, undefined, cond);
  }
  const dead = [
    ['#if defined(CONFIG_FOO) && 0', 'in `#if defined(CONFIG_FOO) && 0`, which is always false'],
    ['#ifndef ALWAYS', 'in `#ifndef ALWAYS`, and ALWAYS is always defined (line 2)'],
    ['#if NOWHERE', 'in `#if NOWHERE`, and nothing defines NOWHERE'],
    ['#if defined(NOWHERE) && defined(CONFIG_FOO)', 'in `#if defined(NOWHERE) && defined(CONFIG_FOO)`, and nothing defines NOWHERE'],
  ];
  for (const [cond, reason] of dead) {
    const [f] = await check(driver(cond, '#define ALWAYS 1'), 'drivers/x/a.c', { env, only: ['gfp-nofail'] });
    assert.equal(f.dead, reason, cond);
  }
  // `#undef` anywhere: "always defined" no longer holds.
  const [f] = await check(driver('#ifndef ALWAYS', '#define ALWAYS 1\n#undef ALWAYS'), 'drivers/x/a.c', { env, only: ['gfp-nofail'] });
  assert.equal(f.dead, undefined);
});

test('definedNames: the #define lines of a text, as a line-start scan reads them (every fixture, and odd line starts)', () => {
  const lineScan = (text: string) => [...text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)/gm)].map((m) => m[1]);
  let names = 0;
  for (const { file, text } of ourSources()) {
    assert.deepEqual(definedNames(text), lineScan(text), file);
    names += lineScan(text).length;
  }
  assert.ok(names > 50, `${names} defines compared`);
  const odd = '#define A 1\r# define B\r\n\t  #\tdefine C(x) x\nint x; #define D 2\n/* #define E */\u2028#define F\n#defineG\n#define 9H\n';
  assert.deepEqual(definedNames(odd), ['A', 'B', 'C', 'F']);
  assert.deepEqual(definedNames(odd), lineScan(odd));
});
