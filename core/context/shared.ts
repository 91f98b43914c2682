/** Per-file analyses that several rules need, computed lazily once per analysis run. */
import type { FileFacts } from '../facts/file-facts';
import type { CallEvent, FunctionFacts } from '../facts/ir';
import { evaluateMask, type MaskResult } from '../gfp/mask';
import type { AnalysisEnv } from './env';
import { FileContext } from './atomic-context';

export class SharedAnalyses {
  private masks = new Map<number, MaskResult>();
  private fileContext: FileContext | undefined;
  /**
   * Analyses of higher layers memoized for this version of the file (the simulations of simulation/run.ts),
   * by a key their owner chooses: one document version lives as long as this object.
   */
  private memos = new Map<string, unknown>();

  constructor(
    readonly facts: FileFacts,
    readonly env: AnalysisEnv,
  ) {}

  /** Lock regions, interrupt entry points and the call graph (computed on first use). */
  get context(): FileContext {
    this.fileContext ??= new FileContext(this.facts, this.env.workspace);
    return this.fileContext;
  }

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

  /** `compute()` once per key for this analysis. */
  memo<T>(key: string, compute: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const v = compute();
    this.memos.set(key, v);
    return v;
  }

  /** Whether `key` was computed for this analysis. */
  hasMemo(key: string): boolean {
    return this.memos.has(key);
  }
}
