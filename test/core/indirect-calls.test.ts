/**
 * Calls through function pointers in ops tables across files: the functions stored in a field (designated and
 * positional initializers, the struct's order read from a header) come from the other files' summaries, through
 * the workspace index, as the CLI's second pass and the editor's index hand them over (focusSummaries).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyze, FileFacts } from '../../core';
import { summarizeFile } from '../../core/context/atomic-context';
import { focusSummaries, WorkspaceIndex, type FileSummary } from '../../core/context/workspace';
import { filesNeedingWorkspace } from '../../core/scale/check-plan';
import { getParser } from '../support/core';
import { ROOT } from '../support/lsp-client';

const WS = path.join(ROOT, 'test', 'fixtures', 'workspace', 'ops-split');

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

async function coreFindings(workspace?: WorkspaceIndex): Promise<string[]> {
  const parser = await getParser();
  const text = fs.readFileSync(path.join(WS, 'card_core.c'), 'utf8');
  const parsed = parser.parse(text);
  try {
    const facts = new FileFacts(parsed, 'ops-split/card_core.c');
    return analyze(facts, { env: { workspace } })
      .findings.filter((f) => f.rule === 'sleep-in-atomic')
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

test('a function stored in the field that does not sleep, or one the workspace cannot read, keeps the call unreported', async () => {
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
});
