/**
 * Do the editor and the CLI agree on a real tree? `kport check --format json TREE`, then the real server with
 * TREE as its workspace: once its index is ready, every file with a CLI finding is opened, and as many more
 * files that name an allocator, and the diagnostics (line, column, rule) are compared with the CLI's. Prints
 * each difference with the file and line; the goal is none.
 *
 *   node --import tsx bench/editor-vs-cli.ts TREE [--others N]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { expandPaths } from '../server/check/files';
import { fileUri, KPORT_BIN, startServer } from '../test/support/lsp-client';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { others: { type: 'string', default: '100' } } });
if (positionals.length !== 1) {
  console.error('usage: node --import tsx bench/editor-vs-cli.ts TREE [--others N]');
  process.exit(2);
}
const TREE = path.resolve(positionals[0]);

function readText(file: string): string {
  const b = fs.readFileSync(file);
  const u = b.toString('utf8');
  return Buffer.from(u, 'utf8').equals(b) ? u : b.toString('latin1');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const cli = spawnSync(process.execPath, [KPORT_BIN, 'check', '--format', 'json', TREE], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, CI: '1' },
  });
  const byFile = new Map<string, string[]>();
  for (const d of JSON.parse(cli.stdout).diagnostics as { file: string; line: number; column: number; rule: string }[]) {
    const f = path.resolve(d.file);
    byFile.set(f, [...(byFile.get(f) ?? []), `${d.line}:${d.column}:${d.rule}`]);
  }
  console.log(
    `kport check: ${[...byFile.values()].reduce((n, l) => n + l.length, 0)} findings in ${byFile.size} files, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const others = expandPaths([TREE])
    .files.filter((f) => !byFile.has(f) && /\b(kmalloc|__get_free_pages|alloc_pages|vmalloc|mempool_\w+|GFP_\w+)\b/.test(fs.readFileSync(f, 'latin1')))
    .filter((_, i, a) => i % Math.max(1, Math.floor(a.length / Number(values.others))) === 0)
    .slice(0, Number(values.others));
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-agree-'));
  // One publish per open: a staged open's first publish (files ≥ 256 KiB) holds only the context-free rules, and
  // its second equals this one-stage answer (test/server/staged-open.test.ts); the final answer is compared.
  const s = await startServer({ rootDir: TREE, initializationOptions: { cacheDir, stagedOpenBytes: 1 << 30 } });
  const indexed = new Promise<void>((resolve) =>
    s.conn.onNotification('window/logMessage', (m: { message: string }) => /^kport: indexed/.test(m.message) && resolve()),
  );
  await indexed;
  const key = (d: Diagnostic) => `${d.range.start.line + 1}:${d.range.start.character + 1}:${d.code}`;
  let same = 0;
  const diffs: string[] = [];
  for (const f of [...byFile.keys(), ...others]) {
    const uri = fileUri(f);
    const got = (await s.open(uri, readText(f))).map(key).sort();
    await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    const want = (byFile.get(f) ?? []).sort();
    const onlyEditor = got.filter((x) => !want.includes(x));
    const onlyCli = want.filter((x) => !got.includes(x));
    if (!onlyEditor.length && !onlyCli.length) same++;
    for (const x of onlyEditor) diffs.push(`editor only: ${path.relative(TREE, f)}:${x}`);
    for (const x of onlyCli) diffs.push(`CLI only:    ${path.relative(TREE, f)}:${x}`);
  }
  await s.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
  console.log(`${byFile.size + others.length} files compared (${byFile.size} with CLI findings, ${others.length} more that name an allocator): ${same} agree`);
  for (const d of diffs) console.log(`  ${d}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
