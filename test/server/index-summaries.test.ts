/**
 * The editor's index runs the check plan for its summaries only (goal `summaries`): its first pass runs no rule
 * (JobOptions.summaryOnly: no finding, no verdict), so it parses less than `kport check` does — a verdict's callees,
 * parsed for the simulator, wait for the cross-file pass there. The summaries it hands the editor must be the ones a
 * check computes, in the same order: the editor's cross-file findings are the CLI's.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCheckPlan, type KportConfig, type PassName } from '../../core';
import { WorkerPool } from '../../server/check/pool';
import type { FileReport } from '../../server/check/process-file';
import { ROOT } from '../support/lsp-client';

const WORKSPACES = path.join(ROOT, 'test', 'fixtures', 'workspace');

async function plan(dir: string, goal: 'findings' | 'summaries', config?: KportConfig) {
  const files = fs
    .readdirSync(dir)
    .map((f) => path.join(dir, f))
    .sort();
  const passes = new Map<PassName, readonly FileReport[]>();
  const pool = new WorkerPool(files.length, { jobs: 1 });
  const result = await runCheckPlan(files, pool, { mode: 'check', config, goal, afterPass: (p, reports) => passes.set(p, reports as readonly FileReport[]) });
  return { workspace: result.workspace, pass1: passes.get('pass 1') ?? [] };
}

describe("an index's summaries are a check's, though its first pass runs no rule", () => {
  for (const name of fs.readdirSync(WORKSPACES)) {
    test(name, async () => {
      const dir = path.join(WORKSPACES, name);
      const check = await plan(dir, 'findings');
      const index = await plan(dir, 'summaries');
      assert.ok(check.workspace?.length, 'the fixture has summaries');
      assert.deepEqual(index.workspace, check.workspace);
      assert.deepEqual(
        index.pass1.flatMap((r) => r.findings),
        [],
        'no finding in the index pass',
      );
    });
  }
});

test("a verdict's callee: the check reads it in pass 1, the index in pass 1b, and both see its caller's lock", async () => {
  const dir = path.join(WORKSPACES, 'verdict-callee');
  const main = (reports: readonly FileReport[]) => reports.find((r) => r.file.endsWith('cam_main.c'))!;
  const check = await plan(dir, 'findings');
  const index = await plan(dir, 'summaries');
  // The check's finding in cam_refill() got a verdict, so its callee cam_note() was parsed with it.
  assert.equal(main(check.pass1).findings.length, 1);
  assert.equal(main(check.pass1).deferred, undefined);
  // The index ran no rule: cam_note() (no allocator of its own) was left for the cross-file pass.
  const text = fs.readFileSync(path.join(dir, 'cam_main.c'), 'utf8');
  assert.deepEqual(
    main(index.pass1).deferred?.map(([start, end]) => text.slice(start, end).match(/\w+(?=\()/)?.[0]),
    ['cam_note'],
  );
  const calls = index.workspace?.find((s) => s.path.endsWith('cam_main.c'))?.calls;
  assert.deepEqual(calls, [
    { caller: 'cam_note', callee: 'cam_log_event', atomic: 'cam_refill() → cam_note(): a spinlock is held (spin_lock(cam_lock) at line 22)', line: 17 },
  ]);
});

test('with calls through struct fields resolved, the index pass runs the rules as the check does', async () => {
  const config: KportConfig = { rules: { 'may-sleep-in-atomic-indirect': 'warning' } };
  let findings = 0;
  for (const name of ['ops-may', 'ops-split', 'verdict-callee']) {
    const dir = path.join(WORKSPACES, name);
    const check = await plan(dir, 'findings', config);
    const index = await plan(dir, 'summaries', config);
    assert.deepEqual(index.workspace, check.workspace, name);
    assert.deepEqual(
      index.pass1.map((r) => r.findings.length),
      check.pass1.map((r) => r.findings.length),
      `${name}: the same pass-1 findings`,
    );
    findings += index.pass1.reduce((n, r) => n + r.findings.length, 0);
  }
  assert.ok(findings > 0, 'the index pass found what the check pass finds');
});
