/**
 * tree-sitter-c through web-tree-sitter. The wasm bytes are handed in by the adapter (server, CLI,
 * tests): core does no I/O. Trees live in the WebAssembly heap; whoever drops a ParsedFile calls
 * dispose().
 */
import { Edit, Language, Parser, type Node, type Range, type Tree } from 'web-tree-sitter';
import { countErrorNodes, enableFlatTrees, enableHeapWalk } from './flat-tree';
import { commonAffixes, type Affixes } from '../text/affixes';
import { pausePoint, pausePointSet } from '../pause-point';
import { neutralize, neutralizeWindow } from './neutralize';
import { lineStartOf } from '../text/lines';

export interface ParserWasm {
  /** web-tree-sitter.wasm (the runtime). */
  runtime: Uint8Array;
  /** tree-sitter-c.wasm (the grammar). */
  language: Uint8Array;
}

/** Below this size a whole neutralize() costs less than finding a window. */
const WINDOW_MIN_TEXT = 32 * 1024;
/** Characters on each side of an edit inside a huge top-level node (a rewrite's reach is a line or a macro call). */
const WINDOW_MARGIN = 4096;

/**
 * neutralize() of `text` redone around the edit that turned old.text into it: the window spans the old
 * tree's top-level nodes next to the edit (with one more on each side), or WINDOW_MARGIN around the edit
 * when those are much of the file, cut at line starts; undefined when the window would still be most of
 * the file (then a whole neutralize is as cheap).
 */
function neutralizeAround(old: ParsedFile, text: string): { text: string; same: Affixes } | undefined {
  const a = old.text;
  if (text.length < WINDOW_MIN_TEXT || a.length !== old.parsedText.length) return undefined;
  const { prefix: start, suffix } = commonAffixes(a, text);
  const oldEnd = a.length - suffix;
  const delta = text.length - a.length;
  // Top-level nodes of the old tree around [start, oldEnd].
  const root = old.root;
  const n = root.childCount;
  let first = 0;
  while (first < n - 1 && root.child(first)!.endIndex < start) first++;
  let last = first;
  while (last < n - 1 && root.child(last + 1)!.startIndex <= oldEnd) last++;
  let from = first > 0 ? root.child(first - 1)!.startIndex : 0;
  let to = last < n - 1 ? root.child(last + 1)!.endIndex : a.length;
  from = Math.min(from, start);
  to = Math.max(to, oldEnd);
  // Inside a top-level node that is much of the file (an ERROR node tree-sitter's recovery made of a
  // macro-heavy stretch): a fixed margin, as wide as any rewrite reaches in practice.
  if ((to - from) * 4 > a.length) {
    from = Math.max(0, start - WINDOW_MARGIN);
    to = Math.min(a.length, oldEnd + WINDOW_MARGIN);
  }
  from = lineStartOf(a, from);
  const eol = a.indexOf('\n', to);
  to = eol < 0 ? a.length : eol + 1;
  if ((to - from) * 4 > a.length) return undefined;
  // Outside the window the new parsed text is the old one's (neutralizeWindow copies its ends).
  return { text: neutralizeWindow(text, old.parsedText, from, to, delta), same: { prefix: from, suffix: a.length - to } };
}

/**
 * Nodes that hold a list of top-level items (a file, the branches of an `#if`): an edit among their items is
 * judged by the items next to it, not by the container's other items.
 */
const ITEM_CONTAINERS = new Set(['translation_unit', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef']);

/**
 * Whether an edit of [start, end) in a tree's text touches a syntax error, or adjoins one: below the
 * innermost item container (ITEM_CONTAINERS) holding the edit, the items it overlaps or touches and one more
 * on each side, where any ERROR or MISSING node counts. tree-sitter's error recovery depends on what it
 * reuses, so an incremental reparse of such an edit can differ from a fresh parse (test/core/settle.test.ts);
 * away from every error it reparses the edited items from the same parse state and reuses the rest.
 */
export function editTouchesError(root: Node, start: number, end: number): boolean {
  if (!root.hasError) return false;
  const broken = (n: Node) => n.hasError || n.isError || n.isMissing;
  // Cursor moves only: Node.child(i) and Node's siblings walk the parent's children in tree-sitter.
  const cursor = root.walk();
  try {
    for (;;) {
      const container = cursor.currentNode;
      // The first child ending at or after `start` (none: the edit is after the last child).
      if (!(start > 0 ? cursor.gotoFirstChildForIndex(start - 1) : cursor.gotoFirstChild())) {
        const last = container.lastChild;
        return last ? broken(last) : broken(container);
      }
      const first = cursor.currentNode;
      if (first.startIndex <= end && ITEM_CONTAINERS.has(first.type) && first.startIndex < start && end < first.endIndex) {
        // Inside one container (its neighbours start after the edit): judge the edit among its items.
        continue;
      }
      if (cursor.gotoPreviousSibling()) {
        if (broken(cursor.currentNode)) return true;
        cursor.gotoNextSibling();
      }
      // The items from `first` on while they start within the edit, and the one after it.
      for (;;) {
        const c = cursor.currentNode;
        if (broken(c)) return true;
        if (c.startIndex > end || !cursor.gotoNextSibling()) return false;
      }
    }
  } finally {
    cursor.delete();
  }
}

export class ParsedFile {
  private disposed = false;
  constructor(
    /** The user's text, exactly. All offsets refer to it. */
    readonly text: string,
    /** The text given to tree-sitter: same length, annotations blanked. */
    readonly parsedText: string,
    readonly tree: Tree,
    /**
     * What a speculative reparse (ParseOptions.speculative) left unchecked, for CParser.settle():
     * `window`, the neutralize window (parsedText may differ from neutralize(text)); `tree`, an edit that
     * broke clean code kept tree-sitter's incremental result (a fresh parse can differ); `nearError`, an edit since
     * the last fresh parse touched or adjoined a syntax error (editTouchesError: settle() parses such a tree afresh).
     */
    readonly unsettled: { window: boolean; tree: boolean; nearError: boolean } = { window: false, tree: false, nearError: false },
    /** neutralize() needed a limiter for pathological input: no windowed neutralization after this. */
    readonly limited = false,
  ) {}

  /** Known to be the tree a fresh parse of `text` gives. */
  get exact(): boolean {
    return !this.unsettled.window && !this.unsettled.tree && !(this.unsettled.nearError && this.root.hasError);
  }

  get root(): Node {
    return this.tree.rootNode;
  }

  dispose(): void {
    if (!this.disposed) {
      this.disposed = true;
      this.tree.delete();
    }
  }
}

/** A whole parse made a slice at a time (CParser.inSlices). */
export interface SlicedParse {
  readonly text: string;
  /** Parses for about `budgetMs`: the tree once the parse is complete (the slicer is then spent), else undefined. */
  step(budgetMs: number): ParsedFile | undefined;
  /** Frees the slicer's parser (a parse dropped before its end). */
  dispose(): void;
}

export interface ParseOptions {
  /**
   * Give up when tree-sitter has run this long (its progress callback cancels the parse); parse()
   * then throws "parse exceeded N ms". A language server bounds pathological files this way.
   */
  maxMs?: number;
  /**
   * reparse() for a keystroke: neutralize only a window around the edit, and keep tree-sitter's
   * incremental result where an edit breaks clean code (see reparse). The result may differ from a fresh
   * parse in rare cases (ParsedFile.exact false); the editor calls settle() when typing pauses.
   */
  speculative?: boolean;
}

let runtimeReady: Promise<void> | undefined;
let runtimeModule: EmscriptenModule | undefined;

/**
 * The runtime's Emscripten module (the object CParser.create handed to Parser.init), once it is
 * initialised; undefined if another Parser.init() came first. The fuzz harness reads the size of the
 * WebAssembly memory from its HEAP8.
 */
export function wasmRuntimeModule(): { HEAP8?: Int8Array } | undefined {
  return runtimeModule?.HEAP32 ? (runtimeModule as { HEAP8?: Int8Array }) : undefined;
}

interface EmscriptenModule {
  wasmBinary: Uint8Array;
  HEAP32?: Int32Array;
  setValue?: (ptr: number, value: number, type?: string) => void;
  getValue?: (ptr: number, type?: string) => number;
}

/**
 * web-tree-sitter moves every node, cursor and point through a transfer buffer with Emscripten's
 * generic setValue/getValue (a type switch and a DataView call per int): about a tenth of kport's
 * time on a tree. Its calls are almost all "i32"; on a little-endian host (wasm memory is little-
 * endian) those become plain Int32Array accesses. Other types keep the original path. HEAP32 is read
 * from the module on each call because Emscripten replaces the view when memory grows.
 */
function fastTransfer(module: EmscriptenModule): void {
  const { setValue, getValue } = module;
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  // Another Parser.init() won the race (the fuzz harness observes the heap this way): leave it alone.
  if (!littleEndian || !setValue || !getValue || !module.HEAP32) return;
  module.setValue = (ptr, value, type = 'i8') => {
    if (type === 'i32') module.HEAP32![ptr >> 2] = value;
    else setValue(ptr, value, type);
  };
  module.getValue = (ptr, type = 'i8') => (type === 'i32' ? module.HEAP32![ptr >> 2] : getValue(ptr, type));
}

function pointAt(text: string, index: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}

/**
 * The heap walk is checked against the cursor walk on this before use: aliased identifiers (field,
 * type, label), fields under hidden nodes, extras (comments, directives), tokens longer than an inline
 * leaf holds (255 bytes), text outside the BMP (positions are UTF-16 units), ERROR and MISSING nodes.
 */
const HEAP_WALK_SAMPLE = `#include <linux/slab.h>
/* é — 𝄞 */
struct dev { int len; void (*cb)(struct dev *d); char *name; };
static int probe(struct dev *d, unsigned long flags)
{
\tchar *s = "${'x'.repeat(300)} 𝄞";
again:
\tif (d->len > 0 && flags & 1) { d->cb(d); goto again; } // done
#ifdef CONFIG_X
\td->name = kmalloc(d->len, GFP_KERNEL);
#endif
\tswitch (d->len) { case 1: return -1; default: break; }
\tfor (int i = 0; i < 3; i++) s[i] = (char)i;
\treturn d->len ? 0 : sizeof(struct dev);
}
static int broken(int a)
{
\tif (a > (3 {
\t\treturn kmalloc(a, GFP_KERNEL;
\tx = g(1,, 2);
}
int missing(void) { return 1 }
`;

/**
 * tree-sitter's progress callback for a parse: it waits at the pause point (core/pause-point.ts) if one is set, and
 * cancels the parse past `deadline` (Date.now()); none when neither applies.
 */
function progressOptions(deadline: number | undefined): { progressCallback?: () => void } {
  const pausable = pausePointSet();
  if (!pausable && deadline === undefined) return {};
  // web-tree-sitter cancels when the callback returns true (its .d.ts types the return as void).
  const progressCallback = () => {
    if (pausable) pausePoint();
    return deadline !== undefined && Date.now() > deadline;
  };
  return { progressCallback: progressCallback as unknown as () => void };
}

/** At most what web-tree-sitter's input buffer holds (10 KB of UTF-16). */
const READ_CHUNK = 4096;

export class CParser {
  private constructor(private readonly parser: Parser) {}

  static async create(wasm: ParserWasm): Promise<CParser> {
    if (!runtimeReady) {
      // The options object becomes the Emscripten module (`var Module = moduleArg`).
      const module: EmscriptenModule = { wasmBinary: wasm.runtime };
      runtimeReady = Parser.init(module as object).then(() => {
        runtimeModule = module;
        fastTransfer(module);
        enableFlatTrees(module as unknown as Record<string, unknown>);
      });
    }
    await runtimeReady;
    const language = await Language.load(wasm.language);
    const parser = new Parser();
    parser.setLanguage(language);
    const cparser = new CParser(parser);
    const sample = cparser.parse(HEAP_WALK_SAMPLE);
    try {
      enableHeapWalk(sample.root, sample.parsedText);
    } finally {
      sample.dispose();
    }
    return cparser;
  }

  parse(text: string, options: ParseOptions = {}): ParsedFile {
    return this.parseWith(text, neutralize, options);
  }

  /**
   * A whole parse of `text` a slice at a time, on a tree-sitter parser of its own that resumes where the last
   * slice stopped (so other parses go on meanwhile): a big document's opening without one long task. The tree
   * equals parse()'s. `maxMs` bounds the slices' total, as parse() bounds its run.
   */
  inSlices(text: string, options: ParseOptions = {}): SlicedParse {
    const { text: parsedText, limited } = neutralize(text);
    const own = new Parser();
    own.setLanguage(this.parser.language);
    let spent = 0;
    let live = true;
    const dispose = () => {
      if (live) own.delete();
      live = false;
    };
    return {
      text,
      step: (budgetMs) => {
        if (!live) throw new Error('a sliced parse stepped after its end');
        const t0 = performance.now();
        const deadline = t0 + budgetMs;
        // web-tree-sitter stops when the callback returns true, and resumes there on the next parse().
        const progressCallback = (() => performance.now() > deadline) as unknown as () => void;
        const tree = own.parse(parsedText, null, { progressCallback });
        spent += performance.now() - t0;
        if (tree) {
          dispose();
          return new ParsedFile(text, parsedText, tree, undefined, !!limited);
        }
        if (options.maxMs !== undefined && spent > options.maxMs) {
          dispose();
          throw new Error(`parse exceeded ${options.maxMs} ms`);
        }
        return undefined;
      },
      dispose,
    };
  }

  /**
   * Parses only `items` of `text` (top-level items of its neutralized text, from topLevelItems, in
   * order): tree-sitter's included ranges, so the tree holds those items at their places in `text`
   * and nothing else. `parsedText` is neutralize(text).text.
   */
  parseItems(text: string, parsedText: string, items: readonly { start: number; end: number }[], options: { maxMs?: number } = {}): ParsedFile {
    const ranges: Range[] = [];
    let row = 0;
    let lineStart = 0;
    let scanned = 0;
    // Rows and columns of ascending offsets, counting line ends once.
    const point = (index: number) => {
      for (let i = parsedText.indexOf('\n', scanned); i !== -1 && i < index; i = parsedText.indexOf('\n', i + 1)) {
        row++;
        lineStart = i + 1;
      }
      scanned = Math.max(scanned, index);
      return { row, column: index - lineStart };
    };
    for (const item of items) {
      const last = ranges[ranges.length - 1];
      if (last && last.endIndex === item.start) {
        last.endIndex = item.end;
        last.endPosition = point(item.end);
      } else ranges.push({ startIndex: item.start, startPosition: point(item.start), endIndex: item.end, endPosition: point(item.end) });
    }
    // No range at all would mean the whole text to tree-sitter.
    if (ranges.length === 0) ranges.push({ startIndex: 0, endIndex: 0, startPosition: { row: 0, column: 0 }, endPosition: { row: 0, column: 0 } });
    // tree-sitter asks for text at each range's start and web-tree-sitter copies what the callback
    // returns (up to 5,000 characters, one at a time) into the wasm heap: hand it the range, not the
    // rest of the file. Never '' before the end of the text (that would end the parse).
    let r = 0;
    const read = (index: number) => {
      while (r > 0 && ranges[r - 1].endIndex > index) r--;
      while (r < ranges.length && ranges[r].endIndex <= index) r++;
      const end = r < ranges.length ? ranges[r].endIndex : parsedText.length;
      return parsedText.slice(index, Math.min(end, index + READ_CHUNK));
    };
    return new ParsedFile(text, parsedText, this.run(read, null, options, ranges));
  }

  /** Parse with another preprocessing step (the benchmark compares against none). */
  parseWith(text: string, prepare: (text: string) => { text: string; limited?: boolean }, options: ParseOptions = {}): ParsedFile {
    const { text: parsedText, limited } = prepare(text);
    if (parsedText.length !== text.length) throw new Error('preprocessing must keep the text length');
    return new ParsedFile(text, parsedText, this.run(parsedText, null, options), undefined, !!limited);
  }

  /**
   * Incremental re-parse: the old tree is edited with the span that changed (found by common
   * prefix/suffix of the neutralized texts, which also covers annotations typed or deleted) and
   * handed back to tree-sitter. The old ParsedFile is disposed.
   */
  reparse(old: ParsedFile, text: string, options: ParseOptions = {}): ParsedFile {
    const unsettled = { ...old.unsettled };
    let limited = false;
    let parsedText: string;
    const windowed = options.speculative && !old.limited ? neutralizeAround(old, text) : undefined;
    if (windowed !== undefined) {
      parsedText = windowed.text;
      unsettled.window = true;
    } else {
      const n = neutralize(text);
      parsedText = n.text;
      limited = !!n.limited;
      unsettled.window = false;
    }
    const a = old.parsedText;
    const b = parsedText;
    const { prefix: start, suffix } = commonAffixes(a, b, windowed?.same);
    const oldEnd = a.length - suffix;
    const newEnd = b.length - suffix;
    const wasClean = !old.root.hasError;
    // A clean tree is a fresh parse's: what touched an error before it no longer matters.
    const nearError = (unsettled.nearError && !wasClean) || editTouchesError(old.root, start, oldEnd);
    const tree = old.tree.copy();
    old.dispose();
    tree.edit(
      new Edit({
        startIndex: start,
        oldEndIndex: oldEnd,
        newEndIndex: newEnd,
        startPosition: pointAt(a, start),
        oldEndPosition: pointAt(a, oldEnd),
        newEndPosition: pointAt(b, newEnd),
      }),
    );
    let next: Tree;
    try {
      next = this.run(parsedText, tree, options);
    } finally {
      tree.delete();
    }
    // When an edit breaks clean code, tree-sitter's incremental parse can keep a reused token in the
    // new ERROR (`int` stays a primitive_type where a fresh parse reads an identifier: fuzz seed 42
    // #2340, #3381). Findings must not depend on the edit history, so that one parse starts afresh;
    // later edits of code that is already broken stay incremental.
    if (wasClean && next.rootNode.hasError) {
      if (options.speculative) unsettled.tree = true;
      else {
        next.delete();
        next = this.run(parsedText, null, options);
        // A fresh tree: nothing to settle.
        return new ParsedFile(text, parsedText, next, { ...unsettled, tree: false, nearError: false }, limited);
      }
    }
    unsettled.nearError = next.rootNode.hasError && (nearError || editTouchesError(next.rootNode, start, newEnd));
    return new ParsedFile(text, parsedText, next, unsettled, limited);
  }

  /**
   * Makes a speculative reparse exact (when typing pauses): `parsed` itself when it already is (a whole
   * neutralize() agreeing with the window is all it costs), else the tree a fresh parse gives, through an
   * incremental reparse with the right neutralized text where only the window was in doubt. A new
   * ParsedFile replaces (and disposes) `parsed`.
   */
  settle(parsed: ParsedFile, options: ParseOptions = {}): ParsedFile {
    if (parsed.exact) return parsed;
    if (parsed.unsettled.tree) return this.fresh(parsed, options);
    // Near a syntax error tree-sitter's incremental result can differ from a fresh parse (a test's random edits
    // found one): settling must not depend on the edit history there. Edits away from every error keep the tree.
    if (parsed.unsettled.nearError && parsed.root.hasError) return this.fresh(parsed, options);
    const n = neutralize(parsed.text);
    if (n.text === parsed.parsedText) {
      parsed.unsettled.window = false;
      parsed.unsettled.nearError = false;
      return parsed;
    }
    // The window's text was wrong somewhere: reparse with the right one, afresh if that edit touches an error.
    const text = parsed.text;
    const next = this.reparse(parsed, text, options);
    if (next.unsettled.nearError && next.root.hasError) return this.fresh(next, options);
    next.unsettled.nearError = false;
    return next;
  }

  /** A fresh parse of `parsed`'s text, replacing (and disposing) it. */
  private fresh(parsed: ParsedFile, options: ParseOptions): ParsedFile {
    const text = parsed.text;
    parsed.dispose();
    return this.parse(text, options);
  }

  /** One parse, bounded by `options.maxMs`; `ranges`: tree-sitter's included ranges. */
  private run(input: string | ((index: number) => string), old: Tree | null, options: { maxMs?: number }, ranges?: Range[]): Tree {
    const { maxMs } = options;
    const tree = this.parser.parse(input, old, {
      ...(ranges ? { includedRanges: ranges } : {}),
      ...progressOptions(maxMs === undefined ? undefined : Date.now() + maxMs),
    });
    if (!tree) {
      this.parser.reset();
      throw new Error(maxMs === undefined ? 'tree-sitter returned no tree' : `parse exceeded ${maxMs} ms`);
    }
    return tree;
  }
}

/** ERROR and MISSING nodes in a tree; only subtrees flagged hasError are visited. */
export function countSyntaxErrors(root: Node): number {
  if (!root.hasError) return 0;
  return countErrorNodes(root) ?? countSyntaxErrorsByNodes(root);
}

/** countSyntaxErrors through Node objects (without the flat-tree exports; the test's reference). */
export function countSyntaxErrorsByNodes(root: Node): number {
  let count = 0;
  const stack: Node[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.isError || node.isMissing) count++;
    if (!node.hasError && !node.isMissing) continue;
    for (const child of node.children) if (child) stack.push(child);
  }
  return count;
}
