/**
 * The fuzz harness: one mutant through the whole core pipeline, checking the robustness invariants
 * (ARCHITECTURE.md 3, 6, 7, 8). Used by test/fuzz/fuzz.test.ts (short run in `npm test`) and
 * scripts/fuzz.ts (`npm run fuzz -- --iterations 10000 --seed N`).
 *
 * WebAssembly heap: web-tree-sitter does not export its Emscripten module, but the options object
 * given to the first Parser.init() *becomes* that module (`var Module = moduleArg`), and Emscripten
 * stores `Module.HEAP8` (a view of the wasm memory) on it after every memory growth. CParser.create()
 * keeps that object (wasmRuntimeModule()), and we read `HEAP8.buffer.byteLength`. Wasm memory never
 * shrinks, so a leak of trees or cursors shows as growth after warm-up; a flat figure over 10,000
 * iterations means they are freed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { wasmRuntimeModule } from '../../core/parse/parser';
import { analyze, applyEdits, countSyntaxErrors, CParser, FileFacts, type Finding, type TextEdit } from '../../core';
import { hoverAt } from '../../core/hover';
import { preferredEdits } from '../../core/fix';
import { simulateFunction } from '../../core/simulation/run';
import { cpuNowMs } from '../support/cpu-time';
import { ROOT } from '../support/lsp-client';
import { loadCorpus, mutant, rand } from './mutate';

let parserP: Promise<CParser> | undefined;

/** The parser the fuzzer drives (the production one: i32 fast path and flat trees on). */
export function fuzzParser(): Promise<CParser> {
  parserP ??= CParser.create({
    runtime: fs.readFileSync(path.join(ROOT, 'node_modules/web-tree-sitter/web-tree-sitter.wasm')),
    language: fs.readFileSync(path.join(ROOT, 'node_modules/tree-sitter-c/tree-sitter-c.wasm')),
  });
  return parserP;
}

/** Bytes of WebAssembly memory of the tree-sitter runtime, or undefined if another module won the init race. */
export function wasmHeapBytes(): number | undefined {
  return wasmRuntimeModule()?.HEAP8?.buffer.byteLength;
}

export interface Violation {
  kind: 'exception' | 'slow' | 'fix-parses-worse' | 'fix-parses-worse-broken-input' | 'fix-all-not-idempotent' | 'fix-outside-range' | 'reparse-differs';
  detail: string;
}

export interface FileResult {
  /** CPU time of the analysis (test/support/cpu-time.ts says why not wall time). */
  ms: number;
  findings: number;
  fixesChecked: number;
  violations: Violation[];
}

const errMsg = (e: unknown) => (e instanceof Error ? `${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n')}` : String(e));

/** Bytes outside the edits must be unchanged (edits sorted, non-overlapping); returns a problem or null. */
export function outsideEditsUnchanged(before: string, after: string, edits: readonly TextEdit[]): string | null {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].start < sorted[i - 1].end) return `overlapping edits ${JSON.stringify(sorted[i - 1])} ${JSON.stringify(sorted[i])}`;
  for (const e of sorted)
    if (e.start < 0 || e.end > before.length || e.start > e.end) return `edit out of range ${JSON.stringify(e)} (length ${before.length})`;
  let prev = 0;
  let pos = 0;
  for (const e of sorted) {
    const seg = before.slice(prev, e.start);
    if (after.slice(pos, pos + seg.length) !== seg) return `bytes changed in [${prev}, ${e.start})`;
    pos += seg.length;
    if (after.slice(pos, pos + e.newText.length) !== e.newText) return `edit text not at ${e.start}`;
    pos += e.newText.length;
    prev = e.end;
  }
  const tail = before.slice(prev);
  if (after.slice(pos) !== tail) return `bytes changed after ${prev}`;
  return null;
}

/**
 * On text that already has syntax errors, tree-sitter's error recovery is not monotone: a harmless
 * insertion (an #include at offset 0 before a file that starts mid-statement) can split one ERROR
 * into two. Those are recorded as advisories (the CLI refuses to write such a fix and the server does not
 * offer it: test/server/fix-safety.test.ts); on text
 * that parsed cleanly any new ERROR is a violation.
 */
export const ADVISORY = new Set<Violation['kind']>(['fix-parses-worse-broken-input']);
const worse = (before: number): Violation['kind'] => (before > 0 ? 'fix-parses-worse-broken-input' : 'fix-parses-worse');

function errorsOf(parser: CParser, text: string): number {
  const p = parser.parse(text);
  try {
    return countSyntaxErrors(p.root);
  } finally {
    p.dispose();
  }
}

function analyzeText(parser: CParser, text: string): Finding[] {
  const p = parser.parse(text);
  try {
    return analyze(new FileFacts(p, 'drivers/fuzz/fuzz.c'), { simulate: true }).findings;
  } finally {
    p.dispose();
  }
}

export interface RunOptions {
  /**
   * Time bound for the analysis of one file (parse → facts → rules → simulation → hover): this many ms,
   * or BOUND_MS_PER_MB per MB of input when that is more.
   */
  boundMs?: number;
  /** Verify at most this many individual fixes per file (each is a re-parse); the rest are sampled out. */
  maxFixes?: number;
  /** Also check the incremental reparse from `base` gives the same tree as a fresh parse. */
  base?: string;
}

/**
 * The time bound grows with the input past 1.6 MB: tree-sitter alone needs 0.6–0.9 s to parse a broken
 * 1–2 MB single line on this machine, so a flat 2 s flagged linear work on the largest mutants. What the
 * bound is for, superlinear blow-ups (20k nested parentheses, 1 MB of `GFP_ATOMIC|…`, which took
 * 10–98 s), still fails it by far.
 */
export const BOUND_MS_PER_MB = 1250;

/** Runs one text through everything; never throws (exceptions become violations). */
export function runOne(parser: CParser, text: string, opts: RunOptions = {}): FileResult {
  const bound = Math.max(opts.boundMs ?? 2000, (text.length / 1_000_000) * BOUND_MS_PER_MB);
  const violations: Violation[] = [];
  const t0 = cpuNowMs();
  let findings: Finding[] = [];
  let before = 0;
  let ms = 0;
  let fixesChecked = 0;
  const parsed = (() => {
    try {
      return parser.parse(text);
    } catch (e) {
      violations.push({ kind: 'exception', detail: `parse: ${errMsg(e)}` });
      return undefined;
    }
  })();
  if (!parsed) return { ms: cpuNowMs() - t0, findings: 0, fixesChecked, violations };
  try {
    before = countSyntaxErrors(parsed.root);
    const facts = new FileFacts(parsed, 'drivers/fuzz/fuzz.c');
    const res = analyze(facts, { simulate: true });
    findings = res.findings;
    for (const f of res.failures) violations.push({ kind: 'exception', detail: `rule ${f.rule}: ${f.error}` });
    for (let fi = 0; fi < facts.functions.length; fi++) {
      simulateFunction(res.shared, fi);
      const fn = facts.functions[fi];
      hoverAt(facts, fn.nameSpan.start, {}, res.shared);
    }
    for (const off of [0, 1, text.length >> 2, text.length >> 1, text.length - 1, text.length, ...findings.slice(0, 5).map((f) => f.span.start + 1)])
      hoverAt(facts, Math.max(0, off), {}, res.shared);
  } catch (e) {
    violations.push({ kind: 'exception', detail: errMsg(e) });
  } finally {
    parsed.dispose();
  }
  ms = cpuNowMs() - t0;
  if (ms > bound) violations.push({ kind: 'slow', detail: `${ms.toFixed(0)} ms of CPU > ${bound} ms (${text.length} chars)` });

  // Fixes: each offered fix alone, then the fix-all twice.
  try {
    const fixes = findings.flatMap((f) => f.fixes.map((x) => ({ f, x })));
    const max = opts.maxFixes ?? (text.length > 200_000 ? 5 : Infinity);
    const step = fixes.length > max ? fixes.length / max : 1;
    for (let i = 0; i < fixes.length; i += step) {
      const { f, x } = fixes[Math.floor(i)];
      const out = applyEdits(text, x.edits);
      fixesChecked++;
      const outside = outsideEditsUnchanged(text, out, x.edits);
      if (outside) violations.push({ kind: 'fix-outside-range', detail: `${f.rule} "${x.title}": ${outside}` });
      const after = errorsOf(parser, out);
      if (after > before) violations.push({ kind: worse(before), detail: `${f.rule} "${x.title}": ${before} → ${after} errors` });
    }
    const all = preferredEdits(findings);
    if (all.edits.length) {
      const once = applyEdits(text, all.edits);
      const after = errorsOf(parser, once);
      if (after > before) violations.push({ kind: worse(before), detail: `fix-all: ${before} → ${after} errors` });
      const outside = outsideEditsUnchanged(text, once, all.edits);
      if (outside) violations.push({ kind: 'fix-outside-range', detail: `fix-all: ${outside}` });
      if (text.length <= 200_000) {
        const again = preferredEdits(analyzeText(parser, once));
        const twice = applyEdits(once, again.edits);
        if (again.edits.length && twice !== once)
          violations.push({
            kind: 'fix-all-not-idempotent',
            detail: `second fix-all changes ${again.applied.map((f) => `${f.rule}@${f.span.start}`).join(', ')}`,
          });
      }
    }
  } catch (e) {
    violations.push({ kind: 'exception', detail: `fixes: ${errMsg(e)}` });
  }

  // Incremental reparse (the server's path) must agree with a fresh parse.
  if (opts.base !== undefined && text.length <= 100_000 && opts.base.length <= 100_000) {
    try {
      const old = parser.parse(opts.base);
      const inc = parser.reparse(old, text);
      const fresh = parser.parse(text);
      try {
        if (inc.root.toString() !== fresh.root.toString()) violations.push({ kind: 'reparse-differs', detail: 'incremental tree differs from a fresh parse' });
      } finally {
        inc.dispose();
        fresh.dispose();
      }
    } catch (e) {
      violations.push({ kind: 'exception', detail: `reparse: ${errMsg(e)}` });
    }
  }
  return { ms, findings: findings.length, fixesChecked, violations };
}

export interface CampaignReport {
  iterations: number;
  seed: number;
  crashes: { iteration: number; base: string; ops: string[]; violations: Violation[] }[];
  /** Files with only advisory findings (see ADVISORY). */
  advisories: { iteration: number; base: string; ops: string[]; violations: Violation[] }[];
  maxMs: number;
  maxMsAt?: string;
  heapBefore?: number;
  heapAfterWarmup?: number;
  heapAfter?: number;
  elapsedMs: number;
}

/**
 * Runs `iterations` mutants from `seed`. The heap is read before anything, after a warm-up pass (every
 * corpus file plus each heavy mutation once, so the high-water mark of legitimate big inputs is
 * reached) and at the end.
 */
export async function campaign(opts: {
  iterations: number;
  seed: number;
  boundMs?: number;
  onProgress?: (i: number, r: CampaignReport) => void;
}): Promise<CampaignReport> {
  const t0 = performance.now();
  const parser = await fuzzParser();
  const corpus = loadCorpus();
  const report: CampaignReport = { iterations: 0, seed: opts.seed, crashes: [], advisories: [], maxMs: 0, heapBefore: wasmHeapBytes(), elapsedMs: 0 };
  const warm = rand(opts.seed ^ 0x5eed);
  const { MUTATIONS, HEAVY } = await import('./mutate');
  for (const c of corpus) runOne(parser, c.text, { maxFixes: 3 });
  // Heavy mutations of the largest corpus files: a 1 MB line's heap high-water mark depends on what the
  // line repeats, so the warm-up covers the richest files, not just the first.
  const largest = [...corpus].sort((a, b) => b.text.length - a.text.length).slice(0, 3);
  for (const c of largest) for (const h of HEAVY) runOne(parser, MUTATIONS[h](warm, c.text, corpus[1].text), { maxFixes: 1, boundMs: Infinity });
  report.heapAfterWarmup = wasmHeapBytes();
  const r = rand(opts.seed);
  for (let i = 0; i < opts.iterations; i++) {
    const m = mutant(r, corpus);
    const base = r.next() < 0.25 ? corpus.find((c) => c.name === m.base)!.text : undefined;
    const res = runOne(parser, m.text, { boundMs: opts.boundMs, base });
    report.iterations++;
    if (res.ms > report.maxMs) {
      report.maxMs = res.ms;
      report.maxMsAt = `#${i} ${m.base} [${m.ops.join(', ')}] ${m.text.length} chars`;
    }
    const hard = res.violations.filter((v) => !ADVISORY.has(v.kind));
    if (hard.length) report.crashes.push({ iteration: i, base: m.base, ops: m.ops, violations: hard });
    else if (res.violations.length) report.advisories.push({ iteration: i, base: m.base, ops: m.ops, violations: res.violations });
    opts.onProgress?.(i, report);
  }
  report.heapAfter = wasmHeapBytes();
  report.elapsedMs = performance.now() - t0;
  return report;
}

/** The mutant of iteration `i` of a campaign with `seed` (to reproduce a reported crash). */
export function replay(seed: number, i: number): { text: string; base: string; ops: string[] } {
  const corpus = loadCorpus();
  const r = rand(seed);
  for (let k = 0; ; k++) {
    const m = mutant(r, corpus);
    if (k === i) return m;
    r.next();
  }
}
