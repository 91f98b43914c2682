/** The rule registry: one rule, one file (its doc is `<id>.md` beside it). */
import { gfpBuffer } from './gfp-buffer';
import { mallocH } from './malloc-h';
import { mempoolResize } from './mempool-resize';
import { sleepInAtomic } from './sleep-in-atomic';
import { mempoolAllocFnSleeps } from './mempool-alloc-fn-sleeps';
import { mempoolAllocUnchecked } from './mempool-alloc-unchecked';
import { mempoolDestroyOutstanding } from './mempool-destroy-outstanding';
import { mempoolSlabPair } from './mempool-slab-pair';
import { gfpNofail } from './gfp-nofail';
import { gfpRepeatNoretry } from './gfp-repeat-noretry';
import { gfpHeader } from './gfp-header';
import { numaNode } from './numa-node';
import { coldPageDma } from './cold-page-dma';
import { hotColdOrder } from './hot-cold-order';
import type { Rule } from './types';

export const RULES: readonly Rule[] = [mallocH, gfpBuffer, mempoolResize, sleepInAtomic, mempoolDestroyOutstanding, mempoolAllocFnSleeps, mempoolSlabPair, mempoolAllocUnchecked, gfpNofail, gfpRepeatNoretry, gfpHeader, numaNode, coldPageDma, hotColdOrder];

export const RULE_IDS = RULES.map((r) => r.id);

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
