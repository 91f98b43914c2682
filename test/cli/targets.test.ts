/** The targets a user can pick are the releases of the knowledge base, in every place they are listed. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TARGET, TARGETS } from '../../core/kernel/target';
import { KPORT_BIN, ROOT } from '../support/lsp-client';

test("package.json's kport.target enum is TARGETS (after the empty 'use .kport.json' choice), one description each", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const sections = Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration : [pkg.contributes.configuration];
  const setting = sections.map((s: { properties: Record<string, unknown> }) => s.properties['kport.target']).find(Boolean) as {
    enum: string[];
    enumDescriptions: string[];
    default: string;
  };
  assert.ok(setting, 'package.json contributes kport.target');
  assert.deepEqual(setting.enum, ['', ...TARGETS]);
  assert.equal(setting.enumDescriptions.length, setting.enum.length);
  assert.equal(setting.default, '');
});

test('kport --help lists TARGETS for --target, and the default', () => {
  const r = spawnSync(process.execPath, [KPORT_BIN, '--help'], { cwd: ROOT, encoding: 'utf8' });
  const help = (r.stdout + r.stderr).replace(/\s+/g, ' ');
  const m = /--target VERSION .*?: (.*?) \(default (\S+?),/.exec(help);
  assert.ok(m, `--target in kport --help:\n${help}`);
  assert.deepEqual(m[1].split(', '), [...TARGETS]);
  assert.equal(m[2], DEFAULT_TARGET);
});
