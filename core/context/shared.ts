/** Per-file analyses that several rules need, computed lazily once per analysis run. */
import type { FileFacts } from '../facts/file-facts';
import type { CallEvent, FunctionFacts } from '../facts/ir';
import { evaluateMask, type MaskResult } from '../gfp/mask';
import type { AnalysisEnv } from '../rules/types';

export class SharedAnalyses {
  private masks = new Map<number, MaskResult>();

  constructor(
    readonly facts: FileFacts,
    readonly env: AnalysisEnv,
  ) {}

  /** The mask passed as argument `argIndex` of `call` in function `fn`. */
  mask(call: CallEvent, argIndex: number, fn: FunctionFacts | undefined): MaskResult {
    const arg = call.args[argIndex];
    if (!arg) return { values: [], unknown: 'argument missing', gone: [], chain: [] };
    const cached = this.masks.get(arg.span.start);
    if (cached) return cached;
    const r = evaluateMask(arg, { facts: this.facts, fn, at: call.span.start, headerDefine: this.env.headerDefine });
    this.masks.set(arg.span.start, r);
    return r;
  }
}
