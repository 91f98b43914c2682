/** The rule registry: one rule, one file (its doc is `<id>.md` beside it). */
import { gfpBuffer } from './gfp-buffer';
import { mallocH } from './malloc-h';
import { mempoolResize } from './mempool-resize';
import { sleepInAtomic } from './sleep-in-atomic';
import { maySleepInAtomicIndirect } from './may-sleep-in-atomic-indirect';
import { mempoolAllocFnSleeps } from './mempool-alloc-fn-sleeps';
import { allocResultUnchecked, ALLOC_RESULT_UNCHECKED_OLD_ID } from './alloc-result-unchecked';
import { mempoolDestroyOutstanding } from './mempool-destroy-outstanding';
import { mempoolSlabPair } from './mempool-slab-pair';
import { gfpNofail } from './gfp-nofail';
import { gfpRepeatNoretry } from './gfp-repeat-noretry';
import { gfpHeader } from './gfp-header';
import { numaNode } from './numa-node';
import { coldPageDma } from './cold-page-dma';
import { hotColdOrder } from './hot-cold-order';
import { removedInTarget } from './removed-in-target';
import { signatureInTarget } from './signature-in-target';
import { saferAllocForm } from './safer-alloc-form';
import type { Rule } from './types';

export const RULES: readonly Rule[] = [
  mallocH,
  gfpBuffer,
  mempoolResize,
  sleepInAtomic,
  maySleepInAtomicIndirect,
  mempoolDestroyOutstanding,
  mempoolAllocFnSleeps,
  mempoolSlabPair,
  allocResultUnchecked,
  gfpNofail,
  gfpRepeatNoretry,
  gfpHeader,
  numaNode,
  coldPageDma,
  hotColdOrder,
  removedInTarget,
  signatureInTarget,
  saferAllocForm,
];

export const RULE_IDS = RULES.map((r) => r.id);

/** The rule whose being enabled turns on the resolution of calls through struct fields (AnalysisEnv.indirectCalls). */
export const INDIRECT_CALLS_RULE = maySleepInAtomicIndirect.id;

/** Former rule ids → current ones: still accepted wherever a rule id is read, with a deprecation note. */
export const RENAMED_RULES: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, {
    [ALLOC_RESULT_UNCHECKED_OLD_ID]: allocResultUnchecked.id,
  }),
);

/** The current id for `id` (itself, or what a renamed rule is called now). */
export function canonicalRuleId(id: string): string {
  return Object.hasOwn(RENAMED_RULES, id) ? RENAMED_RULES[id] : id;
}

/** The note shown where a former rule id is used, or null for a current (or unknown) id. */
export function renamedRuleNote(id: string): string | null {
  return Object.hasOwn(RENAMED_RULES, id) ? `rule "${id}" is now "${RENAMED_RULES[id]}"; the old id still works but is deprecated` : null;
}

export function ruleById(id: string): Rule | undefined {
  const current = canonicalRuleId(id);
  return RULES.find((r) => r.id === current);
}
