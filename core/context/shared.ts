/** Per-file analyses that several rules need, computed lazily once per analysis run. */
import type { FileFacts } from '../facts/file-facts';
import type { CallEvent, FunctionFacts } from '../facts/ir';
import { evaluateMask, type MaskResult } from '../gfp/mask';
import type { AnalysisEnv } from './env';
import { FileContext } from './atomic-context';

/**
 * An analysis of a whole file that several rules (or several runs of one) ask for: defined once, at module
 * level beside the code that needs it, and computed once per analysis by `shared.query(q)`.
 */
export interface FileQuery<T> {
  readonly name: string;
  readonly compute: (shared: SharedAnalyses) => T;
}

/**
 * An analysis of one IR object (a function's facts, a statement, a flow) that depends on that object alone,
 * and on the file's text within the object's span: computed once per object by `shared.query(q, of)` and
 * kept as long as the object lives, so an edit that keeps a function's IR keeps its results too.
 */
export interface IrQuery<K extends object, T> {
  readonly name: string;
  readonly compute: (of: K, facts: FileFacts) => T;
  /** The results by object (the query's own store: a rule never reads it). */
  readonly results: WeakMap<K, T>;
}

export function fileQuery<T>(name: string, compute: (shared: SharedAnalyses) => T): FileQuery<T> {
  return { name, compute };
}

export function irQuery<K extends object, T>(name: string, compute: (of: K, facts: FileFacts) => T): IrQuery<K, T> {
  return { name, compute, results: new WeakMap() };
}

export class SharedAnalyses {
  private masks = new Map<number, MaskResult>();
  private fileContext: FileContext | undefined;
  /**
   * Analyses of higher layers memoized for this version of the file (the simulations of simulation/run.ts),
   * by a key their owner chooses: one document version lives as long as this object.
   */
  private memos = new Map<string, unknown>();
  private fileQueries = new Map<FileQuery<unknown>, unknown>();

  constructor(
    readonly facts: FileFacts,
    readonly env: AnalysisEnv,
  ) {}

  /** Lock regions, interrupt entry points and the call graph (computed on first use). */
  get context(): FileContext {
    this.fileContext ??= new FileContext(this.facts, this.env.workspace, this.env.headerDefine, !!this.env.indirectCalls);
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

  /** A file query's result for this analysis, or an IR query's for `of` (computed on first use). */
  query<T>(q: FileQuery<T>): T;
  query<K extends object, T>(q: IrQuery<K, T>, of: K): T;
  query<K extends object, T>(q: FileQuery<T> | IrQuery<K, T>, of?: K): T {
    if ('results' in q) {
      let r = q.results.get(of!);
      if (r === undefined && !q.results.has(of!)) q.results.set(of!, (r = q.compute(of!, this.facts)));
      return r as T;
    }
    if (this.fileQueries.has(q)) return this.fileQueries.get(q) as T;
    const v = q.compute(this);
    this.fileQueries.set(q, v);
    return v;
  }

  /** `compute()` once per key for this analysis. */
  memo<T>(key: string, compute: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const v = compute();
    this.memos.set(key, v);
    return v;
  }

  /**
   * Takes over `from`'s memos whose keys `keep` accepts (and this analysis has not computed): results that depend on
   * nothing `from` and this analysis differ in (a hover's focus hands its call simulations on: core/ide/document.ts).
   */
  adoptMemos(from: SharedAnalyses, keep: (key: string) => boolean): void {
    for (const [k, v] of from.memos) if (keep(k) && !this.memos.has(k)) this.memos.set(k, v);
  }

  /** Whether `key` was computed for this analysis. */
  hasMemo(key: string): boolean {
    return this.memos.has(key);
  }
}
