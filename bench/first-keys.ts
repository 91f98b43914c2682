/**
 * The first keystrokes of a fresh language server, over JSON-RPC: for each round a new server (`kport lsp`),
 * optionally with TREE as the workspace (its index then runs meanwhile), opens FILE, waits --read-ms (the user
 * reads), then types --keys keystrokes (bench/editor.ts's typing burst) --key-gap-ms apart, each timed from
 * its didChange to the publishDiagnostics of its version. Rounds alternate between the arms given by --arms, a
 * comma-separated list of KPORT_INTERNAL values (`-` for none), so that both meet the same machine.
 *
 *   node --import tsx bench/first-keys.ts FILE [--tree TREE] [--rounds 8] [--keys 12] [--read-ms 1000] [--key-gap-ms 100] [--arms -,no-warm-up]
 *
 * Prints, for each arm, each keystroke's median over the rounds and max, and p50/p95/max of all.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { LineIndex } from '../core/text/line-index';
import { fileUri, startServer } from '../test/support/lsp-client';
import { benchEdits } from './support/edits';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    tree: { type: 'string' },
    rounds: { type: 'string', default: '8' },
    keys: { type: 'string', default: '12' },
    'read-ms': { type: 'string', default: '1000' },
    'key-gap-ms': { type: 'string', default: '100' },
    arms: { type: 'string', default: '-,no-warm-up' },
  },
});
const [FILE] = positionals;
if (!FILE)
  throw new Error('usage: node --import tsx bench/first-keys.ts FILE [--tree TREE] [--rounds N] [--keys K] [--read-ms MS] [--key-gap-ms MS] [--arms A,B]');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

async function round(internal: string): Promise<number[]> {
  const saved = process.env.KPORT_INTERNAL;
  process.env.KPORT_INTERNAL = internal === '-' ? '' : internal;
  const cacheHome = fs.mkdtempSync(`${os.tmpdir()}/kport-first-keys-`);
  const s = await startServer({ rootDir: values.tree, cacheHome, initializationOptions: values.tree ? {} : { indexWorkspace: false } });
  process.env.KPORT_INTERNAL = saved ?? '';
  try {
    const uri = fileUri(FILE);
    let text = fs.readFileSync(FILE, 'latin1');
    let version = 1;
    await s.open(uri, text, version);
    await sleep(Number(values['read-ms']));
    const out: number[] = [];
    for (const e of benchEdits(text, Number(values.keys))) {
      if (out.length === Number(values.keys)) break;
      const lines = new LineIndex(text);
      const range = { start: lines.positionAt(e.start), end: lines.positionAt(e.end) };
      text = text.slice(0, e.start) + e.newText + text.slice(e.end);
      version++;
      const answered = s.diagnostics(uri, version);
      const t = performance.now();
      await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range, text: e.newText }] });
      await answered;
      out.push(performance.now() - t);
      await sleep(Math.max(0, Number(values['key-gap-ms']) - out[out.length - 1]));
    }
    return out;
  } finally {
    await s.close();
    fs.rmSync(cacheHome, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const arms = values.arms.split(',');
  const byArm = new Map(arms.map((a) => [a, [] as number[][]]));
  console.log(
    `${FILE}: ${values.rounds} rounds an arm, ${values.keys} keys, read ${values['read-ms']} ms, gap ${values['key-gap-ms']} ms${values.tree ? `, workspace ${values.tree}` : ''}; load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (let r = 0; r < Number(values.rounds); r++) for (const a of arms) byArm.get(a)!.push(await round(a));
  for (const [a, rows] of byArm) {
    const keys = rows[0].map((_, k) => rows.map((row) => row[k]));
    const all = rows.flat();
    console.log(`arm ${a}: all p50 ${pct(all, 50).toFixed(1)} p95 ${pct(all, 95).toFixed(1)} max ${Math.max(...all).toFixed(1)} ms`);
    console.log(`  keystroke k: median (max) ms: ${keys.map((xs, k) => `${k + 1}: ${pct(xs, 50).toFixed(1)} (${Math.max(...xs).toFixed(0)})`).join('  ')}`);
  }
  console.log(
    `load at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}
main();
