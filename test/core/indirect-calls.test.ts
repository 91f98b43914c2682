/**
 * Calls through function pointers in ops tables across files: the functions stored in a field (designated and
 * positional initializers, the struct's order read from a header) come from the other files' summaries, through
 * the workspace index, as the CLI's second pass and the editor's index hand them over (focusSummaries).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyze, checkText, FileFacts, leftOut, leftOutSummary, type JobOptions } from '../../core';
import type { KportConfig } from '../../core/config';
import { summarizeFile } from '../../core/context/atomic-context';
import { bindingReads } from '../../core/facts/field-bindings';
import { focusSummaries, WorkspaceIndex, type FileSummary } from '../../core/context/workspace';
import { filesNeedingWorkspace } from '../../core/scale/check-plan';
import { analyzeInPart, parseForRules } from '../../core/scale/partial-parse';
import { getParser } from '../support/core';
import { ROOT } from '../support/lsp-client';

const WS = path.join(ROOT, 'test', 'fixtures', 'workspace', 'ops-split');

/** may-sleep-in-atomic-indirect is opt-in: the calls through fields are resolved only while it is enabled. */
const ON: KportConfig = { rules: { 'may-sleep-in-atomic-indirect': 'warning' } };

async function summaries(): Promise<FileSummary[]> {
  const parser = await getParser();
  return ['card.h', 'card_hw.c', 'card_core.c'].map((name) => {
    const parsed = parser.parse(fs.readFileSync(path.join(WS, name), 'utf8'));
    try {
      return summarizeFile(new FileFacts(parsed, `ops-split/${name}`));
    } finally {
      parsed.dispose();
    }
  });
}

async function coreFindings(workspace?: WorkspaceIndex, rule = 'sleep-in-atomic'): Promise<string[]> {
  const parser = await getParser();
  const text = fs.readFileSync(path.join(WS, 'card_core.c'), 'utf8');
  const parsed = parser.parse(text);
  try {
    const facts = new FileFacts(parsed, 'ops-split/card_core.c');
    return analyze(facts, { env: { workspace }, config: ON })
      .findings.filter((f) => f.rule === rule)
      .map((f) => `${facts.lineOf(f.span.start)}: ${f.message}`);
  } finally {
    parsed.dispose();
  }
}

test('a call through an ops table in another file sleeps when every function stored in the field does', async () => {
  const all = await summaries();
  const focused = focusSummaries(all);
  const index = new WorkspaceIndex();
  for (const s of focused) index.update(s);
  const got = await coreFindings(index);
  assert.equal(got.length, 2, got.join('\n'));
  // .open holds hw_open (designated) and hw_open_alt (positional, by card.h's order): both allocate with GFP_KERNEL.
  assert.match(got[0], /^11: c->ops->open\(\) may sleep: each of the 2 functions stored in struct card_ops\.open sleeps: /);
  assert.match(got[0], /c->ops->open\(\) → hw_open\(\) \(ops-split\/card_hw\.c:5\) → kmalloc\(GFP_KERNEL\)/);
  assert.match(got[0], /c->ops->open\(\) → hw_open_alt\(\) \(ops-split\/card_hw\.c:22\) → kmalloc\(GFP_KERNEL\)/);
  assert.match(got[0], /a spinlock is held \(spin_lock\(card_lock\) at line 10\)/);
  // .fill: the positional initializer alone stores hw_fill; `ops` is declared struct card_ops *.
  assert.match(
    got[1],
    /^27: ops->fill\(\) may sleep: the only function stored in struct card_ops\.fill sleeps: ops->fill\(\) → hw_fill\(\) \(ops-split\/card_hw\.c:16\) → vmalloc\(\)/,
  );
  // .stop's function does not sleep; alone, the file cannot know what its fields hold.
  assert.deepEqual(await coreFindings(), []);
  assert.deepEqual([...filesNeedingWorkspace(focused)], ['ops-split/card_core.c'], 'the calling file is checked again with the workspace');
});

test('a function stored in the field that does not sleep, or one the workspace cannot read, makes the call a warning, not an error', async () => {
  const all = await summaries();
  const parser = await getParser();
  // Another file stores a function that does not sleep in .open, and one defined nowhere the index sees.
  const parsed = parser.parse(
    `#include "card.h"\nstatic int quiet_open(struct card *c)\n{\n\treturn 0;\n}\nstruct card_ops quiet_ops = { .open = quiet_open, .fill = ext_fill };\n`,
  );
  const quiet = summarizeFile(new FileFacts(parsed, 'ops-split/quiet.c'));
  parsed.dispose();
  const index = new WorkspaceIndex();
  for (const s of focusSummaries([...all, quiet])) index.update(s);
  assert.deepEqual(await coreFindings(index), []);
  const may = await coreFindings(index, 'may-sleep-in-atomic-indirect');
  assert.equal(may.length, 2, may.join('\n'));
  // .open: hw_open and hw_open_alt sleep, quiet_open does not.
  assert.match(
    may[0],
    /^11: c->ops->open\(\) may sleep: 2 of the 3 functions stored in struct card_ops\.open sleep: hw_open\(\) \(ops-split\/card_hw\.c:5\) → kmalloc\(GFP_KERNEL\); hw_open_alt\(\) /,
  );
  // .fill: hw_fill sleeps; ext_fill is defined in no file the index sees.
  assert.match(
    may[1],
    /^27: ops->fill\(\) may sleep: 1 of the 2 functions stored in struct card_ops\.fill sleeps: hw_fill\(\) \(ops-split\/card_hw\.c:16\) → vmalloc\(\)\. /,
  );
});

// One file, checked alone as the CLI's pass 1 does (a partial parse, no workspace): a positional ops table of a
// struct defined here, a caller of its field under a spinlock, and one no text of the file can make atomic.
const ONE_FILE = `#include <linux/slab.h>
#include <linux/spinlock.h>
struct dev_ops {
	int (*open)(int unit);
	int (*poll)(int unit);
};
static spinlock_t dev_lock = SPIN_LOCK_UNLOCKED;
static int dev_open(int unit)
{
	void *p = kmalloc(64, GFP_KERNEL);
	return p ? 0 : -1;
}
static int dev_poll(int unit)
{
	return unit;
}
static struct dev_ops dev_table = { dev_open, dev_poll };
int dev_start(struct dev_ops *ops)
{
	int err;
	spin_lock(&dev_lock);
	err = ops->open(0);
	spin_unlock(&dev_lock);
	return err;
}
int dev_probe(struct dev_ops *ops)
{
	return ops->open(1) + ops->poll(1);
}
int dev_count(struct dev_ops *ops, int n)
{
	ops->poll = dev_poll;
	return n;
}
`;

test('pass 1 parses the callers of a sleeping field that the file can make atomic, and the stores into the fields they call', async () => {
  const parser = await getParser();
  const whole = parser.parse(ONE_FILE);
  const wholeFacts = new FileFacts(whole, 'one.c');
  const expected = analyze(wholeFacts, { config: ON }).findings.filter((f) => f.rule === 'sleep-in-atomic');
  const expectedLines = expected.map((f) => wholeFacts.lineOf(f.span.start));
  whole.dispose();
  assert.deepEqual(expectedLines, [22], 'the call under dev_lock, through a field whose only function sleeps');
  const seed = (t: string) => /\b(?:kmalloc|spin_lock)\b/.test(t);
  for (const ownContextOnly of [true, false]) {
    const part = analyzeInPart(parser, ONE_FILE, 'one.c', { seed, ownContextOnly }, { config: ON });
    try {
      const got = part.findings.filter((f) => f.rule === 'sleep-in-atomic');
      assert.deepEqual(
        got.map((f) => [part.facts.lineOf(f.span.start), f.message]),
        expected.map((f) => [wholeFacts.lineOf(f.span.start), f.message]),
      );
      const left = part.deferred.map(([start, end]) => ONE_FILE.slice(start, end).match(/(\w+)\(/)?.[1]);
      // dev_poll is no trigger's and names none. dev_probe calls through .open in process context whoever calls
      // it (nothing in the file makes it atomic); dev_count stores into .poll, which no parsed function calls
      // through: neither is read in pass 1. Given a workspace (pass 2), both are.
      assert.deepEqual(left, ownContextOnly ? ['dev_poll', 'dev_probe', 'dev_count'] : ['dev_poll']);
    } finally {
      part.parsed.dispose();
    }
  }
});

test('a file calling atomically through a field is checked again only if some stored function sleeps', async () => {
  const all = await summaries();
  const parser = await getParser();
  // A second table of struct card_ops stores a function that does not sleep in .fill: hw_fill still does.
  const parsed = parser.parse(
    `#include "card.h"\nstatic int calm_fill(struct card *c)\n{\n\treturn 0;\n}\nstruct card_ops calm_ops = { .fill = calm_fill };\n`,
  );
  const calm = summarizeFile(new FileFacts(parsed, 'ops-split/calm.c'));
  parsed.dispose();
  const index = new WorkspaceIndex();
  for (const s of focusSummaries([...all, calm])) index.update(s);
  assert.equal(index.fieldMaySleep('open'), true);
  assert.equal(index.fieldMaySleep('fill'), true, 'one of the two fill functions sleeps: a warning can follow');
  assert.equal(index.fieldMaySleep('stop'), false);
  assert.deepEqual([...filesNeedingWorkspace(focusSummaries([...all, calm]))], ['ops-split/card_core.c']);
  const only = (field: string) =>
    focusSummaries([...all, calm]).map((s) =>
      s.path === 'ops-split/card_core.c' ? { ...s, atomicFieldCalls: ['open', 'fill', 'stop'].filter((f) => f === field) } : s,
    );
  assert.deepEqual([...filesNeedingWorkspace(only('fill'))], ['ops-split/card_core.c']);
  assert.deepEqual([...filesNeedingWorkspace(only('stop'))], [], 'a call through .stop alone cannot be reported: not read again');
});

test('the CLI parses the callees of a caller seeded by its field call: one that drops the caller lock ends the atomic region', async () => {
  const parser = await getParser();
  // 2.4's get_sb_bdev() → insert_super() releases sb_lock before fs_type->read_super() is called.
  const text = [
    'static spinlock_t sb_lock = SPIN_LOCK_UNLOCKED;',
    'struct fs_type { int (*read_super)(int flags); };',
    'static void insert_sb(int flags)',
    '{',
    '\tlist_count++;',
    '\tspin_unlock(&sb_lock);',
    '}',
    'static int my_read_super(int flags)',
    '{',
    '\treturn kmalloc(flags, GFP_KERNEL) != NULL;',
    '}',
    'static struct fs_type my_fs = { .read_super = my_read_super };',
    'int get_sb(struct fs_type *type, int flags)',
    '{',
    '\tspin_lock(&sb_lock);',
    '\tinsert_sb(flags);',
    '\treturn type->read_super(flags);',
    '}',
    '',
  ].join('\n');
  const whole = parser.parse(text);
  const wholeFacts = new FileFacts(whole, 'sb.c');
  assert.deepEqual(
    analyze(wholeFacts, { config: ON }).findings.filter((f) => f.rule === 'sleep-in-atomic'),
    [],
    'insert_sb() dropped sb_lock: read_super runs unlocked',
  );
  whole.dispose();
  // Pass 2 seeds get_sb by its lock and its call through .read_super; insert_sb names neither.
  const seed = (t: string) => /\b(?:kmalloc|spin_lock)\b|->\s*read_super\s*\(/.test(t);
  for (const ownContextOnly of [true, false]) {
    const part = analyzeInPart(parser, text, 'sb.c', { seed, ownContextOnly }, { config: ON });
    try {
      assert.deepEqual(
        part.findings.filter((f) => f.rule === 'sleep-in-atomic').map((f) => part.facts.lineOf(f.span.start)),
        [],
      );
      assert.ok(!part.deferred.some(([start, end]) => text.slice(start, end).includes('insert_sb(int')), 'insert_sb is parsed');
    } finally {
      part.parsed.dispose();
    }
  }
});

test('the warning rule is opt-in and configured by its id: off, or another severity', async () => {
  const parser = await getParser();
  const file = path.join(ROOT, 'test', 'fixtures', 'rules', 'may-sleep-in-atomic-indirect', 'ops-may.c');
  const parsed = parser.parse(fs.readFileSync(file, 'utf8'));
  try {
    const facts = new FileFacts(parsed, 'ops-may.c');
    const rulesOf = (rules: Record<string, 'off' | 'error' | 'warning' | 'info' | 'hint'>) =>
      analyze(facts, { config: { rules: { ...ON.rules, ...rules } } })
        .findings.filter((f) => f.rule.includes('sleep-in-atomic'))
        .map((f) => `${facts.lineOf(f.span.start)}:${f.rule}:${f.severity}`);
    const all = rulesOf({});
    assert.ok(all.includes('80:may-sleep-in-atomic-indirect:warning'), all.join(', '));
    assert.deepEqual(rulesOf({ 'may-sleep-in-atomic-indirect': 'off' }), []);
    // Opt-in: off by default; on when configured (above) or named (`--rule may-sleep-in-atomic-indirect`).
    const of = (opts: { config?: KportConfig; only?: string[] }) =>
      analyze(facts, opts)
        .findings.filter((f) => f.rule === 'may-sleep-in-atomic-indirect')
        .map((f) => facts.lineOf(f.span.start));
    assert.deepEqual(of({}), []);
    assert.deepEqual(of({ config: { rules: {} } }), []);
    assert.ok(of({ only: ['may-sleep-in-atomic-indirect'] }).includes(80));
    assert.deepEqual(
      rulesOf({ 'may-sleep-in-atomic-indirect': 'info' }),
      all.map((f) => f.replace(/:warning$/, ':info')),
    );
  } finally {
    parsed.dispose();
  }
});

/** The CLI's pass 1 over the ops-split files (processFile's steps): each file's summary, and the binding reads it took. */
async function pass1(config: KportConfig): Promise<{ summaries: (FileSummary | undefined)[]; reads: number }> {
  const parser = await getParser();
  const before = bindingReads.structs + bindingReads.initializers + bindingReads.assignments;
  const opts: JobOptions = { mode: 'check', config, prefilter: true, summaries: true };
  const summaries = ['card.h', 'card_hw.c', 'card_core.c'].map((name) => {
    const file = `ops-split/${name}`;
    const text = fs.readFileSync(path.join(WS, name), 'utf8');
    return leftOut(text, opts) ? leftOutSummary(text, file, opts) : checkText(parser, file, text, opts, () => ({})).summary;
  });
  return { summaries, reads: bindingReads.structs + bindingReads.initializers + bindingReads.assignments - before };
}

test('with may-sleep-in-atomic-indirect off, pass 1 reads no struct order or field binding and summarizes none', async () => {
  const off = await pass1({ rules: { 'may-sleep-in-atomic-indirect': 'off' } });
  assert.equal(off.reads, 0);
  const indirectKeys = ['fieldBindings', 'structFields', 'sleepers', 'atomicFieldCalls', 'unreadStores'];
  for (const s of off.summaries) for (const k of indirectKeys) assert.ok(!s || !(k in s), `${s?.path}: ${k}`);
  // On by default: read and summarized.
  assert.equal((await pass1({ rules: {} })).reads, 0, 'off by default');
  const dflt = await pass1(ON);
  assert.ok(dflt.reads > 0);
  const on = dflt.summaries.find((s) => s?.path === 'ops-split/card_hw.c');
  assert.ok(
    on?.fieldBindings?.some((b) => b.target === 'hw_open'),
    JSON.stringify(on),
  );
  assert.ok(on?.sleepers?.length);
});

test('sleep-in-atomic reports a call through a field whose every stored function sleeps only while may-sleep-in-atomic-indirect is enabled', async () => {
  const index = new WorkspaceIndex();
  for (const s of focusSummaries(await summaries())) index.update(s);
  const parser = await getParser();
  const parsed = parser.parse(fs.readFileSync(path.join(WS, 'card_core.c'), 'utf8'));
  try {
    const findings = (opts: { config?: KportConfig; only?: string[] }) => {
      const facts = new FileFacts(parsed, 'ops-split/card_core.c');
      return analyze(facts, { ...opts, env: { workspace: index } })
        .findings.filter((f) => f.rule === 'sleep-in-atomic')
        .map((f) => `${facts.lineOf(f.span.start)}: ${f.message.split(':')[0]}`);
    };
    assert.deepEqual(findings({ config: ON }), ['11: c->ops->open() may sleep', '27: ops->fill() may sleep']);
    assert.deepEqual(findings({}), [], 'the rule is opt-in: off by default');
    assert.deepEqual(findings({ config: { rules: { 'may-sleep-in-atomic-indirect': 'off' } } }), []);
    assert.deepEqual(findings({ only: ['sleep-in-atomic'] }), []);
  } finally {
    parsed.dispose();
  }
});

test('pass 1 parses the callees of a locked field caller only when the file stores a parsed function in that field', async () => {
  const parser = await getParser();
  const text = (stored: string) => `struct pump_ops { int (*start)(int); int (*stop)(int); };
static spinlock_t pump_lock;
static int pump_drain(int n) { return n - 1; }
static int pump_fill(int n) { char *b = kmalloc(n, GFP_KERNEL); kfree(b); return 0; }
static struct pump_ops pump_table = { .${stored} = pump_fill };
static void pump_kick(struct pump_ops *ops)
{
	char *p = kmalloc(8, GFP_ATOMIC);
	spin_lock(&pump_lock);
	ops->start(pump_drain(2));
	spin_unlock(&pump_lock);
	kfree(p);
}
`;
  const seed = (t: string) => t.includes('kmalloc');
  const parsedNames = (src: string) => {
    const part = parseForRules(parser, src, seed, undefined, true, true);
    try {
      const unparsed = part.deferred.map(([s, e]) => src.slice(s, e)).join('\n');
      return ['pump_drain', 'pump_fill', 'pump_kick'].filter((n) => !unparsed.includes(`int ${n}(`) && !unparsed.includes(`void ${n}(`));
    } finally {
      part.parsed.dispose();
    }
  };
  // pump_fill (parsed: it allocates) is stored in .start, the field pump_kick calls under the lock: its callee pump_drain is read.
  assert.deepEqual(parsedNames(text('start')), ['pump_drain', 'pump_fill', 'pump_kick']);
  // Stored in .stop: no call through .start can be a finding without the workspace; pump_drain stays unparsed.
  assert.deepEqual(parsedNames(text('stop')), ['pump_fill', 'pump_kick']);
});
