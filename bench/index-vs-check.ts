/**
 * The workspace index alone beside `kport check` alone on the same tree, alternating, the same minutes: the real
 * server (`kport lsp --stdio`) with TREE as the workspace, no document open, an empty index cache each round; timed
 * from initialize to the "indexed" log, with the CPU and the peak RSS of the server and of its index host (sampled
 * every 100 ms from /proc, and the host's VmHWM at its last sample). Then `kport check --format json TREE` under
 * /usr/bin/time. Linux only (/proc).
 *
 *   node --import tsx bench/index-vs-check.ts TREE [--rounds 2] [--reopen] [--timeline] [--no-cli] [--keep DIR]
 *
 * `--reopen`: each index round also reopens the tree on its cache (the restart a user makes). `--timeline`: both RSS
 * every second. `--keep DIR`: the index cache goes to DIR and stays.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KPORT_BIN, startServer } from '../test/support/lsp-client';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '2' },
    reopen: { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
    'no-cli': { type: 'boolean', default: false },
    keep: { type: 'string' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node --import tsx bench/index-vs-check.ts TREE [--rounds N] [--reopen]');
  process.exit(2);
}
const TREE = path.resolve(positionals[0]);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const TICK = 100; // clock ticks a second (/proc/PID/stat)

function statOf(pid: number): { cpuS: number; childCpuS: number } | undefined {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { cpuS: (Number(f[11]) + Number(f[12])) / TICK, childCpuS: (Number(f[13]) + Number(f[14])) / TICK };
  } catch {
    return undefined;
  }
}
function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`))
      for (const c of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
  } catch {
    /* gone */
  }
  return out;
}

async function indexRun(cacheDir: string, label: string): Promise<void> {
  const t0 = performance.now();
  let log = '';
  let ready: (ms: number) => void = () => undefined;
  const indexed = new Promise<number>((r) => (ready = r));
  const s = await startServer({ rootDir: TREE, initializationOptions: { cacheDir } });
  s.conn.onNotification('window/logMessage', (m: { message: string }) => {
    if (/^kport: indexed/.test(m.message)) {
      log = m.message;
      ready(performance.now() - t0);
    }
  });
  const pid = s.proc.pid!;
  let host = 0;
  let hostHwmKb = 0;
  let hostCpuS = 0;
  let peakServerKb = 0;
  let peakSumKb = 0;
  const sampler = setInterval(() => {
    const kids = childrenOf(pid);
    if (kids.length) host = kids[0];
    const serverKb = statusKb(pid, 'VmRSS');
    const hostKb = host ? statusKb(host, 'VmRSS') : 0;
    if (host) {
      hostHwmKb = Math.max(hostHwmKb, statusKb(host, 'VmHWM'));
      hostCpuS = Math.max(hostCpuS, statOf(host)?.cpuS ?? 0);
    }
    if (values.timeline && Math.round((performance.now() - t0) / 100) % 10 === 0)
      console.log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s: server ${(serverKb / 1024).toFixed(0)} MB, host ${(hostKb / 1024).toFixed(0)} MB`);
    peakServerKb = Math.max(peakServerKb, serverKb);
    peakSumKb = Math.max(peakSumKb, serverKb + hostKb);
  }, 100);
  const readyMs = await indexed;
  await new Promise((r) => setTimeout(r, 300)); // the host is killed and reaped
  clearInterval(sampler);
  const st = statOf(pid);
  const serverHwmKb = statusKb(pid, 'VmHWM');
  await s.close();
  const mb = (kb: number) => (kb / 1024).toFixed(0);
  console.log(
    `index ${label} (load ${load()}): ready ${(readyMs / 1000).toFixed(2)} s; CPU server ${st?.cpuS.toFixed(1)} s + index host ${st?.childCpuS.toFixed(1)} s ` +
      `(sampled ${hostCpuS.toFixed(1)}); peak RSS server ${mb(serverHwmKb)} MB (sampled ${mb(peakServerKb)}), host ${mb(hostHwmKb)} MB, ` +
      `together (sampled) ${mb(peakSumKb)} MB`,
  );
  console.log(`  ${log}`);
  if (process.env.KPORT_TRACE) console.log(s.stderr());
}

function checkRun(): void {
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%e s wall, %U s user, %S s sys, max RSS %M KB', process.execPath, KPORT_BIN, 'check', '--format', 'json', TREE],
    {
      maxBuffer: 1 << 30,
      env: { ...process.env, CI: '1' },
    },
  );
  console.log(`kport check (load ${load()}): ${r.stderr.toString().trim().split('\n').pop()}`);
}

async function main(): Promise<void> {
  console.log(`tree ${TREE}; ${os.availableParallelism()} cores; load ${load()}`);
  for (let i = 0; i < Number(values.rounds); i++) {
    const cacheDir = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kport-bench-cache-'));
    if (values['no-cli']) await indexRun(cacheDir, 'empty cache');
    else if (i % 2 === 0) {
      await indexRun(cacheDir, 'empty cache');
      checkRun();
    } else {
      checkRun();
      await indexRun(cacheDir, 'empty cache');
    }
    if (values.reopen) await indexRun(cacheDir, 'reopened');
    if (!values.keep) fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
