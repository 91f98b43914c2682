/**
 * Findings in `#ifdef` branches of macros that no file defines: the CLI reads the whole run (and the kernel
 * tree's headers, and Makefiles) before it calls them dead, and keeps them, lowered to info.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { KPORT_BIN, ROOT } from '../support/lsp-client';

const run = (args: string[]) => spawnSync(process.execPath, [KPORT_BIN, ...args], { cwd: ROOT, encoding: 'utf8' });

/** A driver whose __GFP_NOFAIL allocations sit under macros defined elsewhere, or nowhere. */
const DRIVER = `#include <linux/slab.h>
#include "skel.h"

static void *skel_get(int n)
{
	void *p = 0;
#ifdef SKEL_FROM_HEADER
	p = kmalloc(n, GFP_KERNEL | __GFP_NOFAIL);
#endif
#ifdef SKEL_NOWHERE
	p = kmalloc(n, GFP_KERNEL | __GFP_NOFAIL);
#endif
#ifdef SKEL_FROM_MAKEFILE
	p = kmalloc(n, GFP_KERNEL | __GFP_NOFAIL);
#endif
#ifdef SKEL_IN_KERNEL_INCLUDE
	p = kmalloc(n, GFP_KERNEL | __GFP_NOFAIL);
#endif
#if defined(SKEL_NOWHERE) || defined(SKEL_FROM_HEADER)
	p = kmalloc(n, GFP_KERNEL | __GFP_NOFAIL);
#endif
	return p;
}
`;

function tree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-dead-'));
  fs.mkdirSync(path.join(root, 'include', 'linux'), { recursive: true });
  fs.writeFileSync(path.join(root, 'include', 'linux', 'skel_cfg.h'), '#define SKEL_IN_KERNEL_INCLUDE 1\n');
  const drv = path.join(root, 'drivers', 'skel');
  fs.mkdirSync(drv, { recursive: true });
  fs.writeFileSync(path.join(drv, 'skel.c'), DRIVER);
  // The header is another file of the run: its define keeps the branch live.
  fs.writeFileSync(path.join(drv, 'other.h'), '#ifdef CONFIG_SKEL\n#define SKEL_FROM_HEADER\n#endif\n');
  fs.writeFileSync(path.join(drv, 'skel.h'), '/* nothing defined here */\n');
  fs.writeFileSync(path.join(drv, 'Makefile'), 'EXTRA_CFLAGS += -DSKEL_FROM_MAKEFILE\nobj-m := skel.o\n');
  return root;
}

interface Diagnostic {
  line: number;
  severity: string;
  message: string;
  dead?: boolean;
}

test('a finding under #ifdef of a macro nothing defines is kept, dead, at info; one defined in another file, a Makefile or the kernel headers is live', () => {
  const root = tree();
  const r = run(['check', '--format', 'json', '--rule', 'gfp-nofail', path.join(root, 'drivers')]);
  assert.equal(r.status, 0, r.stderr);
  const byLine = new Map<number, Diagnostic>(JSON.parse(r.stdout).diagnostics.map((d: Diagnostic) => [d.line, d]));
  assert.deepEqual(
    [...byLine.keys()].sort((a, b) => a - b),
    [8, 11, 14, 17, 20],
  );
  for (const live of [8, 14, 17, 20]) {
    assert.equal(byLine.get(live)!.severity, 'warning', `line ${live} is live`);
    assert.equal(byLine.get(live)!.dead, undefined);
    assert.doesNotMatch(byLine.get(live)!.message, /dead code/);
  }
  const dead = byLine.get(11)!;
  assert.equal(dead.severity, 'info');
  assert.equal(dead.dead, true);
  assert.match(dead.message, /^\[dead code: in `#ifdef SKEL_NOWHERE`, which nothing defines\] __GFP_NOFAIL/);
});

test('SARIF gives a dead finding level note, the unnecessary tag and dead: true', () => {
  const root = tree();
  const r = run(['check', '--format', 'sarif', '--rule', 'gfp-nofail', path.join(root, 'drivers')]);
  const results = JSON.parse(r.stdout).runs[0].results as { level: string; message: { text: string }; properties?: { tags: string[]; dead?: boolean } }[];
  const dead = results.filter((x) => x.properties?.dead);
  assert.equal(dead.length, 1);
  assert.equal(dead[0].level, 'note');
  assert.ok(dead[0].properties!.tags.includes('unnecessary'));
  assert.match(dead[0].message.text, /SKEL_NOWHERE/);
  assert.equal(results.filter((x) => x.level === 'warning').length, 4);
});

test('a run of one file counts the files beside it: a neighbour that defines the macro keeps the branch live', () => {
  const root = tree();
  const r = run(['check', '--format', 'json', '--rule', 'gfp-nofail', path.join(root, 'drivers', 'skel', 'skel.c')]);
  const diagnostics = JSON.parse(r.stdout).diagnostics as Diagnostic[];
  assert.deepEqual(
    diagnostics.filter((d) => d.dead).map((d) => d.line),
    [11],
  );
  assert.equal(diagnostics.length, 5);
});

test('dead findings outside any kernel tree (no include/linux above them) come with a warning that the headers were not read', () => {
  const root = tree();
  const inTree = run(['check', '--format', 'json', '--rule', 'gfp-nofail', path.join(root, 'drivers')]);
  assert.doesNotMatch(inTree.stderr, /without a kernel tree/);
  fs.rmSync(path.join(root, 'include'), { recursive: true });
  const r = run(['check', '--format', 'json', '--rule', 'gfp-nofail', path.join(root, 'drivers')]);
  const diagnostics = JSON.parse(r.stdout).diagnostics as Diagnostic[];
  // SKEL_IN_KERNEL_INCLUDE's branch is now dead too: its header is gone, and the warning says why to doubt it.
  assert.deepEqual(
    diagnostics.filter((d) => d.dead).map((d) => d.line),
    [11, 17],
  );
  assert.match(r.stderr, /kport: 2 findings in 1 file marked dead code .* without a kernel tree to read: no include\/linux/);
  const sarif = run(['check', '--format', 'sarif', '--rule', 'gfp-nofail', path.join(root, 'drivers')]);
  const notes = JSON.parse(sarif.stdout).runs[0].invocations[0].toolExecutionNotifications as { message: { text: string }; level: string }[];
  assert.ok(notes.some((n) => n.level === 'warning' && /without a kernel tree/.test(n.message.text)));
});
