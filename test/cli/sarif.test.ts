/** `--format sarif`: valid against the official SARIF 2.1.0 schema, with rules, locations and fixes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { RULES } from '../../core';
import { KPORT_BIN, ROOT } from '../support/lsp-client';

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
// biome-ignore lint/suspicious/noExplicitAny: SARIF logs are checked by the schema, read loosely
const validate = ajv.compile<any>(schema);

const run = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [KPORT_BIN, ...args], { cwd, encoding: 'utf8' });

test('the schema rejects what it should (the validator is really on)', () => {
  assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] }), false, 'driver.name is required');
  assert.equal(validate({ version: '2.0.0', runs: [] }), false);
  assert.equal(validate({ version: '2.1.0', runs: [] }), true);
});

test('SARIF output validates against sarif-schema-2.1.0.json and carries rules, regions and fixes', () => {
  const r = run(['check', '--format', 'sarif', 'examples/skel_blk.c']);
  assert.equal(r.status, 1, r.stderr);
  const log = JSON.parse(r.stdout);
  assert.ok(validate(log), ajv.errorsText(validate.errors, { separator: '\n' }));
  assert.equal(log.version, '2.1.0');
  const run0 = log.runs[0];
  const rules = run0.tool.driver.rules;
  assert.deepEqual(
    rules.map((x: { id: string }) => x.id),
    RULES.map((x) => x.id),
  );
  for (const rule of rules) {
    assert.ok(rule.shortDescription.text.length > 0);
    assert.ok(rule.fullDescription.text.length > 0);
    assert.ok(['error', 'warning', 'note'].includes(rule.defaultConfiguration.level));
    assert.ok(fs.existsSync(fileURLToPath(rule.helpUri)), `${rule.helpUri} is the rule's doc`);
  }
  assert.equal(run0.originalUriBaseIds.SRCROOT.uri, `file://${ROOT}/`);
  const byRule = (id: string) => run0.results.filter((x: { ruleId: string }) => x.ruleId === id);
  const [malloc] = byRule('malloc-h');
  assert.equal(malloc.level, 'error');
  assert.equal(
    malloc.ruleIndex,
    RULES.findIndex((x) => x.id === 'malloc-h'),
  );
  assert.deepEqual(malloc.locations[0].physicalLocation, {
    artifactLocation: { uri: 'examples/skel_blk.c', uriBaseId: 'SRCROOT' },
    region: { startLine: 7, startColumn: 10, endLine: 7, endColumn: 26 },
  });
  assert.deepEqual(malloc.fixes[0].artifactChanges[0].replacements, [
    { deletedRegion: { startLine: 7, startColumn: 10, endLine: 7, endColumn: 26 }, insertedContent: { text: '<linux/slab.h>' } },
  ]);
  const gfp = byRule('gfp-buffer');
  assert.equal(gfp.length, 2);
  assert.deepEqual(
    gfp.map(
      (g: { fixes: { artifactChanges: { replacements: { insertedContent: { text: string } }[] }[] }[] }) =>
        g.fixes[0].artifactChanges[0].replacements[0].insertedContent.text,
    ),
    ['GFP_NOIO', 'GFP_NOIO'],
  );
  const [resize] = byRule('mempool-resize');
  assert.equal(resize.fixes, undefined, 'guidance only: no preferred fix, no SARIF fix');
  assert.equal(run0.invocations[0].executionSuccessful, true);
});

test('SARIF: severities from .kport.json, related locations, I/O errors as notifications, still valid', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-sarif-'));
  fs.mkdirSync(path.join(dir, 'sub dir'));
  fs.writeFileSync(path.join(dir, '.kport.json'), JSON.stringify({ rules: { 'malloc-h': 'info' } }));
  fs.writeFileSync(
    path.join(dir, 'sub dir', 'lock.c'),
    '#include <linux/malloc.h>\nstatic spinlock_t l;\nvoid f(void)\n{\n\tchar *p;\n\tspin_lock(&l);\n\tp = kmalloc(16, GFP_KERNEL);\n\tspin_unlock(&l);\n}\n',
  );
  const r = run(['check', '--format', 'sarif', '.', 'missing.c'], dir);
  assert.equal(r.status, 2, 'missing.c is an I/O error');
  const log = JSON.parse(r.stdout);
  assert.ok(validate(log), ajv.errorsText(validate.errors, { separator: '\n' }));
  const results = log.runs[0].results;
  const malloc = results.find((x: { ruleId: string }) => x.ruleId === 'malloc-h');
  assert.equal(malloc.level, 'note', 'info maps to note');
  assert.equal(malloc.locations[0].physicalLocation.artifactLocation.uri, 'sub%20dir/lock.c');
  const withRelated = results.filter((x: { relatedLocations?: unknown[] }) => x.relatedLocations?.length);
  if (RULES.some((x) => x.id === 'sleep-in-atomic')) {
    const sleep = results.find((x: { ruleId: string }) => x.ruleId === 'sleep-in-atomic');
    assert.equal(sleep.locations[0].physicalLocation.region.startLine, 7);
    assert.ok(withRelated.length > 0, 'the spin_lock line is a related location');
    assert.equal(sleep.relatedLocations[0].physicalLocation.region.startLine, 6);
  }
  const inv = log.runs[0].invocations[0];
  assert.equal(inv.executionSuccessful, false);
  assert.match(inv.toolExecutionNotifications[0].message.text, /missing\.c: no such file or directory/);
});
