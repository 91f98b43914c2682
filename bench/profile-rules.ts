/**
 * `node --import tsx bench/profile-rules.ts PATH...`: where a check's time goes, sequentially on one
 * thread: parse, facts, each rule, and the slowest files. A diagnostic for the benchmark, not a test.
 */
import fs from 'node:fs';
import { FileFacts, RULES, SharedAnalysesForProfile } from './profile-support';
import type { CParser } from '../core';
import { decode } from '../server/node/text-file';
import { expandPaths } from '../server/check/files';
import { headerResolver } from '../server/node/headers';
import { loadParser } from '../server/node/wasm';

async function main(): Promise<void> {
  const { files } = expandPaths(process.argv.slice(2));
  const parser: CParser = await loadParser();
  const t = { read: 0, parse: 0, facts: 0 } as Record<string, number>;
  const perFile: [string, number][] = [];
  for (const file of files) {
    const f0 = performance.now();
    const { text } = decode(fs.readFileSync(file));
    const a = performance.now();
    t.read += a - f0;
    const parsed = parser.parse(text);
    const b = performance.now();
    t.parse += b - a;
    try {
      const facts = new FileFacts(parsed, file);
      const env = { headerDefine: headerResolver(facts, file) };
      const shared = new SharedAnalysesForProfile(facts, env);
      const c = performance.now();
      t.facts += c - b;
      for (const rule of RULES) {
        const r0 = performance.now();
        try {
          rule.check({ facts, env, shared });
        } catch {
          /* counted as time anyway */
        }
        t[rule.id] = (t[rule.id] ?? 0) + performance.now() - r0;
      }
    } finally {
      parsed.dispose();
    }
    perFile.push([file, performance.now() - f0]);
  }
  const total = Object.values(t).reduce((s, x) => s + x, 0);
  for (const [k, v] of Object.entries(t).sort((x, y) => y[1] - x[1]))
    console.log(`${k.padEnd(30)} ${(v / 1000).toFixed(2).padStart(8)} s ${((100 * v) / total).toFixed(1).padStart(5)} %`);
  console.log('slowest files:');
  for (const [f, ms] of perFile.sort((x, y) => y[1] - x[1]).slice(0, 8)) console.log(`  ${ms.toFixed(0).padStart(7)} ms  ${f}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
