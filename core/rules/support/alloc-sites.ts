/** What several rules iterate: allocator calls with a mask argument, and where a mask's names come from. */
import type { SharedAnalyses } from '../../context/shared';
import type { FileFacts } from '../../facts/file-facts';
import { allCalls, type CallEvent, type Expr, type FunctionFacts } from '../../facts/ir';
import type { MaskResult } from '../../gfp/mask';
import { ALLOC_API, type AllocApi } from '../../kernel/alloc-api';
import type { Related } from '../types';

export interface AllocSite {
  fn: FunctionFacts;
  fnIndex: number;
  call: CallEvent;
  api: AllocApi;
  /** The gfp_mask argument as written. */
  arg: Expr;
  mask: MaskResult;
}

/** Every call of an allocator that takes a gfp_mask, with the mask evaluated at the call. */
export function* allocSites(facts: FileFacts, shared: SharedAnalyses): Generator<AllocSite> {
  for (const [fnIndex, fn] of facts.functions.entries()) {
    for (const call of allCalls(fn)) {
      const api = ALLOC_API[call.name];
      if (!api || api.maskArg < 0) continue;
      const arg = call.args[api.maskArg];
      if (!arg) continue;
      yield { fn, fnIndex, call, api, arg, mask: shared.mask(call, api.maskArg, fn) };
    }
  }
}

/** Related locations for the #defines and variables the mask went through (this file only). */
export function chainRelated(mask: MaskResult, what: string): Related[] {
  return mask.chain.filter((c) => c.span && c.span.start >= 0 && !c.file).map((c) => ({ message: `${c.name} ${what}`, span: c.span! }));
}
