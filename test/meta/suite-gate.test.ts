/**
 * The real-editor suites on a machine without their tools: each is reported as skipped with one line that
 * names what is missing and the command that installs it (never cancelled, failed or silent), and under
 * CI=true each fails instead. The suites themselves run in child test runners with the tools hidden:
 * PATH holds only node (no dpkg-query, nvim, emacs) and the code-server cache points at
 * an empty directory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { INSTALL_COMMAND } from '../support/editor-tools.mjs';

const ROOT = path.resolve(__dirname, '..', '..');
const SUITES = { vscode: 'test/e2e/vscode.test.ts', nvim: 'test/nvim/nvim.test.ts', emacs: 'test/editors/emacs.test.ts' };
const emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-no-tools-'));
after(() => fs.rmSync(emptyCache, { recursive: true, force: true }));
// A PATH with node alone (node often lives in /usr/bin beside nvim, emacs and dpkg-query).
const nodeOnly = path.join(emptyCache, 'bin');
fs.mkdirSync(nodeOnly);
fs.symlinkSync(process.execPath, path.join(nodeOnly, 'node'));

function runHidden(file: string, ci: boolean) {
  const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: nodeOnly, KPORT_E2E_CACHE: emptyCache, KPORT_E2E_CHROMIUM: path.join(emptyCache, 'chromium') };
  if (ci) env.CI = 'true';
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('real-editor suites without their tools', () => {
  for (const [suite, file] of Object.entries(SUITES)) {
    test(`${suite}: skipped with what is missing and "${INSTALL_COMMAND}"`, () => {
      const r = runHidden(file, false);
      assert.equal(r.status, 0, r.out);
      const skipLine = r.out.split('\n').find((l) => /# SKIP/.test(l));
      assert.ok(skipLine, `no skipped test reported:\n${r.out}`);
      assert.match(skipLine, /skipped: missing .+\. Install with: npm run setup:editors/);
      assert.match(r.out, /# skipped [1-9]/);
      assert.match(r.out, /# fail 0/);
      assert.match(r.out, /# cancelled 0/);
    });
    test(`${suite}: a failure under CI=true`, () => {
      const r = runHidden(file, true);
      assert.notEqual(r.status, 0, r.out);
      assert.match(r.out, /is required under CI=true, but this machine lacks: .+Install with: npm run setup:editors/);
      assert.match(r.out, /# skipped 0/);
    });
  }
});
