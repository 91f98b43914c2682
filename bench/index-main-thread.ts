/**
 * What the language server's main thread does while the workspace index runs and right after a reopen, with
 * no typing at all (so every busy millisecond is the index's wiring, re-analysis of the open documents, message
 * deserialization or GC), and the index's time beside `kport check`'s on the same tree (CPU time and wall).
 * The real server (`kport lsp --stdio`) over JSON-RPC with TREE as the workspace; a preloaded monitor
 * (support/loop-monitor.cjs) samples the main thread's event-loop utilization, longest block and GC every 250 ms.
 *
 *   node --import tsx bench/index-main-thread.ts TREE [--files a.c,b.c] [--after 3000] [--no-cli]
 *
 * Two sessions: an empty index cache, then reopened on that cache. Files (default: the two the issue names,
 * when present; `--files none`: no document) are opened at the start and stay open.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileUri, KPORT_BIN, startServer } from '../test/support/lsp-client';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { files: { type: 'string' }, after: { type: 'string', default: '3000' }, 'no-cli': { type: 'boolean', default: false } },
});
if (positionals.length !== 1) {
  console.error('usage: node --import tsx bench/index-main-thread.ts TREE [--files a.c,b.c] [--after MS] [--no-cli]');
  process.exit(2);
}
const TREE = path.resolve(positionals[0]);
const AFTER_MS = Number(values.after);
const MONITOR = path.join(__dirname, 'support', 'loop-monitor.cjs');
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
// `--files none`: no document open (the main thread's busy time is then the index's own).
const files = (values.files ? values.files.split(',') : ['drivers/net/wan/lmc/lmc_main.c', 'drivers/scsi/aic7xxx/aic7xxx_osm.c'])
  .map((f) => path.resolve(TREE, f))
  .filter((f) => fs.existsSync(f) && fs.statSync(f).isFile());

interface Sample {
  t: number;
  busyMs: number;
  maxBlockMs: number;
  gcMs: number;
  gcMaxMs: number;
}

async function session(name: string, cacheDir: string): Promise<void> {
  const samplesFile = path.join(cacheDir, `${name.replace(/\W+/g, '-')}.jsonl`);
  fs.rmSync(samplesFile, { force: true });
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${MONITOR}`;
  process.env.KPORT_LOOP_MONITOR = samplesFile;
  const t0 = performance.now();
  let indexLog = '';
  let resolveIndexed: (ms: number) => void = () => undefined;
  const indexed = new Promise<number>((r) => (resolveIndexed = r));
  const s = await startServer({ rootDir: TREE, initializationOptions: { cacheDir } });
  delete process.env.KPORT_LOOP_MONITOR;
  process.env.NODE_OPTIONS = process.env.NODE_OPTIONS.replace(` --require ${MONITOR}`, '');
  s.conn.onNotification('window/logMessage', (m: { message: string }) => {
    if (process.env.KPORT_TRACE && /^kport: (analysis|index)/.test(m.message))
      console.log(`  [server ${((performance.now() - t0) / 1000).toFixed(2)} s] ${m.message}`);
    if (/^kport: indexed/.test(m.message)) {
      indexLog = m.message;
      resolveIndexed(performance.now() - t0);
    }
  });
  for (const f of files) await s.open(fileUri(f), fs.readFileSync(f, 'latin1'));
  const readyMs = await indexed;
  await new Promise((r) => setTimeout(r, AFTER_MS));
  const cpu = fs.readFileSync(`/proc/${s.proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime + stime, and cutime + cstime (the index host's child node, once reaped), in clock ticks (100 a second).
  const cpuS = (Number(cpu[11]) + Number(cpu[12]) + Number(cpu[13]) + Number(cpu[14])) / 100;
  await s.close();
  const samples: Sample[] = fs
    .readFileSync(samplesFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  // The monitor's clock starts when the server's process does: within the first samples of ours.
  const during = samples.filter((x) => x.t <= readyMs);
  const after = samples.filter((x) => x.t > readyMs);
  const sum = (xs: Sample[], k: keyof Sample) => xs.reduce((n, x) => n + x[k], 0);
  const max = (xs: Sample[], k: keyof Sample) => xs.reduce((n, x) => Math.max(n, x[k]), 0);
  const blocks = (xs: Sample[], ms: number) => xs.filter((x) => x.maxBlockMs > ms).length;
  console.log(
    `${name} (load ${load()}): index ready ${(readyMs / 1000).toFixed(2)} s after start; server CPU (all threads and reaped children) ${cpuS.toFixed(1)} s`,
  );
  console.log(`  [server] ${indexLog}`);
  for (const [label, xs] of [
    ['until ready', during],
    [`${AFTER_MS} ms after`, after],
  ] as const)
    console.log(
      `  main thread ${label}: busy ${sum(xs, 'busyMs')} ms over ${xs.length} windows of 250 ms; longest block ${max(xs, 'maxBlockMs')} ms; ` +
        `windows with a block > 10 ms: ${blocks(xs, 10)}, > 20 ms: ${blocks(xs, 20)}; GC ${sum(xs, 'gcMs')} ms (longest ${max(xs, 'gcMaxMs')} ms)`,
    );
  const worst = [...samples].sort((a, b) => b.maxBlockMs - a.maxBlockMs).slice(0, 5);
  console.log(`  longest blocks: ${worst.map((x) => `${x.maxBlockMs} ms at ${(x.t / 1000).toFixed(2)} s (busy ${x.busyMs}, GC ${x.gcMs})`).join('; ')}`);
}

async function main(): Promise<void> {
  console.log(`tree ${TREE}; open: ${files.map((f) => path.relative(TREE, f)).join(', ')}; ${os.cpus().length} cores, load ${load()}`);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-bench-cache-'));
  await session('first run (empty cache)', cacheDir);
  await session('reopened (cache)', cacheDir);
  fs.rmSync(cacheDir, { recursive: true, force: true });
  if (!values['no-cli']) {
    const r = spawnSync('/usr/bin/time', ['-f', '%e s wall, %U s user, %S s sys', process.execPath, KPORT_BIN, 'check', '--format', 'json', TREE], {
      maxBuffer: 1 << 30,
      env: { ...process.env, CI: '1' },
    });
    console.log(`kport check ${TREE} (load ${load()}): ${r.stderr.toString().trim().split('\n').pop()}`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
