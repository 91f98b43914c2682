/**
 * How long one step of the editor's background jobs holds the main thread (a keystroke or hover that arrives
 * waits for it): on real files, in process, the verdicts job in slices of the server's 8 ms and the warming job
 * a step at a time, each step's CPU time. Also a digest of the verdicts published, to compare two builds.
 *
 *   node --import tsx bench/verdict-steps.ts CHECK.json [--files 40]
 *
 * Files: those of CHECK.json (`kport check --format json`) with a finding that carries a simulated sentence,
 * in order, the first N.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { AnalysisHost } from '../core';
import { getParser } from '../test/support/core';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { files: { type: 'string', default: '40' } } });
const check = JSON.parse(fs.readFileSync(positionals[0], 'utf8')) as { diagnostics: { file: string; message: string }[] };
const files = [...new Set(check.diagnostics.filter((d) => /Simulated on Linux/.test(d.message)).map((d) => d.file))].slice(0, Number(values.files));

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}
const fmt = (xs: number[]) => `n=${xs.length} p50 ${pct(xs, 50).toFixed(1)} p99 ${pct(xs, 99).toFixed(1)} max ${Math.max(...xs).toFixed(1)} ms CPU`;

async function main(): Promise<void> {
  const host = new AnalysisHost({ parser: await getParser() });
  const verdictSteps: number[] = [];
  const warmSteps: number[] = [];
  const digest = createHash('sha256');
  let longest = { ms: 0, where: '' };
  for (const file of files) {
    const b = fs.readFileSync(file);
    const u = b.toString('utf8');
    const text = Buffer.from(u, 'utf8').equals(b) ? u : b.toString('latin1');
    const uri = `file://${file}`;
    host.open(uri, file, { version: 1, getText: () => text });
    host.diagnostics(uri);
    const job = host.verdicts(uri);
    for (let state = job ? 'more' : 'done'; state === 'more'; ) {
      const t = cpuMs();
      state = job!.step(8);
      const ms = cpuMs() - t;
      verdictSteps.push(ms);
      if (ms > longest.ms) longest = { ms, where: `${file} (verdicts)` };
    }
    for (const d of host.diagnostics(uri)?.diagnostics ?? []) digest.update(`${file}:${d.range.start.line} ${d.message}\n`);
    const warm = host.warm(uri);
    for (let state = warm ? 'more' : 'done'; state === 'more'; ) {
      const t = cpuMs();
      state = warm!.step(0);
      const ms = cpuMs() - t;
      warmSteps.push(ms);
      if (ms > longest.ms) longest = { ms, where: `${file} (warming)` };
    }
    host.close(uri);
  }
  console.log(`${files.length} files`);
  console.log(`verdict slices (8 ms budget): ${fmt(verdictSteps)}`);
  console.log(`warming steps:                ${fmt(warmSteps)}`);
  console.log(`longest step ${longest.ms.toFixed(1)} ms CPU: ${longest.where}`);
  console.log(`verdicts digest ${digest.digest('hex').slice(0, 16)}`);
}

void main();
