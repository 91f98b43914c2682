/**
 * Hover latency through the real server (`kport lsp --stdio`) on a generated 5,000-line driver:
 * hovers on allocator calls (simulation tables: 3 scenarios × the function's paths) and on GFP masks,
 * cold (first hover on a function after an edit) and warm. Target: p99 < 20 ms.
 * Usage: node --import tsx bench/hover.ts [HOVERS]
 */
import { fileUri, startServer } from '../test/support/lsp-client';
import { generateDriver } from './lsp';

const ALLOC = /\b(kmalloc|__get_free_pages|mempool_alloc|alloc_pages|mempool_destroy|kmem_cache_alloc)\s*\(/;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function runHoverBench(hovers = 400): Promise<{ lines: number; cold: number[]; warm: number[] }> {
  const text = generateDriver(5000);
  const lines = text.split('\n');
  const targets: { line: number; character: number }[] = [];
  lines.forEach((l, i) => {
    const m = ALLOC.exec(l);
    if (m) targets.push({ line: i, character: m.index + 1 });
  });
  const s = await startServer({ initializationOptions: { indexWorkspace: false } });
  const uri = fileUri('/tmp/kport-bench-hover.c');
  try {
    await s.open(uri, text);
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < hovers; i++) {
      const pos = targets[(i * 7919) % targets.length];
      // Every 4th hover follows an edit: the function's simulation must be recomputed (cold).
      const afterEdit = i % 4 === 0;
      if (afterEdit) {
        const version = 2 + i;
        const published = s.diagnostics(uri, version, 30000);
        await s.conn.sendNotification('textDocument/didChange', {
          textDocument: { uri, version },
          contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: i % 8 ? ' ' : '' }],
        });
        await published;
      }
      const t0 = performance.now();
      const h = await s.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: pos });
      const dt = performance.now() - t0;
      if (!h) throw new Error(`no hover at ${pos.line + 1}:${pos.character}`);
      (afterEdit ? cold : warm).push(dt);
    }
    return { lines: lines.length, cold: cold.sort((a, b) => a - b), warm: warm.sort((a, b) => a - b) };
  } finally {
    await s.close();
  }
}

async function main() {
  const r = await runHoverBench(Number(process.argv[2] ?? 400));
  const all = [...r.cold, ...r.warm].sort((a, b) => a - b);
  const f = (xs: number[]) =>
    `p50 ${percentile(xs, 50).toFixed(2)} ms, p95 ${percentile(xs, 95).toFixed(2)} ms, p99 ${percentile(xs, 99).toFixed(2)} ms (n=${xs.length})`;
  console.log(`hover on allocator calls, ${r.lines}-line driver, over JSON-RPC:`);
  console.log(`  after an edit (simulation recomputed): ${f(r.cold)}`);
  console.log(`  repeated (cached per document version): ${f(r.warm)}`);
  console.log(`  all: ${f(all)}  target p99 < 20 ms`);
}

if (require.main === module) void main();
