/** The CLI as a user runs it: output formats, exit codes, unreadable files. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { KPORT_BIN, ROOT } from '../support/lsp-client';

const run = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [KPORT_BIN, ...args], { cwd, encoding: 'utf8' });

test('check prints gcc-style findings and exits 1 on errors', () => {
  const r = run(['check', 'examples/skel_blk.c']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^examples\/skel_blk\.c:7:10: error: <linux\/malloc\.h> does not exist in 2\.6.* \[malloc-h\]$/m);
  assert.match(r.stdout, /^examples\/skel_blk\.c:14:24: error: GFP_BUFFER is gone.* \[gfp-buffer\]$/m);
});

test('--format json has the documented shape with 1-based positions', () => {
  const r = run(['check', '--format', 'json', 'examples/skel_blk.c']);
  const out = JSON.parse(r.stdout);
  assert.equal(out.version, 1);
  const m = out.diagnostics.find((d: { rule: string }) => d.rule === 'malloc-h');
  assert.deepEqual(m, { file: 'examples/skel_blk.c', line: 7, column: 10, endLine: 7, endColumn: 26, rule: 'malloc-h', severity: 'error', message: m.message });
});

test('exit 0 on a clean tree, 2 on usage errors and missing paths, and the run goes on past unreadable files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-cli-'));
  fs.writeFileSync(path.join(dir, 'clean.c'), '#include <linux/slab.h>\nvoid *f(void) { return kmalloc(4, GFP_KERNEL); }\n');
  assert.equal(run(['check', dir]).status, 0);
  assert.equal(run(['check']).status, 2);
  assert.equal(run(['check', '--format', 'xml', dir]).status, 2);
  assert.equal(run(['check', '--rule', 'no-such-rule', dir]).status, 2);
  const missing = run(['check', path.join(dir, 'nope.c'), 'examples/skel_blk.c']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.c: no such file or directory/);
  assert.match(missing.stdout, /\[malloc-h\]/, 'the readable file was still checked');
  if (process.getuid?.() !== 0) {
    fs.writeFileSync(path.join(dir, 'secret.c'), '#include <linux/malloc.h>\n', { mode: 0 });
    const r = run(['check', dir]);
    assert.match(r.stderr, /secret\.c/);
  }
});

test('.kport.json and --disable turn rules off', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-cfg-'));
  fs.copyFileSync(path.join(ROOT, 'examples', 'skel_blk.c'), path.join(dir, 'a.c'));
  fs.writeFileSync(path.join(dir, '.kport.json'), JSON.stringify({ rules: { 'gfp-buffer': 'off', 'malloc-h': 'warning' } }));
  const r = run(['check', '--format', 'json', dir]);
  const rules = JSON.parse(r.stdout).diagnostics.map((d: { rule: string; severity: string }) => `${d.rule}:${d.severity}`);
  assert.deepEqual(rules, ['malloc-h:warning', 'mempool-resize:error']);
  const r2 = run(['check', '--format', 'json', '--disable', 'mempool-resize', dir]);
  assert.deepEqual(
    JSON.parse(r2.stdout).diagnostics.map((d: { rule: string }) => d.rule),
    ['malloc-h'],
  );
  assert.equal(r2.status, 0, 'only warnings left');
});

test('across files: a handler registered in another file and its non-static helper are checked in atomic context', () => {
  const r = run(['check', '--format', 'json', 'test/fixtures/workspace/irq-split']);
  const got = JSON.parse(r.stdout).diagnostics.map((d: { file: string; line: number; rule: string }) => `${path.basename(d.file)}:${d.line}:${d.rule}`);
  assert.deepEqual(got, ['skel_irq.c:7:sleep-in-atomic', 'skel_irq.c:13:sleep-in-atomic']);
  const alone = run(['check', '--format', 'json', 'test/fixtures/workspace/irq-split/skel_irq.c']);
  assert.deepEqual(JSON.parse(alone.stdout).diagnostics, [], 'one file alone cannot know who registers its handler');
  const withJobs = run(['check', '--format', 'json', '--jobs', '2', 'test/fixtures/workspace/irq-split']);
  assert.equal(withJobs.stdout, r.stdout, 'workers give the same answer');
});

test('across files: a call through an ops table reaches the functions another file stores in the field (struct order from a header)', () => {
  const r = run(['check', '--format', 'json', 'test/fixtures/workspace/ops-split']);
  const got = JSON.parse(r.stdout).diagnostics.map((d: { file: string; line: number; rule: string }) => `${path.basename(d.file)}:${d.line}:${d.rule}`);
  // card_core.c holds no allocation: pass 1 leaves it unparsed, its calls through .open and .fill bring it to pass 2.
  assert.deepEqual(got, ['card_core.c:11:sleep-in-atomic', 'card_core.c:27:sleep-in-atomic']);
  const alone = run(['check', '--format', 'json', 'test/fixtures/workspace/ops-split/card_core.c']);
  assert.deepEqual(JSON.parse(alone.stdout).diagnostics, [], 'one file alone cannot know what its fields hold');
  const withJobs = run(['check', '--format', 'json', '--jobs', '2', 'test/fixtures/workspace/ops-split']);
  assert.equal(withJobs.stdout, r.stdout, 'workers give the same answer');
});

test('the second pass: only files whose allocating functions are called atomically elsewhere, with only those calls', async () => {
  const { CParser, FileFacts } = await import('../../core');
  const { summarizeFile } = await import('../../core/context/atomic-context');
  const { focusSummaries } = await import('../../core/context/workspace');
  const { filesNeedingWorkspace } = await import('../../core/scale/check-plan');
  const parser = await CParser.create({
    runtime: fs.readFileSync(path.join(ROOT, 'node_modules/web-tree-sitter/web-tree-sitter.wasm')),
    language: fs.readFileSync(path.join(ROOT, 'node_modules/tree-sitter-c/tree-sitter-c.wasm')),
  });
  const summary = (file: string, text: string) => {
    const parsed = parser.parse(text);
    try {
      return summarizeFile(new FileFacts(parsed, file));
    } finally {
      parsed.dispose();
    }
  };
  const helpers = summary(
    'helpers.c',
    `void *helper_alloc(int n)\n{\n\treturn kmalloc(n, GFP_KERNEL);\n}\n\nint helper_count(int n)\n{\n\treturn n + 1;\n}\n\nstatic void *grab(int n)\n{\n\treturn kmalloc(n, GFP_KERNEL);\n}\n\nvoid *helper_wrap(int n)\n{\n\treturn grab(n);\n}\n`,
  );
  const count = summary(
    'count.c',
    `static spinlock_t lock;\n\nint count(int n)\n{\n\tint r;\n\tspin_lock(&lock);\n\tr = helper_count(n);\n\tspin_unlock(&lock);\n\treturn r;\n}\n`,
  );
  assert.deepEqual(helpers.contextSensitive.sort(), ['grab', 'helper_alloc', 'helper_wrap']);
  assert.deepEqual(count.contextSensitive, []);
  assert.ok(
    count.calls.some((c) => c.callee === 'helper_count' && c.atomic),
    'helper_count is called with a spinlock held',
  );
  assert.deepEqual([...filesNeedingWorkspace([helpers, count])], [], 'helper_count allocates nothing: no finding can change');
  const user = summary(
    'user.c',
    `static spinlock_t lock;\n\nvoid *user(int n)\n{\n\tvoid *p;\n\tspin_lock(&lock);\n\tp = helper_wrap(n);\n\tr = helper_count(n);\n\tspin_unlock(&lock);\n\treturn p;\n}\n`,
  );
  assert.deepEqual([...filesNeedingWorkspace([helpers, count, user])], ['helpers.c']);
  const focused = focusSummaries([helpers, count, user]);
  assert.deepEqual(
    focused[2].calls.map((c) => c.callee),
    ['helper_wrap'],
    'only calls of context-sensitive functions travel to the second pass',
  );
  assert.deepEqual(focused[1].calls, []);
});

test('the former id mempool-alloc-unchecked still works in .kport.json, --rule, --disable and kport-ignore, each with a deprecation note', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-renamed-'));
  // Line 8 holds `kport-ignore mempool-alloc-unchecked`, which suppresses the finding on line 9; line 15's stays.
  fs.copyFileSync(path.join(ROOT, 'test/fixtures/rules/alloc-result-unchecked/old-id.c'), path.join(dir, 'a.c'));
  const found = (r: ReturnType<typeof run>) =>
    JSON.parse(r.stdout).diagnostics.map((d: { rule: string; line: number; severity: string }) => `${d.rule}:${d.line}:${d.severity}`);
  const note = /rule "mempool-alloc-unchecked" is now "alloc-result-unchecked"/;

  const only = run(['check', '--format', 'json', '--rule', 'mempool-alloc-unchecked', dir]);
  assert.deepEqual(found(only), ['alloc-result-unchecked:15:warning']);
  assert.match(only.stderr, note);
  assert.match(only.stderr, /a\.c: line 8: kport-ignore mempool-alloc-unchecked: rule "mempool-alloc-unchecked" is now/);

  const off = run(['check', '--format', 'json', '--disable', 'mempool-alloc-unchecked', dir]);
  assert.deepEqual(found(off), []);
  assert.match(off.stderr, note);

  fs.writeFileSync(path.join(dir, '.kport.json'), JSON.stringify({ rules: { 'mempool-alloc-unchecked': 'error' } }));
  const cfg = run(['check', '--format', 'json', dir]);
  assert.deepEqual(found(cfg), ['alloc-result-unchecked:15:error']);
  assert.equal(cfg.status, 1);
  assert.match(cfg.stderr, new RegExp(`\\.kport\\.json: ${note.source}`));
  // Both ids given: the current one wins.
  fs.writeFileSync(path.join(dir, '.kport.json'), JSON.stringify({ rules: { 'alloc-result-unchecked': 'info', 'mempool-alloc-unchecked': 'error' } }));
  assert.deepEqual(found(run(['check', '--format', 'json', dir])), ['alloc-result-unchecked:15:info']);
});
