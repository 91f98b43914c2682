/**
 * Where one keystroke's time goes in the language server's pipeline, on a real file: the incremental reparse,
 * the facts, each rule, the simulated verdicts, a hover on each allocation call. Same calls as the server's
 * OpenDocument.analyze (no JSON-RPC).
 *
 *   node --import tsx bench/profile-edit.ts FILE [EDITS]
 */
import fs from 'node:fs';
import { analyze, FileFacts, RULES, type ParsedFile } from '../core';
import { addVerdicts } from '../core/analyze';
import { FunctionCache } from '../core/facts/file-facts';
import { hoverAt } from '../core/hover';
import { SharedAnalyses } from '../core/context/shared';
import { headerResolver } from '../server/node/headers';
import { decode } from '../server/node/text-file';
import { loadParser } from '../server/node/wasm';

const [file, n = '40'] = process.argv.slice(2);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const row = (name: string, xs: number[]) =>
  console.log(`${name.padEnd(34)} p50 ${pct(xs, 50).toFixed(2).padStart(7)}  p99 ${pct(xs, 99).toFixed(2).padStart(7)} ms`);

async function main() {
  const parser = await loadParser();
  let text = decode(fs.readFileSync(file)).text;
  const functions = new FunctionCache();
  let parsed: ParsedFile = parser.parse(text);
  const times: Record<string, number[]> = {};
  const add = (k: string, ms: number) => (times[k] ??= []).push(ms);
  const at = text.indexOf(';', Math.floor(text.length / 2)) + 1;
  for (let i = 0; i < Number(n); i++) {
    text = text.slice(0, at) + 'x' + text.slice(at);
    let t = performance.now();
    parsed = parser.reparse(parsed, text, { speculative: true });
    if (parsed.unsettled.window) add('(edits that took the neutralize window)', 0);
    add('reparse', performance.now() - t);
    t = performance.now();
    const facts = new FileFacts(parsed, file, functions);
    void facts.functions;
    add('facts', performance.now() - t);
    const env = { headerDefine: headerResolver(facts, file) };
    t = performance.now();
    const shared = new SharedAnalyses(facts, env);
    void shared.context.flows;
    add('context (flows)', performance.now() - t);
    for (const rule of RULES) {
      const t1 = performance.now();
      rule.check({ facts, env, shared });
      add(`rule ${rule.id}`, performance.now() - t1);
    }
    t = performance.now();
    const r = analyze(facts, { env, simulate: false });
    add('analyze() total', performance.now() - t);
    t = performance.now();
    addVerdicts(r.findings, r.shared);
    add('verdicts', performance.now() - t);
    if (i === 0) {
      const hov: number[] = [];
      for (const m of text.matchAll(/\b(kmalloc|__get_free_pages|alloc_pages|vmalloc|mempool_alloc|kmem_cache_alloc)\s*\(/g)) {
        const t2 = performance.now();
        hoverAt(facts, m.index! + 1, env, new SharedAnalyses(facts, env));
        hov.push(performance.now() - t2);
      }
      if (hov.length) row(`hover (${hov.length} calls, cold)`, hov);
    }
  }
  for (const [k, xs] of Object.entries(times)) row(k, xs);
  parsed.dispose();
}
main();
