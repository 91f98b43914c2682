/**
 * The index host starts on any node the editor runs the server with: V8 tuning flags only where that V8 has them
 * (the interrupt budget: node 20's V8 11), and a host that a node refuses to start for an unknown flag (exit code 9)
 * is started again without them rather than leaving the workspace unindexed (code-server's node 24 refused
 * --interrupt-budget).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { indexSettings, runIndexHost } from '../../server/lsp/indexer';
import { interruptBudgetFlag } from '../../server/node/v8-flags';

test('the interrupt budget is given on V8 11 (node 20) only', () => {
  assert.deepEqual(interruptBudgetFlag('11.3.244.8-node.33'), ['--interrupt-budget=270336']);
  assert.deepEqual(interruptBudgetFlag('12.4.254.21-node.33'), []);
  assert.deepEqual(interruptBudgetFlag('13.6.233.10-node.29'), []);
});

test('an index host refused for a V8 flag this node lacks indexes without the flags', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-host-flags-'));
  try {
    fs.writeFileSync(path.join(root, 'tx.c'), 'void ring_refill(int len);\nvoid tx_start(void)\n{\n\tring_refill(64);\n}\n');
    fs.writeFileSync(
      path.join(root, 'ring.c'),
      '#include <linux/slab.h>\nstatic char *ring;\nvoid ring_refill(int len)\n{\n\tring = kmalloc(len, GFP_KERNEL);\n}\n',
    );
    const run = await runIndexHost({ root, settings: indexSettings(undefined), config: undefined, cacheFile: undefined, goal: 'summaries' }, {}, [
      '--kport-no-such-v8-flag',
    ]);
    // The host ran its passes over the folder on its pool's workers: both files read and summarized, ring_refill (it
    // reaches kmalloc) context-sensitive, and tx.c's call of it.
    assert.equal(run.files, 2);
    const byFile = new Map(run.summaries.map((x) => [path.basename(x.path), x]));
    assert.deepEqual([...byFile.keys()].sort(), ['ring.c', 'tx.c']);
    assert.deepEqual(byFile.get('ring.c')!.contextSensitive, ['ring_refill']);
    assert.ok(byFile.get('tx.c')!.calls.some((c) => c.callee === 'ring_refill'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
