/**
 * `npm run bench -- PATH... [--no-lsp] [--lsp-only] [--no-seq]`: the CLI against its floor and grep on
 * the same files in one run, then the language server's latency (bench/lsp.ts). Prints a table; not a test.
 *
 *   (a) parse-only: read + decode + tree-sitter parse + dispose, through the same CLI, pool and parser
 *       (`KPORT_INTERNAL=parse-only`), sequential (`--jobs 1`) and on all cores;
 *   (b) full `kport check --format json` on all cores;
 *   (c) `grep -rlE` for the rules' keywords over the same .c/.h files.
 * Wall time per pass, MB/s, peak RSS (from /usr/bin/time when present), ratios b/a and b/c.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expandPaths } from '../server/check/files';
import { runLspBench } from './lsp';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'kport.js');
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** The rules' keywords: what a grep-based first pass would look for. */
export const GREP_KEYWORDS =
  'malloc\\.h|GFP_BUFFER|mempool_resize|__GFP_NOFAIL|__GFP_REPEAT|__GFP_NORETRY|free_hot_page|free_cold_page|mempool_create|mempool_destroy|mempool_alloc|alloc_pages|__get_free_pages|GFP_KERNEL';

export interface Pass {
  name: string;
  wallS: number;
  peakRssMB?: number;
  stdout: string;
  status: number | null;
}

/** Runs a command, stdout to a file (read back after timing), wall time and peak RSS of the whole tree. */
/** The CLI's internal parse-only mode (server/node/internal.ts). */
const PARSE_ONLY = { ...process.env, KPORT_INTERNAL: 'parse-only' };

export function timed(name: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Pass {
  const out = path.join(os.tmpdir(), `kport-bench-${process.pid}-${name.replace(/\W+/g, '_')}.out`);
  const rssFile = out + '.rss';
  const fd = fs.openSync(out, 'w');
  const argv = TIME ? ['-f', '%M', '-o', rssFile, cmd, ...args] : args;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME ?? cmd, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', fd, 'pipe'], maxBuffer: 1 << 26 });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.closeSync(fd);
  const stdout = fs.readFileSync(out, 'utf8');
  fs.rmSync(out, { force: true });
  let peakRssMB: number | undefined;
  if (TIME && fs.existsSync(rssFile)) {
    // GNU time reports max RSS in KB; for node, worker threads share the process, so this covers them.
    const kb = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    if (Number.isFinite(kb)) peakRssMB = kb / 1024;
    fs.rmSync(rssFile, { force: true });
  }
  if (r.status !== 0 && r.status !== 1) process.stderr.write(`${name}: exit ${r.status}\n${String(r.stderr).split('\n').slice(-12).join('\n')}\n`);
  return { name, wallS, peakRssMB, stdout, status: r.status };
}

function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const paths = argv.filter((a) => !a.startsWith('--'));
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js')) || !fs.existsSync(path.join(ROOT, 'dist', 'check-worker.js'))) {
    spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  }
  console.log(
    `machine: ${os.cpus()[0]?.model ?? '?'}, ${os.availableParallelism()} cores, node ${process.version}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  if (!flags.has('--lsp-only')) {
    if (!paths.length) {
      console.error('usage: npm run bench -- PATH... [--no-lsp] [--no-seq]');
      process.exit(2);
    }
    const { files, errors } = expandPaths(paths);
    if (errors.length) console.error(errors.join('\n'));
    const bytes = files.reduce((s, f) => s + fs.statSync(f).size, 0);
    const mb = bytes / 1e6;
    console.log(`tree: ${paths.join(' ')}: ${files.length} files, ${mb.toFixed(1)} MB of .c/.h`);
    const node = process.execPath;
    const passes: Pass[] = [];
    if (!flags.has('--no-seq')) passes.push(timed('a1 parse-only, 1 thread', node, [BIN, 'check', '--jobs', '1', ...paths], { env: PARSE_ONLY }));
    const floor = timed(`a2 parse-only, ${os.availableParallelism()} threads`, node, [BIN, 'check', ...paths], { env: PARSE_ONLY });
    passes.push(floor);
    const check = timed(`b  kport check (all rules, json), ${os.availableParallelism()} threads`, node, [BIN, 'check', '--format', 'json', ...paths]);
    passes.push(check);
    const grep = timed('c  grep -rlE keywords', 'grep', ['-rlE', '--include=*.c', '--include=*.h', GREP_KEYWORDS, ...paths]);
    passes.push(grep);
    console.log('');
    console.log(`${'pass'.padEnd(44)} ${'wall s'.padStart(8)} ${'MB/s'.padStart(8)} ${'peak RSS MB'.padStart(12)}`);
    for (const p of passes)
      console.log(`${p.name.padEnd(44)} ${fmt(p.wallS).padStart(8)} ${fmt(mb / p.wallS, 1).padStart(8)} ${fmt(p.peakRssMB, 0).padStart(12)}`);
    const seq = passes.find((p) => p.name.startsWith('a1'));
    console.log('');
    console.log(`b/a (check / parse-only floor, all threads): ${fmt(check.wallS / floor.wallS)}`);
    if (seq) console.log(`b/a1 (check / sequential parse-only):        ${fmt(check.wallS / seq.wallS)}`);
    console.log(`b/c (check / grep):                          ${fmt(check.wallS / grep.wallS, 1)}`);
    try {
      const diags: { rule: string; file: string }[] = JSON.parse(check.stdout).diagnostics;
      const per = new Map<string, { n: number; files: Set<string> }>();
      for (const d of diags) {
        const s = per.get(d.rule) ?? { n: 0, files: new Set() };
        s.n++;
        s.files.add(d.file);
        per.set(d.rule, s);
      }
      console.log(`\nkport findings: ${diags.length} in ${new Set(diags.map((d) => d.file)).size} files (exit ${check.status})`);
      for (const [rule, s] of [...per].sort((x, y) => y[1].n - x[1].n)) console.log(`  ${rule.padEnd(30)} ${String(s.n).padStart(6)} in ${s.files.size} files`);
    } catch {
      console.log(`kport check output was not JSON (exit ${check.status})`);
    }
    console.log(`grep: ${grep.stdout.split('\n').filter(Boolean).length} files mention a keyword`);
  }
  if (!flags.has('--no-lsp')) await runLspBench();
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
