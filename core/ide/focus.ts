/**
 * The functions a query at one offset needs on a document whose second stage has not run (a big file's first
 * hover): the function there, every function that can decide the context it runs in, and every function a
 * simulation of it reads. Chosen by names in the text (mentions, as tree-sitter reads identifiers: a superset
 * of the calls), so the facts built from the choice give the answer the whole file's facts give:
 *
 * - up: the functions that name a chosen function (callers, registrations, stores), to the top. A function's
 *   context is decided by its entry points, its callers' lock states and their own contexts (core/context/
 *   atomic-context.ts: atomicity flows from callers to callees only), all in this set, in the file's order.
 * - down: what the function there names, and what that names, to the end (the extractor inlines callees and
 *   asks whether a callee's callees act, at any depth: extract.ts activeCall).
 * - the file's kmem_cache_create and mempool_create calls (a simulation's implicit setup reads them all:
 *   extract.ts createdIn), with the functions those name (a pool's alloc_fn).
 * - every definition of a chosen name (the context analysis and the extractor pick one of several by order).
 */
import type { Node } from 'web-tree-sitter';
import { definitionName, type RecoveredFunction } from '../facts/build-ir';
import { declaratorName, functionDeclarator } from '../facts/syntax';
import { MEMPOOL_CREATE } from '../kernel/alloc-api';
import { forEachMention, mentionPositions } from '../relevance';

/** The names whose calls a simulation's setup looks for in the whole file (extract.ts setupFor → createdIn). */
const SETUP_CREATORS = ['kmem_cache_create', ...Object.keys(MEMPOOL_CREATE)];

/** A function of the file: a definition, or one tree-sitter's recovery broke up (FileFacts holds all of those). */
interface Item {
  start: number;
  end: number;
  name: string | null;
  recovered: boolean;
}

export class FocusIndex {
  /** The file's function definitions, in text order, then its recovered functions, in text order. */
  private readonly items: Item[];
  private readonly definitions: number;
  private readonly definers = new Map<string, number[]>();
  /** The functions every focus holds (the setup's creators and what they name), found once. */
  private setup: number[] | undefined;

  constructor(
    functions: readonly Node[],
    recovered: readonly RecoveredFunction[],
    /** The user's text (the parsed text has the same length: neutralize keeps offsets). */
    private readonly text: string,
  ) {
    const byStart = (a: Item, b: Item) => a.start - b.start;
    const defined = functions.map((n) => ({ start: n.startIndex, end: n.endIndex, name: definitionName(n), recovered: false })).sort(byStart);
    // Spans and names as FileFacts gives them (build-ir.ts buildRecovered).
    const broken = recovered
      .map((r) => ({
        start: (r.specifiers[0] ?? r.declarator).startIndex,
        end: r.parts.length ? r.parts[r.parts.length - 1].endIndex : r.declarator.endIndex,
        name: declaratorName(functionDeclarator(r.declarator))?.text ?? null,
        recovered: true,
      }))
      .sort(byStart);
    this.items = [...defined, ...broken];
    this.definitions = defined.length;
    this.items.forEach(({ name }, i) => {
      if (name === null) return;
      const list = this.definers.get(name);
      if (list) list.push(i);
      else this.definers.set(name, [i]);
    });
  }

  /** The file's function definitions. */
  get size(): number {
    return this.definitions;
  }

  /**
   * The start offsets of the function definitions a query at `offset` needs (none when it is in no function; the
   * recovered functions are in every FileFacts).
   */
  focusAt(offset: number): Set<number> {
    const at = this.indexAt(offset);
    if (at < 0) return new Set();
    // Each direction walks on its own: a callee reached down may also be a caller the walk up must pass through.
    const below = new Set<number>();
    this.down([at], below);
    const above = new Set<number>();
    this.up([at], above);
    return new Set([...below, ...above, ...this.setupFunctions()].flatMap((i) => (this.items[i].recovered ? [] : [this.items[i].start])));
  }

  /** The function holding `offset` (a definition, else a recovered function), or -1. */
  private indexAt(offset: number): number {
    const at = search(this.items, 0, this.definitions, offset);
    return at >= 0 ? at : search(this.items, this.definitions, this.items.length, offset);
  }

  /** Adds `from` and every definition of their names to `chosen`; answers those added. */
  private add(from: readonly number[], chosen: Set<number>): number[] {
    const added: number[] = [];
    for (const i of from) {
      const name = this.items[i].name;
      for (const j of name === null ? [i] : this.definers.get(name)!)
        if (!chosen.has(j)) {
          chosen.add(j);
          added.push(j);
        }
    }
    return added;
  }

  /** `from` and what it names, transitively. */
  private down(from: readonly number[], chosen: Set<number>, levels = Infinity): void {
    let level = this.add(from, chosen);
    for (let depth = 0; depth < levels && level.length; depth++) {
      const named: number[] = [];
      for (const i of level)
        forEachMention(this.text.slice(this.items[i].start, this.items[i].end), (name) => {
          const list = this.definers.get(name);
          if (list) named.push(...list);
        });
      level = this.add(named, chosen);
    }
  }

  /** `from` and the functions naming one of them, to the top (a text scan a level). */
  private up(from: readonly number[], chosen: Set<number>): void {
    const seen = new Set<string>();
    for (let level = this.add(from, chosen); level.length; ) {
      const names = level.flatMap((i) => {
        const name = this.items[i].name;
        return name !== null && !seen.has(name) && seen.add(name) ? [name] : [];
      });
      if (!names.length) return;
      level = this.add(this.holding(mentionPositions(names)(this.text)), chosen);
    }
  }

  private setupFunctions(): number[] {
    if (!this.setup) {
      const chosen = new Set<number>();
      this.down(this.holding(mentionPositions(SETUP_CREATORS)(this.text)), chosen, 1);
      this.setup = [...chosen];
    }
    return this.setup;
  }

  /** The functions holding these offsets (ascending), each once. */
  private holding(offsets: readonly number[]): number[] {
    const out = new Set<number>();
    for (const at of offsets) {
      const i = this.indexAt(at);
      if (i >= 0) out.add(i);
    }
    return [...out];
  }
}

/** The item of items[from, to) (sorted, disjoint) holding `offset`, or -1. */
function search(items: readonly Item[], from: number, to: number, offset: number): number {
  let lo = from;
  let hi = to - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const n = items[mid];
    if (offset < n.start) hi = mid - 1;
    else if (offset >= n.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}
