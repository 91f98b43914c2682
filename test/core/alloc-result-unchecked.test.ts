/**
 * alloc-result-unchecked where tree-sitter's recovery runs statements together, and the macro reader it
 * uses for checks written as macros. (Inline sources: a file with braces unpaired under #ifdef cannot be a
 * fixture, which must cut into top-level items.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, FileFacts } from '../../core';
import { statementsOf } from '../../core/facts/ir';
import { macroTestedParams } from '../../core/rules/support/null-tests';
import { getParser } from '../support/core';

// Two `if (…) {` openers under #ifdef/#else leave tree-sitter one brace short: skel_open() and
// skel_release() end up as expression statements of skel_ioctl().
const RUN_TOGETHER = `#include <linux/slab.h>

struct skel_wave { int card; };
static void *skel_private;

static int skel_ioctl(int cmd, int len)
{
	switch (cmd) {
	case 1: {
		char *buf = skel_private;
#ifdef SKEL_DEBUG
		if ((len < 0) || (len > 10)) {
#else
		if (((len < 0x10) || (len > 20))
		    && !((len == 7) && (cmd == 1))) {
#endif
			return -EINVAL;
		}
		buf[0] = 0;
		break;
	}
	default:
		return -EINVAL;
	}
	return 0;
}

static int skel_open(int minor)
{
	struct skel_wave *wave;

	if (minor < 0)
		return -ENODEV;
	wave = kmalloc(sizeof(*wave), GFP_KERNEL);
	if (wave == NULL)
		return -ENOMEM;
	wave->card = minor;
	skel_private = wave;
	return 0;
}

static int skel_release(void)
{
	struct skel_wave *wave = skel_private;

	wave->card = 0;
	return 0;
}
`;

test('an allocation in statements run together by error recovery is not judged (the next function reused its name)', async () => {
  const parser = await getParser();
  const parsed = parser.parse(RUN_TOGETHER);
  try {
    const facts = new FileFacts(parsed, 'drivers/x/run-together.c');
    const line = (o: number) => RUN_TOGETHER.slice(0, o).split('\n').length;
    // Precondition: the kmalloc() statement spans the check and skel_open()'s end; skel_release() follows it.
    const ioctl = facts.functions.find((f) => f.name === 'skel_ioctl')!;
    const alloc = statementsOf(ioctl).find((s) => s.k === 'expr' && s.calls.some((c) => c.name === 'kmalloc'))!;
    assert.ok(alloc && line(alloc.span.end) - line(alloc.span.start) > 4, 'the allocation is one statement with what follows it');
    assert.ok(!facts.functions.some((f) => f.name === 'skel_release'), 'skel_release() is read as part of skel_ioctl()');
    assert.deepEqual(analyze(facts, { only: ['alloc-result-unchecked'] }).findings, []);
  } finally {
    parsed.dispose();
  }
});

test('macro bodies: the parameters tested against NULL, through if/while, assert-style calls and other macros', () => {
  const macros: Record<string, { params: string[]; body: string }> = {
    try: { params: ['A'], body: 'if ((A) == 0) goto cleanup_on_fail;' },
    CHECK: { params: ['p', 'err'], body: 'do { if (unlikely(!(p))) return (err); } while (0)' },
    VIA: { params: ['x'], body: 'CHECK(x, -ENOMEM)' },
    ASSERTED: { params: ['q'], body: 'do { BUG_ON((q) == NULL); } while (0)' },
    CAST: { params: ['ptr'], body: 'if (!((struct foo *)(ptr))) panic("x")' },
    LOOP: { params: ['ptr', 'n'], body: 'while ((ptr) == NULL && (n)--) schedule()' },
    USE: { params: ['p'], body: 'do { (p)->ready = 1; } while (0)' },
    FIELD: { params: ['p'], body: 'if ((p)->next == NULL) return' },
    STRINGIFY: { params: ['p'], body: 'printk(#p)' },
  };
  const lookup = (n: string) => macros[n];
  const tested = (n: string) => [...macroTestedParams(macros[n], lookup)].sort();
  assert.deepEqual(tested('try'), [0]);
  assert.deepEqual(tested('CHECK'), [0]);
  assert.deepEqual(tested('VIA'), [0]);
  assert.deepEqual(tested('ASSERTED'), [0]);
  assert.deepEqual(tested('CAST'), [0]);
  assert.deepEqual(tested('LOOP'), [0, 1]);
  assert.deepEqual(tested('USE'), []);
  assert.deepEqual(tested('FIELD'), []);
  assert.deepEqual(tested('STRINGIFY'), []);
});
