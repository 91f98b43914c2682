/**
 * The one internal switch for benchmarks and fault-injection tests, never shown to users:
 * `KPORT_INTERNAL="parse-only,no-prefilter,crash-worker-on=net7.c"` (comma-separated).
 * - `parse-only`: `kport check` reads, decodes and parses each file and analyzes nothing (bench/run.ts's floor);
 * - `no-prefilter`: parse every file, even those naming none of the rules' triggers (to compare findings);
 * - `crash-worker-on=NAME`: a check worker dies on the file whose path ends with NAME (test/cli/tree.test.ts);
 * - `no-young-gc`: the language server does not collect the young generation between answers (server/node/young-gc.ts;
 *   bench/editor.ts compares);
 * - `no-warm-up`: the language server does not run its keystroke path on its own driver when first idle
 *   (AnalysisHost.warmUp; bench/editor.ts compares).
 */
export interface InternalSwitches {
  parseOnly: boolean;
  noPrefilter: boolean;
  noYoungGc: boolean;
  noWarmUp: boolean;
  crashWorkerOn?: string;
}

export function internalSwitches(value = process.env.KPORT_INTERNAL): InternalSwitches {
  const parts = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const crash = parts.find((p) => p.startsWith('crash-worker-on='));
  return {
    parseOnly: parts.includes('parse-only'),
    noPrefilter: parts.includes('no-prefilter'),
    noYoungGc: parts.includes('no-young-gc'),
    noWarmUp: parts.includes('no-warm-up'),
    ...(crash ? { crashWorkerOn: crash.slice('crash-worker-on='.length) } : {}),
  };
}
