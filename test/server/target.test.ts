/** The target kernel over JSON-RPC and in the CLI: `kport.target` / `--target` change findings, fixes and the hover. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { CodeAction, Hover } from 'vscode-languageserver-protocol';
import { applyLspEdits } from '../support/edits';
import { fileUri, KPORT_BIN, ROOT, startServer } from '../support/lsp-client';

const TEXT = `#include <linux/slab.h>
#include <linux/mm.h>

struct rx { kmem_cache_t *cache; struct page *page; };

static int rx_fill(struct rx *r)
{
	r->page = alloc_pages(GFP_KERNEL | __GFP_COLD, 0);
	if (!r->page)
		return -ENOMEM;
	return 0;
}
`;

test('kport.target 6.1: names 6.1 lacks are flagged with their release, the fix writes 6.1 code, the hover says the simulator is 2.6', async () => {
  const s = await startServer({ initializationOptions: { indexWorkspace: false, settings: { target: '6.1' } } });
  try {
    const uri = fileUri('/tmp/kport-target-rx.c');
    const ds = await s.open(uri, TEXT);
    const cold = ds.find((d) => d.code === 'removed-in-target' && /__GFP_COLD/.test(d.message));
    assert.ok(cold, `no removed-in-target finding for __GFP_COLD: ${JSON.stringify(ds.map((d) => d.code))}`);
    assert.match(cold.message, /`__GFP_COLD` is gone since 4\.15 \(absent from 4\.19\), so this does not build for a 6\.1 target: drop it/);
    assert.ok(ds.some((d) => d.code === 'removed-in-target' && /kmem_cache_t/.test(d.message)));
    const actions = (await s.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: cold.range,
      context: { diagnostics: [cold], only: ['quickfix'] },
    })) as CodeAction[];
    const fixed = applyLspEdits(TEXT, actions[0].edit!.changes![uri]);
    assert.match(fixed, /r->page = alloc_pages\(GFP_KERNEL, 0\);/);
    const line = TEXT.split('\n').findIndex((l) => l.includes('alloc_pages'));
    const h = (await s.conn.sendRequest('textDocument/hover', {
      textDocument: { uri },
      position: { line, character: TEXT.split('\n')[line].indexOf('alloc_pages') + 1 },
    })) as Hover;
    assert.match(
      (h.contents as { value: string }).value,
      /Simulated on Linux 2\.6\.11's allocator \(256 MiB, 1 CPU\) — the 2\.6 allocator the article describes, not your 6\.1 target's:/,
    );
  } finally {
    await s.close();
  }
  // The default target (2.6): none of it; cold-page-dma's advice about __GFP_COLD stands there.
  const d = await startServer({ initializationOptions: { indexWorkspace: false } });
  try {
    const ds = await d.open(fileUri('/tmp/kport-target-rx2.c'), TEXT);
    assert.ok(!ds.some((x) => x.code === 'removed-in-target' || x.code === 'signature-in-target'), JSON.stringify(ds.map((x) => x.code)));
  } finally {
    await d.close();
  }
});

test('kport check --target: findings follow the target; an unknown target is a usage error naming the valid ones', () => {
  const fixture = path.join(ROOT, 'test', 'fixtures', 'rules', 'removed-in-target', 'ring.c');
  const run = (args: string[]) => spawnSync(process.execPath, [KPORT_BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  const rules = (args: string[]) =>
    (JSON.parse(run(['check', '--format', 'json', ...args, fixture]).stdout) as { diagnostics: { rule: string }[] }).diagnostics.map((x) => x.rule);
  assert.ok(!rules([]).includes('removed-in-target'));
  assert.ok(!rules(['--target', '2.6.11']).includes('removed-in-target'));
  // The CLI finds what the fixture's 6.1 golden file (the analysis in core) lists.
  const golden = fs.readFileSync(`${fixture}.target-6.1.expect`, 'utf8').match(/^\d+:\d+ removed-in-target /gm)!.length;
  assert.equal(rules(['--target', '6.1']).filter((r) => r === 'removed-in-target').length, golden);
  const bad = run(['check', '--target', '2.6.18', fixture]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--target: target kernel "2\.6\.18" is not one of 2\.6, 2\.6\.11, 2\.6\.32, 3\.10, 4\.4, 4\.19, 5\.10, 6\.1/);
});
