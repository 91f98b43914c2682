/**
 * Facts of one file: includes, #defines, functions (IR), and a token index. Rules read facts, never
 * the tree, except to confirm a token is code (not a comment, string or `#if 0` text).
 */
import type { Node, TreeCursor } from 'web-tree-sitter';
import type { ParsedFile } from '../parse/parser';
import { LineIndex } from '../text/line-index';
import { pausePoint } from '../pause-point';
import { spanOf, type Span } from '../text/span';
import { functionsNaming } from '../relevance';
import { buildFunction, buildRecovered, declaredType, definitionName, scanTopLevel, toExpr } from './build-ir';
import type { Cond, Effects, Expr, FunctionFacts, Stmt } from './ir';
import { assignmentBindings, initializerBindings, structDefinitions, type FieldBinding } from './field-bindings';
import { declaratorName, isNonCode } from './syntax';

export interface IncludeFact {
  /** `linux/malloc.h` */
  path: string;
  system: boolean;
  /** The `<linux/malloc.h>` token. */
  pathSpan: Span;
  /** The whole directive line, including its line break. */
  lineSpan: Span;
}

export interface DefineFact {
  name: string;
  nameSpan: Span;
  params: string[] | null;
  /** The macro body as written (may be empty). */
  value: string;
  valueSpan: Span | null;
  /** The body parsed as an expression where it is one (`GFP_KERNEL | __GFP_DMA`). */
  expr: Expr | null;
}

export interface TokenFact {
  name: string;
  span: Span;
  /** Inside a #define body (tree-sitter does not parse those). */
  inMacroBody: boolean;
  /** Enclosing function index in FileFacts.functions, or -1. */
  functionIndex: number;
}

/**
 * Function IR cached by function text across versions of a document. When an edit moves a function
 * without changing it, its IR is shifted in place (no rebuild, no copy), so the objects, and what
 * rules memoized on them, survive. Identical texts at several places get one entry each.
 */
export class FunctionCache {
  private entries = new Map<string, { base: number; facts: FunctionFacts | null; used: boolean }[]>();
  /** How many functions' facts were built into this cache (tests count them). */
  built = 0;

  get(node: Node, build: () => FunctionFacts | null): FunctionFacts | null {
    const key = node.text;
    const list = this.entries.get(key) ?? [];
    // Prefer the entry already at this position, then any free one.
    const entry = list.find((e) => !e.used && e.base === node.startIndex) ?? list.find((e) => !e.used);
    if (entry) {
      entry.used = true;
      if (entry.base !== node.startIndex && entry.facts) shiftInPlace(entry.facts, node.startIndex - entry.base);
      entry.base = node.startIndex;
      return entry.facts;
    }
    const facts = build();
    this.built++;
    list.push({ base: node.startIndex, facts, used: true });
    this.entries.set(key, list);
    return facts;
  }

  /**
   * Builds a function's facts ahead of the FileFacts that will ask for them (a big file's second stage, in
   * slices): the entry stays free for that FileFacts' get(). Nothing is built when an entry is at this position.
   */
  prebuild(node: Node, build: () => FunctionFacts | null): FunctionFacts | null {
    const key = node.text;
    const list = this.entries.get(key) ?? [];
    const held = list.find((e) => !e.used && e.base === node.startIndex);
    if (held) return held.facts;
    const facts = build();
    list.push({ base: node.startIndex, facts, used: false });
    this.built++;
    this.entries.set(key, list);
    return facts;
  }

  /**
   * A function's facts for a FileFacts of part of the file (a hover's focus on a big document before its second
   * stage): the entry at this position, or one built, stays free, so the whole file's FileFacts takes it (nothing
   * is built twice, and what is memoized on the IR object is kept).
   */
  lend(node: Node, build: () => FunctionFacts | null): FunctionFacts | null {
    return this.prebuild(node, build);
  }

  /** Drops entries not used since the previous sweep (functions deleted or edited away). */
  sweep(): void {
    for (const [k, list] of this.entries) {
      const kept = list.filter((e) => e.used);
      kept.forEach((e) => (e.used = false));
      if (kept.length) this.entries.set(k, kept);
      else this.entries.delete(k);
    }
  }
}

/**
 * Moves every {start, end} span in a function's IR by delta, following the IR's shape (ir.ts) rather
 * than every property of every object: an edit shifts all functions after it, and the generic walk was
 * a tenth of the server's time per keystroke. build-ir.ts never shares a span object between two
 * places (a shared one would move twice). test/core/shift.test.ts compares it with a walk over every
 * property.
 */
export function shiftInPlace(fn: FunctionFacts, delta: number): void {
  move(fn.nameSpan, delta);
  move(fn.span, delta);
  for (const p of fn.params) move(p.span, delta);
  for (const l of fn.locals) move(l.span, delta);
  shiftStmt(fn.body, delta);
}

function move(span: Span, delta: number): void {
  span.start += delta;
  span.end += delta;
}

function shiftEffects(e: Effects, delta: number): void {
  for (const c of e.calls) {
    move(c.nameSpan, delta);
    move(c.span, delta);
    for (const a of c.args) shiftExpr(a, delta);
  }
  for (const d of e.derefs) {
    move(d.span, delta);
    if (d.guards) for (const g of d.guards) shiftExpr(g, delta);
  }
  for (const a of e.assigns) {
    move(a.span, delta);
    shiftExpr(a.value, delta);
  }
  if (e.indirect)
    for (const c of e.indirect) {
      move(c.nameSpan, delta);
      move(c.span, delta);
      for (const a of c.args) shiftExpr(a, delta);
    }
}

function shiftStmt(s: Stmt, delta: number): void {
  move(s.span, delta);
  switch (s.k) {
    case 'block':
      for (const c of s.body) shiftStmt(c, delta);
      break;
    case 'expr':
    case 'return':
      shiftEffects(s, delta);
      break;
    case 'if':
      shiftCond(s.cond, delta);
      shiftStmt(s.then, delta);
      if (s.else) shiftStmt(s.else, delta);
      break;
    case 'loop':
      if (s.init) shiftStmt(s.init, delta);
      if (s.cond) shiftCond(s.cond, delta);
      if (s.update) shiftStmt(s.update, delta);
      shiftStmt(s.body, delta);
      break;
    case 'switch':
      shiftCond(s.cond, delta);
      for (const c of s.cases) shiftStmt(c, delta);
      break;
  }
}

function shiftCond(c: Cond, delta: number): void {
  move(c.span, delta);
  shiftExpr(c.expr, delta);
  shiftEffects(c, delta);
}

function shiftExpr(e: Expr, delta: number): void {
  // Iterative along the spine: a 1 MB chain of `a | b | …` nests 100k deep.
  const stack: Expr[] = [e];
  while (stack.length) {
    const x = stack.pop()!;
    move(x.span, delta);
    switch (x.k) {
      case 'bin':
        stack.push(x.l, x.r);
        break;
      case 'un':
      case 'addr':
        stack.push(x.e);
        break;
      case 'cond':
        stack.push(x.c, x.t, x.f);
        break;
      case 'call':
        for (const a of x.args) stack.push(a);
        break;
      case 'assign':
        stack.push(x.value);
        break;
      case 'field':
        stack.push(x.base);
        break;
    }
  }
}

const INCLUDE_PATH = /^[<"]([^>"\r\n]*)[>"]$/;

/**
 * The line of a directive node, with its line break. Lines end in \n, \r\n or a lone \r. The end is the
 * node's, not the first line break after the path: a block comment opened on the directive line is part
 * of the directive and may run over several lines (`#include <x.h> /* …\n … *\/\n`), and tree-sitter
 * leaves a lone \r (and the blanks before it) outside the node. When other text follows on the line
 * (`#include <x.h> junk`), the span ends at the node and does not end in a line break. The start is the
 * line's start when only blanks precede the directive on its line, else the directive's own start.
 */
export function directiveLine(text: string, node: Node): Span {
  let start = node.startIndex;
  while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  if (start > 0 && text[start - 1] !== '\n' && text[start - 1] !== '\r') start = node.startIndex;
  let end = node.endIndex;
  if (text[end - 1] !== '\n') {
    let j = end;
    while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++;
    if (j === text.length) end = j;
    else if (text[j] === '\n') end = j + 1;
    else if (text[j] === '\r') end = text[j + 1] === '\n' ? j + 2 : j + 1;
  }
  return { start, end };
}

/**
 * Builds the facts of a parsed file's functions into `cache`, one function a step, for a FileFacts of the same
 * tree made afterwards (which then finds them built). Functions in `#if 0` are built too (FileFacts skips them).
 */
export function* prebuildFunctions(file: ParsedFile, cache: FunctionCache): Generator<FunctionFacts | null> {
  for (const fn of scanTopLevel(file.root).functions) yield cache.prebuild(fn, () => buildFunction(fn, file.parsedText));
}

export class FileFacts {
  readonly includes: IncludeFact[] = [];
  readonly defines: DefineFact[] = [];
  readonly functions: FunctionFacts[] = [];
  /** Top-level declarations' initializers (`static struct timer_list t = { .function = fn }`). */
  readonly globalInits: { name: string; value: Expr; span: Span }[] = [];
  /** File-level variables' declared types. */
  readonly globalTypes = new Map<string, string>();
  /** The file-level struct definitions and declarations, read on first use (structFields, fieldBindings): only calls through struct fields need them. */
  private topTypes: Node[] = [];
  private topDeclarations: Node[] = [];
  private structs: Map<string, string[]> | undefined;
  private initializers: FieldBinding[] | undefined;
  private allBindings: FieldBinding[] | undefined;
  private readonly tokenCache = new Map<string, TokenFact[]>();
  private deadRegions: Span[] | undefined;

  /**
   * inDisabledBlock() by span: the live-branch regions of `#if 0`/`#elif 0` are found once per file
   * (a text scan for the directive, confirmed against the tree), so a token costs a few comparisons
   * instead of an ancestor walk, which is O(depth × width) in tree-sitter (minutes on a 1 MB line).
   */
  private inDeadCode(node: Node): boolean {
    if (!this.deadRegions) {
      this.deadRegions = [];
      const text = this.file.parsedText;
      for (const m of text.matchAll(/#[ \t]*(?:el)?if[ \t]+0\b/g)) {
        const p = this.file.root.descendantForIndex(m.index!, m.index! + 1)?.parent;
        if (!p || (p.type !== 'preproc_if' && p.type !== 'preproc_elif') || p.startIndex > m.index!) continue;
        const cond = p.childForFieldName('condition');
        if (!cond || cond.text.trim() !== '0') continue;
        const alt = p.childForFieldName('alternative');
        this.deadRegions.push({ start: cond.endIndex, end: alt ? alt.startIndex : p.endIndex });
      }
      // Regions are nested or disjoint (they are tree nodes): keep the outermost, sorted, for a binary search.
      const merged: Span[] = [];
      for (const r of this.deadRegions.sort((a, b) => a.start - b.start || b.end - a.end)) {
        const last = merged[merged.length - 1];
        if (last && r.start < last.end) last.end = Math.max(last.end, r.end);
        else merged.push({ ...r });
      }
      this.deadRegions = merged;
    }
    const regions = this.deadRegions;
    let lo = 0;
    let hi = regions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (regions[mid].start <= node.startIndex) lo = mid + 1;
      else hi = mid - 1;
    }
    const r = regions[hi];
    return !!r && node.endIndex <= r.end && node.endIndex > r.start;
  }

  constructor(
    readonly file: ParsedFile,
    readonly path: string,
    cache: FunctionCache = new FunctionCache(),
    /**
     * Facts for a summary that only has to be right about these function names (the CLI's pass 1b):
     * functions that neither name one of them nor name such a function are left out (functionsNaming).
     * Rules must not run on such facts.
     */
    summaryFor?: readonly string[],
    /**
     * Facts of these function definitions only (their start offsets), with every declaration and directive (those
     * of `of`, facts of the same tree, when given): a query that needs some functions' context (core/ide/document.ts
     * focusedAt) on a document whose second stage has not run. Their IR is lent by the cache (see lend), which is
     * not swept. Rules must not run on such facts.
     */
    focus?: { functions: ReadonlySet<number>; of?: FileFacts },
  ) {
    const top = scanTopLevel(file.root);
    const text = file.text;
    // Facts of the same tree (a first stage's): its directives, declarations, line table and dead regions are these.
    const of = focus?.of?.file === file ? focus.of : undefined;
    if (of) {
      this.includes.push(...of.includes);
      this.defines.push(...of.defines);
      this.globalInits.push(...of.globalInits);
      for (const [k, v] of of.globalTypes) this.globalTypes.set(k, v);
      this.deadRegions = of.deadRegions;
      this.lineIndex = of.lineIndex;
      this.topTypes = of.topTypes;
      this.topDeclarations = of.topDeclarations;
      this.structs = of.structs;
      this.initializers = of.initializers;
    }
    for (const inc of of ? [] : top.includes) {
      const p = inc.childForFieldName('path');
      if (!p || this.inDeadCode(inc)) continue;
      // A header name never spans lines; tree-sitter's `<…>` token does (`<linux/module.h␞\r#include <x>`
      // on a CR-only file), and such a "path" is two broken lines, not an include.
      const m = INCLUDE_PATH.exec(p.text);
      if (!m) continue;
      this.includes.push({ path: m[1].trim(), system: p.text.startsWith('<'), pathSpan: spanOf(p), lineSpan: directiveLine(text, inc) });
    }
    for (const def of of ? [] : top.defines) {
      if (this.inDeadCode(def)) continue;
      const name = def.childForFieldName('name');
      const value = def.childForFieldName('value');
      if (!name) continue;
      const params =
        def.type === 'preproc_function_def'
          ? (def
              .childForFieldName('parameters')
              ?.namedChildren.filter((c) => c !== null)
              .map((c) => c!.text) ?? [])
          : null;
      this.defines.push({ name: name.text, nameSpan: spanOf(name), params, value: value?.text ?? '', valueSpan: value ? spanOf(value) : null, expr: null });
    }
    let live = top.functions.filter((fn) => !this.inDeadCode(fn));
    if (summaryFor) {
      const keep = functionsNaming(
        live.map((fn) => ({ name: definitionName(fn) ?? '', text: text.slice(fn.startIndex, fn.endIndex) })),
        summaryFor,
      );
      live = live.filter((_, i) => keep[i]);
    }
    // The names the whole file's definitions give, for the recovered functions below (a focus builds a part).
    const definedNames = focus && new Set(live.map((fn) => definitionName(fn)));
    if (focus) live = live.filter((fn) => focus.functions.has(fn.startIndex));
    for (const fn of live) {
      pausePoint();
      const build = () => buildFunction(fn, file.parsedText);
      const facts = focus ? cache.lend(fn, build) : cache.get(fn, build);
      if (facts) this.functions.push(facts);
    }
    // Functions the recovery broke up, where no definition of the name parsed; kept in source order.
    let recovered = top.recovered.filter((r) => !this.inDeadCode(r.declarator));
    if (summaryFor && recovered.length) {
      const keep = functionsNaming(
        recovered.map((r) => ({
          name: declaratorName(r.declarator)?.text ?? '',
          text: text.slice(r.declarator.startIndex, r.parts[r.parts.length - 1].endIndex),
        })),
        summaryFor,
      );
      recovered = recovered.filter((_, i) => keep[i]);
    }
    if (recovered.length) {
      const named = new Set<string | null>(definedNames ?? this.functions.map((f) => f.name));
      for (const r of recovered) {
        const facts = buildRecovered(r);
        if (facts && !named.has(facts.name)) {
          named.add(facts.name);
          this.functions.push(facts);
        }
      }
      this.functions.sort((a, b) => a.span.start - b.span.start);
    }
    if (!of) {
      this.topTypes = top.types;
      this.topDeclarations = top.declarations;
    }
    for (const decl of of ? [] : top.declarations) {
      for (const d of decl.namedChildren) {
        if (!d || (d.type !== 'init_declarator' && d.type !== 'identifier' && d.type !== 'pointer_declarator' && d.type !== 'array_declarator')) continue;
        const declarator = d.type === 'init_declarator' ? d.childForFieldName('declarator') : d;
        const name = declaratorName(declarator);
        if (name) this.globalTypes.set(name.text, declaredType(decl, declarator));
      }
      for (const init of decl.namedChildren) {
        if (init?.type !== 'init_declarator') continue;
        const name = declaratorName(init.childForFieldName('declarator'));
        const value = init.childForFieldName('value');
        if (!name || !value) continue;
        collectInitializers(name.text, value, this.globalInits);
      }
    }
    if (!focus) cache.sweep();
  }

  get text(): string {
    return this.file.text;
  }

  /** Struct types defined here (`struct foo_ops`, typedef names) with their fields in order (positional initializers). */
  get structFields(): ReadonlyMap<string, string[]> {
    if (!this.structs) {
      const structs = new Map<string, string[]>();
      for (const t of this.topTypes) if (this.hasBrace(t) && !this.inDeadCode(t)) structDefinitions(t, structs);
      for (const decl of this.bracedDeclarations) structDefinitions(decl, structs);
      this.structs = structs;
    }
    return this.structs;
  }

  private declarationsWithBraces: Node[] | undefined;

  /**
   * Whether a node's text holds a brace: only then can it define a struct or hold an initializer list (most
   * file-level declarations are prototypes and plain variables; a text test spares their tree walks).
   */
  private hasBrace(n: Node): boolean {
    const at = this.file.parsedText.indexOf('{', n.startIndex);
    return at >= 0 && at < n.endIndex;
  }

  private get bracedDeclarations(): Node[] {
    this.declarationsWithBraces ??= this.topDeclarations.filter((d) => this.hasBrace(d));
    return this.declarationsWithBraces;
  }

  /** Functions stored in struct fields by file-level initializers (assignments in functions: fieldBindings). */
  private get initBindings(): FieldBinding[] {
    if (!this.initializers) {
      const out: FieldBinding[] = [];
      const structs = this.structFields;
      for (const decl of this.bracedDeclarations) initializerBindings(decl, (type) => structs.get(type), out);
      this.initializers = out;
    }
    return this.initializers;
  }

  /** Functions stored in struct fields here: by file-level initializers and by assignments in functions. */
  get fieldBindings(): readonly FieldBinding[] {
    if (!this.allBindings) {
      this.allBindings = [...this.initBindings];
      for (const fn of this.functions) assignmentBindings(fn, this.globalTypes, this.allBindings);
    }
    return this.allBindings;
  }

  private lineIndex: LineIndex | undefined = undefined;

  /** Line table of the text, built once (messages and suppressions need lines, often). */
  get lines(): LineIndex {
    this.lineIndex ??= new LineIndex(this.file.text);
    return this.lineIndex;
  }

  /** 1-based line of an offset. */
  lineOf(offset: number): number {
    return this.lines.positionAt(offset).line + 1;
  }

  functionAt(offset: number): number {
    let lo = 0;
    let hi = this.functions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = this.functions[mid];
      if (offset < f.span.start) hi = mid - 1;
      else if (offset >= f.span.end) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /**
   * Code occurrences of whole-word tokens (identifiers in code or in #define bodies), never in
   * comments, strings or `#if 0` blocks. Found by a text scan confirmed against the tree, so the
   * cost is the scan plus one tree lookup per hit.
   */
  tokens(names: readonly string[]): TokenFact[] {
    const key = names.join('|');
    const cached = this.tokenCache.get(key);
    if (cached) return cached;
    const re = new RegExp(`\\b(?:${names.join('|')})\\b`, 'g');
    const out: TokenFact[] = [];
    // One cursor for all hits, in text order: climb to the nearest node spanning the hit, then
    // descend. descendantForIndex from the root per hit is O(depth), quadratic on a 1 MB line of
    // `GFP_ATOMIC|GFP_ATOMIC|…` (a 100k-deep binary expression: 90 s).
    const cursor = this.file.root.walk();
    // Comment markers of each macro body, found once: rescanning a 1 MB body per hit was quadratic (13 s).
    const commentMarks = new Map<number, CommentMarks>();
    try {
      for (const m of this.text.matchAll(re)) {
        const start = m.index!;
        const end = start + m[0].length;
        // Forward over siblings that end before the hit, up when none is left: each node is passed once.
        for (;;) {
          if (cursor.startIndex <= start && end <= cursor.endIndex) break;
          if (cursor.endIndex <= start && cursor.gotoNextSibling()) continue;
          if (!cursor.gotoParent()) break;
        }
        const token = this.confirmToken(cursor, m[0], start, end, commentMarks);
        if (token) out.push(token);
      }
    } finally {
      cursor.delete();
    }
    this.tokenCache.set(key, out);
    return out;
  }

  /**
   * The code token `name` at [start, end), as tokens([name]) finds it there, or undefined (a comment, a string,
   * dead code, part of a longer node): one descent from the root instead of a scan of the file (a hover asks about
   * one word at one place).
   */
  tokenAt(name: string, start: number, end: number): TokenFact | undefined {
    const cached = this.tokenCache.get(name);
    if (cached) return cached.find((t) => t.span.start === start);
    const cursor = this.file.root.walk();
    try {
      return this.confirmToken(cursor, name, start, end, new Map());
    } finally {
      cursor.delete();
    }
  }

  /**
   * Descends from the cursor's node (which spans [start, end)) to the deepest node spanning the hit, and answers
   * the hit as a code token, if it is one. `commentMarks`: each macro body's comment markers, found once.
   */
  private confirmToken(cursor: TreeCursor, name: string, start: number, end: number, commentMarks: Map<number, CommentMarks>): TokenFact | undefined {
    while (cursor.gotoFirstChildForIndex(start)) {
      if (cursor.startIndex > start || cursor.endIndex < end) {
        cursor.gotoParent();
        break;
      }
    }
    const node = cursor.currentNode;
    if (!node || isNonCode(node) || this.inDeadCode(node)) return undefined;
    const inMacroBody = node.type === 'preproc_arg';
    if (inMacroBody) {
      let marks = commentMarks.get(node.startIndex);
      if (!marks) commentMarks.set(node.startIndex, (marks = new CommentMarks(node.text)));
      if (marks.inComment(start - node.startIndex)) return undefined;
    }
    if (!inMacroBody && node.startIndex !== start) return undefined;
    return { name, span: { start, end }, inMacroBody, functionIndex: this.functionAt(start) };
  }

  /** Declared type of `name` as seen from function `fn` (local, parameter, then file level). */
  typeOf(name: string, fn?: FunctionFacts): string | undefined {
    return fn?.locals.findLast((l) => l.name === name)?.type ?? fn?.params.find((p) => p.name === name)?.type ?? this.globalTypes.get(name);
  }

  /** True when the token at `span` names a function in a declarator (a prototype or the definition). */
  isDeclaratorName(span: Span): boolean {
    const node = this.file.root.descendantForIndex(span.start, span.end);
    return node?.parent?.type === 'function_declarator';
  }

  private definesByName: Map<string, DefineFact[]> | undefined;

  /** The last object-like #define of `name` before offset `at` (anywhere when `at` is undefined). */
  defineBefore(name: string, at?: number): DefineFact | undefined {
    if (!this.definesByName) {
      this.definesByName = new Map();
      for (const d of this.defines) {
        if (d.params !== null) continue;
        const list = this.definesByName.get(d.name) ?? [];
        list.push(d);
        this.definesByName.set(d.name, list);
      }
    }
    const list = this.definesByName.get(name);
    if (!list) return undefined;
    if (at === undefined) return list[list.length - 1];
    return list.findLast((d) => d.nameSpan.start < at);
  }
}

/**
 * Whether an offset of a #define body is in a comment: after a block-comment opener that is not closed
 * before it, or after any line-comment marker (tree-sitter does not parse macro bodies). Positions of the markers are found once per body, so each
 * question is two binary searches.
 */
export class CommentMarks {
  private readonly opens: number[] = [];
  private readonly closes: number[] = [];
  private readonly firstLineComment: number;

  constructor(text: string) {
    for (let i = text.indexOf('/*'); i >= 0; i = text.indexOf('/*', i + 1)) this.opens.push(i);
    for (let i = text.indexOf('*/'); i >= 0; i = text.indexOf('*/', i + 1)) this.closes.push(i);
    this.firstLineComment = text.indexOf('//');
  }

  /** True when `text.slice(0, at)` has a line-comment marker, or a last block opener with no closer from it on. */
  inComment(at: number): boolean {
    const last = at - 2; // a marker must lie wholly before `at`
    if (this.firstLineComment >= 0 && this.firstLineComment <= last) return true;
    const open = lastAtMost(this.opens, last);
    if (open < 0) return false;
    const close = firstAtLeast(this.closes, open);
    return close < 0 || close > last;
  }
}

/** The largest value ≤ x in a sorted array, or -1. */
function lastAtMost(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) {
      found = sorted[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The smallest value ≥ x in a sorted array, or -1. */
function firstAtLeast(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] >= x) {
      found = sorted[mid];
      hi = mid - 1;
    } else lo = mid + 1;
  }
  return found;
}

function collectInitializers(name: string, value: Node, out: { name: string; value: Expr; span: Span }[], depth = 0): void {
  if (depth > 8) return;
  if (value.type !== 'initializer_list') {
    out.push({ name, value: toExpr(value), span: spanOf(value) });
    return;
  }
  for (const item of value.namedChildren) {
    if (!item) continue;
    if (item.type === 'initializer_pair') {
      const designator = item.childForFieldName('designator') ?? item.namedChildren[0];
      const v = item.childForFieldName('value');
      if (designator && v) collectInitializers(`${name}.${designator.text.replace(/^\./, '')}`, v, out, depth + 1);
    } else if (item.type === 'initializer_list') {
      collectInitializers(name, item, out, depth + 1);
    }
  }
}
