/** What several rules iterate: allocator calls with a mask argument, and where a mask's names come from. */
import { fileQuery, irQuery, type SharedAnalyses } from '../../context/shared';
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

// A function's allocator calls depend on its IR alone: an IR object that survives an edit keeps them.
const allocCalls = irQuery('allocator calls with a mask', (fn: FunctionFacts) => {
  const list: { call: CallEvent; api: AllocApi; arg: Expr }[] = [];
  for (const call of allCalls(fn)) {
    const api = Object.hasOwn(ALLOC_API, call.name) ? ALLOC_API[call.name] : undefined;
    if (!api || api.maskArg < 0) continue;
    const arg = call.args[api.maskArg];
    if (arg) list.push({ call, api, arg });
  }
  return list;
});

const allAllocSites = fileQuery('allocator sites with their masks', (shared): readonly AllocSite[] => {
  const out: AllocSite[] = [];
  const fns = shared.facts.functions;
  for (let fnIndex = 0; fnIndex < fns.length; fnIndex++) {
    const fn = fns[fnIndex];
    for (const { call, api, arg } of shared.query(allocCalls, fn)) out.push({ fn, fnIndex, call, api, arg, mask: shared.mask(call, api.maskArg, fn) });
  }
  return out;
});

/** Every call of an allocator that takes a gfp_mask, with the mask evaluated at the call (once per analysis: three rules ask). */
export function allocSites(shared: SharedAnalyses): readonly AllocSite[] {
  return shared.query(allAllocSites);
}

/** Related locations for the #defines and variables the mask went through (this file only). */
export function chainRelated(mask: MaskResult, what: string): Related[] {
  return mask.chain.filter((c) => c.span && c.span.start >= 0 && !c.file).map((c) => ({ message: `${c.name} ${what}`, span: c.span! }));
}
