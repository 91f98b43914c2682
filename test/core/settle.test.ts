/**
 * settle() when typing pauses gives the tree a fresh parse gives, also in text that tree-sitter reads with
 * errors, while it parses afresh only where an edit since the last fresh parse touched or adjoined a syntax
 * error (editTouchesError). Random edits (tokens, braces, quotes, comment markers, `#if` lines) in a 45 KB
 * file made of our fixtures with ERROR regions; the tree is compared with a fresh parse's at every pause.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from 'web-tree-sitter';
import { type CParser, editTouchesError } from '../../core/parse/parser';
import { loadCorpus, rand, type Rand } from '../fuzz/mutate';
import { getParser } from '../support/core';

/** Kept out of test/fixtures, whose C files are the fuzz corpus. */
const BROKEN = `/* A 2.4-style driver that tree-sitter reads with errors: statement macros without \`;\`, K&R definitions,
 * an unbalanced #if, a macro used as a declaration. Written for kport's settle() tests. */
#include <linux/module.h>
#include <linux/slab.h>

static int debug = 0;
MODULE_PARM(debug, "i")
MODULE_PARM_DESC(debug, "debug level")

struct foo_priv {
	spinlock_t lock;
	int flags;
	int len;
	char *buf;
};

static struct pci_device_id foo_tbl[] __devinitdata = {
	{ 0x1011, 0x0009, PCI_ANY_ID, PCI_ANY_ID, 0, 0, 0 },
	{ 0, }
};
MODULE_DEVICE_TABLE(pci, foo_tbl)

static void foo_timer(unsigned long data)
{
	struct foo_priv *lp = (struct foo_priv *) data;
	DECLARE_WAITQUEUE(wait, current)
	spin_lock_irq(&lp->lock);
	if (lp->flags & 1) {
		lp->buf = kmalloc(lp->len, GFP_ATOMIC);
		FOO_EVENT_LOG(FOO_EVENT_TIMER, lp->flags, 0)
	}
	spin_unlock_irq(&lp->lock);
}

#define FOO_CHECK(x) do { if (!(x)) printk(KERN_ERR "foo: bad\\n"); } while (0)

static int foo_ioctl(struct net_device *dev, struct ifreq *ifr, int cmd)
{
	switch (cmd) {
	case SIOCDEVPRIVATE:
		FOO_CHECK(dev->priv)
		return foo_get(dev, ifr->ifr_data);
	default:
		return -EOPNOTSUPP;
	}
}

int foo_old_style(dev, len)
	struct net_device *dev;
	int len;
{
	char *p = kmalloc(len, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	kfree(p);
	return len + dev->mtu;
}

static int foo_open(struct net_device *dev)
{
	struct foo_priv *lp = dev->priv;
#if LINUX_VERSION_CODE < 0x20400
	if (lp->flags) {
		lp->len = 0;
#else
	if (lp->flags && dev->irq) {
#endif
		lp->buf = kmalloc(lp->len, GFP_KERNEL);
		if (!lp->buf)
			return -ENOMEM;
	}
	MOD_INC_USE_COUNT;
	return 0;
}

static void foo_close(struct net_device *dev)
{
	struct foo_priv *lp = dev->priv;
	unsigned long flags;
	save_flags(flags); cli();
	kfree(lp->buf);
	lp->buf = NULL;
	restore_flags(flags);
	MOD_DEC_USE_COUNT
}

EXPORT_SYMBOL(foo_open)
EXPORT_SYMBOL(foo_close)
`;

const EDITS = Number(process.env.SETTLE_EDITS ?? 1000);

const PIECES = [
  'x',
  'i',
  ';',
  '{',
  '}',
  '(',
  ')',
  ' ',
  '\n',
  '"',
  "'",
  '/*',
  '*/',
  ',',
  'int ',
  'return ',
  'y',
  'count++;',
  ' + 1',
  'if (p) ',
  'goto out;',
  'kmalloc(16, GFP_KERNEL);',
  'spin_lock(&l);',
  'MODULE_PARM(x, "i")\n',
  '\n#if 0\n',
  '\n#ifdef CONFIG_X\n',
  '\n#else\n',
  '\n#endif\n',
];

/**
 * The rule fixtures the broken text is made of (36 KB), named: the property test's edits are seeded, and the
 * mutation check below relies on one of them meeting the case settle() guards against, so a new fixture must
 * not change the text.
 */
const CORPUS = [
  'alloc-result-unchecked/aliases.c',
  'alloc-result-unchecked/guards.c',
  'alloc-result-unchecked/macro-checks.c',
  'alloc-result-unchecked/mempool-wait.c',
  'alloc-result-unchecked/old-id.c',
  'alloc-result-unchecked/unchecked.c',
  'cold-page-dma/rx.c',
  'gfp-buffer/block.c',
  'gfp-buffer/fs/super.c',
  'gfp-header/local-headers/local-not-reaching.c',
  'gfp-header/local-headers/nested-local.c',
  'gfp-header/local-headers/quoted-system-path.c',
  'gfp-header/local-headers/reached-in-2.6.c',
  'gfp-header/local-headers/reached-through-local.c',
  'gfp-header/local-headers/unread-local.c',
  'gfp-header/lookalikes.c',
  'gfp-header/macro-use.c',
  'gfp-header/missing.c',
  'gfp-header/no-includes.c',
  'gfp-header/own-helper.c',
  'gfp-header/pci-driver.c',
  'gfp-header/vmalloc-only.c',
  'gfp-header/with-highmem.c',
  'gfp-header/with-mm.c',
  'gfp-header/with-slab.c',
  'gfp-nofail/dead-branches.c',
  'gfp-nofail/nofail.c',
  'gfp-repeat-noretry/retry.c',
  'hot-cold-order/order.c',
  'malloc-h/plain.c',
  'malloc-h/with-slab.c',
  'mempool-alloc-fn-sleeps/allocfn.c',
  'mempool-destroy-outstanding/destroy.c',
  'mempool-resize/resize.c',
  'mempool-slab-pair/pools.c',
  'numa-node/node.c',
];

/** Those fixtures with the broken driver at three places, one under `#ifdef MODULE`. */
function brokenText(): string {
  const byName = new Map(loadCorpus().map((c) => [c.name, c.text]));
  const corpus = CORPUS.map((n) => {
    const text = byName.get(`test/fixtures/rules/${n}`);
    assert.ok(text !== undefined, `settle.test.ts's corpus names test/fixtures/rules/${n}, which is gone: name another fixture`);
    return text;
  });
  const third = Math.floor(corpus.length / 3);
  return [BROKEN, ...corpus.slice(0, third), '#ifdef MODULE\n', BROKEN, ...corpus.slice(third, 2 * third), '#endif\n', BROKEN, ...corpus.slice(2 * third)].join(
    '\n',
  );
}

/** Starts of the top-level items with a syntax error (where to aim edits). */
function errorStarts(root: Node): number[] {
  const out: number[] = [];
  if (root.hasError) for (const c of root.children) if (c && (c.hasError || c.isError || c.isMissing)) out.push(c.startIndex);
  return out;
}

/** Where the next edit goes: at a syntax error, near the last edit (typing), or anywhere. */
function nextOffset(r: Rand, errors: number[], n: number, last: number): number {
  const k = r.int(10);
  if (k < 3 && errors.length) return Math.max(0, Math.min(n, r.pick(errors) + r.int(400) - 200));
  if (k < 8) return Math.max(0, Math.min(n, last + r.int(40) - 20));
  return r.int(n + 1);
}

interface Run {
  edits: number;
  pauses: number;
  /** Pauses where settle() parsed afresh. */
  freshParses: number;
  /** Pauses where the tree had a syntax error and settle() had work to do. */
  brokenPauses: number;
  /** The first pause whose settled tree differed from a fresh parse's. */
  mismatch?: string;
}

/**
 * `edits` random edits in bursts of 1–6 with a pause after each; after half the pauses the text goes back to the
 * start (one more edit), so errors stay as sparse as in code being typed. `breakCondition` forgets which edits
 * touched an error.
 */
function run(p: CParser, seed: number, edits: number, breakCondition = false): Run {
  const r = rand(seed);
  const base = brokenText();
  let text = base;
  let parsed = p.parse(text);
  let errors = errorStarts(parsed.root);
  const out: Run = { edits, pauses: 0, freshParses: 0, brokenPauses: 0 };
  // Count settle()'s fresh parses.
  const parse = p.parse.bind(p);
  let counting = false;
  p.parse = (t, o) => {
    if (counting) out.freshParses++;
    return parse(t, o);
  };
  let last = r.int(text.length);
  try {
    let untilPause = 1 + r.int(6);
    for (let i = 0; i < edits; i++) {
      const at = nextOffset(r, errors, text.length, last);
      const del = r.int(3) === 0 ? 1 + r.int(8) : 0;
      const insert = del && r.int(2) ? '' : r.pick(PIECES);
      text = text.slice(0, at) + insert + text.slice(at + del);
      last = at + insert.length;
      parsed = p.reparse(parsed, text, { speculative: true });
      if (breakCondition) parsed.unsettled.nearError = false;
      if (--untilPause > 0) continue;
      untilPause = 1 + r.int(6);
      if (r.int(2) === 0) {
        // Back to the start: the burst's edits undone as one change (as an undo in the editor), then the pause.
        text = base;
        parsed = p.reparse(parsed, text, { speculative: true });
        if (breakCondition) parsed.unsettled.nearError = false;
      }
      out.pauses++;
      if (!parsed.exact && parsed.root.hasError) out.brokenPauses++;
      counting = true;
      parsed = p.settle(parsed);
      counting = false;
      const fresh = parse(text);
      try {
        if (!parsed.exact || parsed.root.toString() !== fresh.root.toString() || parsed.parsedText !== fresh.parsedText) {
          out.mismatch = `seed ${seed}, edit ${i} at ${at}: settled tree differs from a fresh parse`;
          return out;
        }
      } finally {
        fresh.dispose();
      }
      errors = errorStarts(parsed.root);
    }
  } finally {
    p.parse = parse;
    parsed.dispose();
  }
  return out;
}

test('editTouchesError: an edit inside, next to or one item away from an ERROR touches it; one in a clean item between clean ones does not', async () => {
  const p = await getParser();
  const text = `int a;\nint b;\nint c;\nstatic int f(void) { return 1; }\nint d;\nint e;\nint g(void) { x = (1; }\nint h;\nint i;\nint j;\n`;
  const parsed = p.parse(text);
  try {
    assert.ok(parsed.root.hasError);
    const at = (s: string) => text.indexOf(s);
    assert.equal(editTouchesError(parsed.root, at('(1;'), at('(1;') + 1), true, 'inside the error');
    assert.equal(editTouchesError(parsed.root, at('int e;'), at('int e;') + 1), true, 'the item before');
    assert.equal(editTouchesError(parsed.root, at('int h;'), at('int h;') + 1), true, 'the item after');
    assert.equal(editTouchesError(parsed.root, at('return 1'), at('return 1') + 1), false, 'a clean function two items away');
    assert.equal(editTouchesError(parsed.root, at('int j;'), at('int j;') + 3), false, 'the last item');
  } finally {
    parsed.dispose();
  }
});

test('settle() after random edits in text with ERROR regions: always the fresh tree, parsing afresh only after edits near an error', async (t) => {
  const p = await getParser();
  const runs = [run(p, 20261204, EDITS), run(p, 7, EDITS)];
  t.diagnostic(runs.map((x) => `${x.edits} edits, ${x.pauses} pauses, ${x.brokenPauses} to settle in broken text, ${x.freshParses} fresh parses`).join('; '));
  for (const x of runs) assert.equal(x.mismatch, undefined);
  const pauses = runs.reduce((n, x) => n + x.brokenPauses, 0);
  const fresh = runs.reduce((n, x) => n + x.freshParses, 0);
  // Every such pause parsed afresh before; these random edits aim at errors and break code often, so most still do.
  assert.ok(pauses > 200, `pauses with a syntax error to settle: ${pauses}`);
  assert.ok(fresh < pauses, `fresh parses ${fresh} of ${pauses} such pauses`);
});

test('settle() with the condition broken on purpose (no edit remembered as near an error) gives a different tree somewhere', async (t) => {
  const p = await getParser();
  // Seed 7 meets one at its 862nd edit: such differences are rare (on a similar text, 4,000 edits of four seeds met
  // only this one). The test above runs the same edits with the condition.
  const broken = run(p, 7, 870, true);
  t.diagnostic(broken.mismatch ?? 'no difference');
  assert.ok(broken.mismatch, 'the property test must see the difference settle() guards against');
});
