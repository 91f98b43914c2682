/** Comments inside #define bodies (tree-sitter leaves them as text): the indexed answer equals the plain one. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommentMarks } from '../../core/facts/file-facts';
import { rand } from '../fuzz/mutate';
import { cpuTimeMs } from '../support/cpu-time';

/** The definition CommentMarks replaced (it rescanned the body for each question). */
function inCommentWithin(text: string, at: number): boolean {
  const before = text.slice(0, at);
  const open = before.lastIndexOf('/*');
  if (open >= 0 && before.indexOf('*/', open) < 0) return true;
  return before.includes('//');
}

test('CommentMarks answers as inCommentWithin at every offset of random macro bodies', () => {
  const r = rand(7);
  const alphabet = ['/', '*', 'a', ' ', '/*', '*/', '//', 'GFP_KERNEL'];
  for (let n = 0; n < 2000; n++) {
    let text = '';
    for (let k = r.int(24); k > 0; k--) text += r.pick(alphabet);
    const marks = new CommentMarks(text);
    for (let at = 0; at <= text.length; at++) assert.equal(marks.inComment(at), inCommentWithin(text, at), `${JSON.stringify(text)} at ${at}`);
  }
});

test('a 1 MB #define body full of GFP flags is checked in linear time (each hit rescanned the body: 13 s)', async () => {
  const { fuzzParser, runOne } = await import('../fuzz/harness');
  const p = await fuzzParser();
  const text = `#include <linux/slab.h>\n#define BIG ${'kmalloc(4, GFP_KERNEL); '.repeat(40000)}\nvoid f(void) { p = kmalloc(4, GFP_KERNEL); }\n`;
  const { value: result, cpuMs } = cpuTimeMs(() => runOne(p, text, { boundMs: 2000, maxFixes: 2 }));
  assert.deepEqual(
    result.violations.filter((v) => v.kind !== 'fix-parses-worse-broken-input'),
    [],
  );
  assert.ok(cpuMs < 10_000, `${cpuMs.toFixed(0)} ms of CPU`);
});
