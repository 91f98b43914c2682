/**
 * Parses of part of a file, for the CLI, which reads whole trees: tree-sitter's included ranges over
 * the top-level items (core/parse/top-level-items.ts) that can matter.
 *
 * parseForRules: what the rules need (the CLI's pass 1). parseForSummary: what a cross-file summary
 * about some names needs (pass 1b).
 */
import { neutralize } from '../parse/neutralize';
import type { CParser, ParsedFile } from '../parse/parser';
import { topLevelItems, type TopLevelItem } from '../parse/top-level-items';
import { forEachMention, mentionPositions } from '../relevance';
import { atomicSourceSpans, mayRunAtomic } from '../context/atomic-sources';
import { MAX_INLINE_DEPTH } from '../simulation/extract';
import { C_KEYWORDS } from '../facts/syntax';
import { FileFacts as Facts } from '../facts/file-facts';
import { addVerdicts, analyze, type AnalyzeOptions, type RuleFailure } from '../analyze';
import type { SharedAnalyses } from '../context/shared';
import type { AnalysisEnv, Finding } from '../rules/types';

/** Words followed by `(` in a function's head that are not its name: C keywords and GNU C operators. */
const NOT_NAMES = new Set([...C_KEYWORDS, '__attribute__', '__typeof__', 'typeof', 'defined', 'asm', '__asm__']);
const CALLED_NAME = /([\p{XID_Start}_$][\p{XID_Continue}$]*)\s*\(/gu;

/**
 * The names a function item may define, read from its head (what is before the body): every name
 * directly followed by `(`, outside comments and directive lines. tree-sitter names a definition by the
 * identifier of its function declarator, which is followed by its parameter list (`f(`, `(*f(void))(`,
 * `DRM(f)(` names it DRM), so the name is among these; the others are macros and return types.
 */
export function definitionNameCandidates(text: string, item: TopLevelItem): string[] {
  const head = text
    .slice(item.start, item.bodyStart ?? item.end)
    .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' ')
    .replace(/\\\r?\n/g, ' ')
    .replace(/^[ \t]*#.*$/gm, ' ');
  const out: string[] = [];
  for (const m of head.matchAll(CALLED_NAME)) if (!NOT_NAMES.has(m[1]) && !out.includes(m[1])) out.push(m[1]);
  return out;
}

/** The text tree-sitter parses and its top-level items; null items when the file cannot be cut. */
function cut(text: string): { parsedText: string; items: TopLevelItem[] | null } {
  const parsedText = neutralize(text).text;
  return { parsedText, items: topLevelItems(parsedText) };
}

/**
 * Chooses, from `from` up to the top, the items that name a function a chosen item may define
 * (`namesOf`: definitionNameCandidates): callers, registrations and stores, which decide the context
 * the chosen functions run in. Only `eligible` items not yet `chosen` are added. Mentions are looked
 * for in the user's text, as mentionTest does (one scan of it a round).
 */
function chooseNamers(
  text: string,
  items: readonly TopLevelItem[],
  chosen: boolean[],
  from: readonly number[],
  namesOf: (i: number) => string[],
  eligible: (i: number) => boolean,
): void {
  const seen = new Set<string>();
  for (let level = from; level.length; ) {
    const names = level.flatMap(namesOf).filter((n) => !seen.has(n) && seen.add(n));
    level = names.length ? itemsAt(items, mentionPositions(names)(text)).filter((i) => !chosen[i] && eligible(i)) : [];
    for (const i of level) chosen[i] = true;
  }
}

/** The items (indexes, ascending) holding those offsets; `items` cover the text in order. */
function itemsAt(items: readonly TopLevelItem[], offsets: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  for (const at of offsets) {
    while (i < items.length && items[i].end <= at) i++;
    if (i < items.length && items[i].start <= at && out[out.length - 1] !== i) out.push(i);
  }
  return out;
}

/** The items a span of `spans` (sorted by start) lies inside. */
function itemsHolding(items: readonly TopLevelItem[], spans: readonly [number, number][]): Set<number> {
  const out = new Set<number>();
  let i = 0;
  for (const [start, end] of spans) {
    while (i < items.length && items[i].end <= start) i++;
    if (i < items.length && items[i].start <= start && end <= items[i].end) out.add(i);
  }
  return out;
}

export interface RulesParse {
  parsed: ParsedFile;
  /** Function items left out ([start, end) in the text): what pass 1b may still need to read. */
  deferred: [number, number][];
  /**
   * The parse again with the functions named by the functions at `starts` (offsets in them), and
   * what those name, to the simulator's inlining depth (MAX_INLINE_DEPTH): a verdict simulates the
   * calls of its function's callees. Null when they are all parsed already.
   */
  withCallees?: (starts: readonly number[]) => RulesParse | null;
}

/**
 * The parse the rules need, when their findings can only come from a function that holds one of their
 * triggers (`seed` says which items do: Rule.triggers, from each rule's `matches`, and the allocators and mempool_destroy() that
 * anchor the calling context). Parsed: every item that is not a function definition (declarations,
 * directives: globals, #defines and #includes are read by the rules); the seed functions; and the
 * functions that name those (their callers, registrations and stores decide the context a seed runs
 * in), up to the top. Nothing else reaches a finding: atomicity flows from callers to callees only,
 * and a caller's lock state is its own. Only a simulated verdict reads a finding's callees: see
 * withCallees, and analyzeInPart, which uses it.
 */
export function parseForRules(
  parser: CParser,
  text: string,
  seed: (itemText: string) => boolean,
  wholeFile?: (text: string) => boolean,
  ownContextOnly = false,
  indirectCalls = true,
): RulesParse {
  return parsePartForRules(parser, text, seed, wholeFile, ownContextOnly, indirectCalls) ?? { parsed: parser.parse(text), deferred: [] };
}

/**
 * parseForRules where it leaves part of the text out; undefined where it would parse the whole text (a rule that
 * reads the whole file, a text that cannot be cut into items). With `part` (a big document's first findings in the
 * editor, before its whole parse): also undefined where every item is needed, and tree-sitter runs `part.maxMs` at
 * most (it throws "parse exceeded" past that).
 */
export function parsePartForRules(
  parser: CParser,
  text: string,
  seed: (itemText: string) => boolean,
  wholeFile: ((text: string) => boolean) | undefined,
  ownContextOnly: boolean,
  indirectCalls: boolean,
  part?: { maxMs: number },
): RulesParse | undefined {
  // A rule that reads the whole file (`needs: { wholeFile: true }`) gets it.
  if (wholeFile?.(text)) return undefined;
  const { parsedText, items } = cut(text);
  if (!items) return undefined;
  const chosen = items.map((item) => item.kind !== 'function');
  // Each function's possible names, read when first asked for (most files never need every head).
  const names: (string[] | undefined)[] = [];
  const namesOf = (i: number) => (names[i] ??= items[i].kind === 'function' ? definitionNameCandidates(parsedText, items[i]) : []);
  // Name → the function items that may define it, for the callees of withCallees (built then).
  let definers: Map<string, number[]> | undefined;
  const definersOf = (name: string) => {
    if (!definers) {
      definers = new Map();
      for (let i = 0; i < items.length; i++)
        for (const n of namesOf(i)) {
          const list = definers.get(n);
          if (list) list.push(i);
          else definers.set(n, [i]);
        }
    }
    return definers.get(name) ?? [];
  };
  const itemText = (i: number) => text.slice(items[i].start, items[i].end);
  const seeds = items.flatMap((item, i) => (item.kind === 'function' && seed(itemText(i)) ? [i] : []));
  for (const i of seeds) chosen[i] = true;
  // Up: whatever names a chosen function (every other item is chosen already).
  chooseNamers(text, items, chosen, seeds, namesOf, (i) => items[i].kind === 'function');
  // Calls through a struct field a chosen function is stored in (`ops->open(c)` with `.open = foo_open`), their
  // callers, and the functions storing into such a field (one stored function that does not sleep and the call
  // does not). Without the workspace (pass 1), in a file whose text cannot make code atomic, no such call runs
  // atomically: nothing to add.
  // Whether an item's text can make code atomic (mayRunAtomic): asked of a few items, each text is tested; asked
  // of every item (belowAtomic), one scan of the file answers (atomicSourceSpans).
  let atomicItems: Set<number> | undefined;
  const itemMayRunAtomic = (i: number) => (atomicItems ? atomicItems.has(i) : mayRunAtomic(itemText(i)));
  const allItemsMayRunAtomic = (i: number) => (atomicItems ??= itemsHolding(items, atomicSourceSpans(text))).has(i);
  const via =
    !indirectCalls || (ownContextOnly && !mayRunAtomic(text))
      ? null
      : fieldCalls(parsedText, items, new Set(items.flatMap((_, i) => (chosen[i] ? namesOf(i) : []))));
  if (via) {
    let fresh = via.callers.filter((i) => !chosen[i]);
    // Without the workspace, such a call can run atomically only below an item whose text can make code atomic
    // (mayRunAtomic: a lock, a registration, a handler's signature); the others give no finding and no atomic field call.
    if (ownContextOnly && fresh.length) {
      const below = belowAtomic(items, itemText, definersOf, allItemsMayRunAtomic);
      fresh = fresh.filter((i) => below.has(i));
    }
    for (const i of fresh) chosen[i] = true;
    // Their callees too: one that releases the caller's lock (FileContext.lockDroppedBefore) ends the atomic region.
    for (const i of fresh)
      forEachMention(itemText(i), (name) => {
        for (const j of definersOf(name)) chosen[j] = true;
      });
    // The stores: into the named fields, or, for a positional initializer, into any field a chosen function calls through.
    const stored = new Set(via.fields);
    if (via.anyField)
      for (let i = 0; i < items.length; i++) if (chosen[i] && items[i].kind === 'function') for (const f of calledFieldsOf(itemText(i))) stored.add(f);
    const storers = storesInto(parsedText, items, stored).filter((i) => !chosen[i]);
    for (const i of storers) chosen[i] = true;
    const added = [...fresh, ...storers];
    if (added.length) chooseNamers(text, items, chosen, added, namesOf, (i) => items[i].kind === 'function');
  }
  // A chosen function calling through a field where its text can make code atomic: its callees too, as for the
  // callers above (pass 2 seeds such a caller by its field call, chosen before them): one that releases the
  // caller's lock ends the region (lockDroppedBefore; 2.4's fs/super.c get_sb_bdev() → insert_super() drops sb_lock).
  // Without the workspace (pass 1) a call can be a finding only through a field this file stores a chosen function
  // in (via.fields, any field after a positional initializer): only such callers need their callees.
  const findable = (i: number) => !ownContextOnly || (!!via && (via.anyField || calledFieldsOf(itemText(i)).some((f) => via.fields.has(f))));
  for (let i = 0; indirectCalls && i < items.length; i++)
    if (chosen[i] && items[i].kind === 'function' && ANY_FIELD_CALL.test(itemText(i)) && findable(i) && itemMayRunAtomic(i))
      forEachMention(itemText(i), (name) => {
        for (const j of definersOf(name)) chosen[j] = true;
      });
  const finish = (): RulesParse | undefined => {
    const deferred: [number, number][] = [];
    items.forEach((item, i) => {
      if (!chosen[i]) deferred.push([item.start, item.end]);
    });
    if (part && !deferred.length) return undefined;
    const parsed = deferred.length
      ? parser.parseItems(
          text,
          parsedText,
          items.filter((_, i) => chosen[i]),
          part,
        )
      : parser.parse(text);
    return { parsed, deferred, withCallees };
  };
  // Down: what the given functions name, and what that names, to the simulator's inlining depth.
  const withCallees = (starts: readonly number[]): RulesParse | null => {
    let level = items.flatMap((item, i) => (starts.some((s) => item.start <= s && s < item.end) ? [i] : []));
    let added = false;
    for (let depth = 0; depth < MAX_INLINE_DEPTH && level.length; depth++) {
      const next: number[] = [];
      for (const i of level)
        forEachMention(itemText(i), (name) => {
          for (const j of definersOf(name)) if (!next.includes(j)) next.push(j);
        });
      for (const j of next) if (!chosen[j]) chosen[j] = added = true;
      level = next;
    }
    return added ? (finish() ?? null) : null;
  };
  return finish();
}

/**
 * The items whose text can make code atomic (mayRunAtomic) and the functions they name, transitively: where a
 * call can run atomically by the file's own facts (atomicity flows from callers and registrations to callees).
 */
function belowAtomic(
  items: readonly TopLevelItem[],
  itemText: (i: number) => string,
  definersOf: (name: string) => number[],
  itemMayRunAtomic: (i: number) => boolean,
): Set<number> {
  const out = new Set<number>();
  let level = items.flatMap((_, i) => (itemMayRunAtomic(i) ? [i] : []));
  for (const i of level) out.add(i);
  while (level.length) {
    const next: number[] = [];
    for (const i of level)
      forEachMention(itemText(i), (name) => {
        for (const j of definersOf(name))
          if (!out.has(j)) {
            out.add(j);
            next.push(j);
          }
      });
    level = next;
  }
  return out;
}

/**
 * The function items that call through a field one of `names` is stored in (`.open = foo_open`, `open: foo_open`,
 * `x->open = foo_open`: found from each mention of a name, looking back), with those fields. A text scan, a
 * superset (`x = name` counts). A name in a positional initializer of a file-level declaration makes every call
 * through a field count (`anyField`).
 */
function fieldCalls(
  text: string,
  items: readonly TopLevelItem[],
  names: ReadonlySet<string>,
): { callers: number[]; fields: Set<string>; anyField: boolean } | null {
  const fields = new Set<string>();
  const positional: number[] = [];
  for (const at of mentionPositions([...names])(text)) {
    let k = at - 1;
    while (k >= 0 && (text[k] === ' ' || text[k] === '\t' || text[k] === '\n' || text[k] === '\r' || text[k] === '&')) k--;
    const c = text[k];
    // The name stands alone (`foo_open,` `foo_open;` `foo_open }`), not as the start of an expression (`foo(…)`).
    let e = at;
    while (e < text.length && /\w/.test(text[e])) e++;
    while (e < text.length && (text[e] === ' ' || text[e] === '\t')) e++;
    const after = text[e];
    if (after !== ',' && after !== ';' && after !== '}' && after !== '\n' && after !== '\r') continue;
    if ((c === '{' || c === ',') && after !== ';') positional.push(at);
    if (c !== '=' && c !== ':') continue;
    if (c === '=' && '=!<>'.includes(text[k - 1])) continue;
    k--;
    while (k >= 0 && (text[k] === ' ' || text[k] === '\t')) k--;
    let start = k;
    while (start >= 0 && /\w/.test(text[start])) start--;
    if (start < k && /[A-Za-z_]/.test(text[start + 1])) fields.add(text.slice(start + 1, k + 1));
  }
  // In a positional initializer (of a file-level declaration: in a function, the list is an argument list) the
  // field is known from the struct's definition only: any field call may be one.
  const anyField = itemsAt(items, positional).some((i) => items[i].kind !== 'function');
  if (!fields.size && !anyField) return null;
  const list = anyField ? '[A-Za-z_]\\w*' : [...fields].join('|');
  const call = new RegExp(`(?:->|\\.)\\s*(?:${list})\\s*\\)?\\s*\\(`, 'g');
  const callers = itemsAt(
    items,
    [...text.matchAll(call)].map((m) => m.index!),
  ).filter((i) => items[i].kind === 'function');
  return { callers, fields, anyField };
}

/** The function items that may store into one of these fields (`x->open =`, `.open =`, `open:`): a text scan, a superset. */
function storesInto(text: string, items: readonly TopLevelItem[], fields: ReadonlySet<string>): number[] {
  if (!fields.size) return [];
  const store = new RegExp(`\\b(?:${[...fields].join('|')})\\s*[:=](?!=)`, 'g');
  return itemsAt(
    items,
    [...text.matchAll(store)].map((m) => m.index!),
  ).filter((i) => items[i].kind === 'function');
}

/** The fields a text calls through (`ops->open(`, `(*ops->open)(`). */
function calledFieldsOf(text: string): string[] {
  return [...text.matchAll(FIELD_CALL)].map((m) => m[1]);
}

const FUNCTION_POINTER_FIELD = /\(\s*\*\s*[A-Za-z_]\w*\s*\)\s*\(/;

/**
 * The struct definitions of a header the rules leave unparsed, for calls through function pointers in other
 * files: that the struct is the workspace's own, and the field order positional initializers follow. Read from
 * the text, not parsed (a parse of every such header cost more than the rest of the feature): a body with a
 * directive, a nested brace or a member whose name is not plain gets no order (`fields` empty: a positional
 * initializer of it then keeps calls through its fields unresolved).
 */
export function structsOf(text: string, file: string): { type: string; fields: string[] }[] {
  if (!/\.h$/i.test(file) || !FUNCTION_POINTER_FIELD.test(text)) return [];
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' ');
  const out: { type: string; fields: string[] }[] = [];
  for (const m of code.matchAll(STRUCT_HEAD)) {
    const open = m.index! + m[0].length;
    let depth = 1;
    let k = open;
    for (; k < code.length && depth > 0; k++)
      if (code[k] === '{') depth++;
      else if (code[k] === '}') depth--;
    if (depth) break;
    const body = code.slice(open, k - 1);
    const fields = body.includes('{') || body.includes('#') ? null : memberNames(body);
    const typedefName = m[1] ? /^\s*([A-Za-z_]\w*)\s*;/.exec(code.slice(k)) : null;
    for (const type of [m[2] ? `struct ${m[2]}` : null, typedefName?.[1] ?? null]) if (type) out.push({ type, fields: fields ?? [] });
  }
  return out;
}

const STRUCT_HEAD = /\b(typedef\s+)?struct\s+(?:([A-Za-z_]\w*)\s*)?\{/g;

/** The member names of a struct body in order, or null where one is not plain (`int a, *b;`, `int (*f)(int);`, `char c[4];`). */
function memberNames(body: string): string[] | null {
  const names: string[] = [];
  for (const decl of body.split(';')) {
    if (!decl.trim()) continue;
    const fn = /\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\(/.exec(decl);
    if (fn) {
      names.push(fn[1]);
      continue;
    }
    if (decl.includes('(')) return null;
    for (const part of decl.split(',')) {
      const name = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*(?::\s*\w+\s*)?$/.exec(part.trim());
      if (!name) return null;
      names.push(name[1]);
    }
  }
  return names;
}

const FIELD_CALL = /(?:->|\.)\s*([A-Za-z_]\w*)\s*\)?\s*\(/g;
/** Whether a text calls through a struct field (FIELD_CALL, without the global flag's state). */
const ANY_FIELD_CALL = /(?:->|\.)\s*[A-Za-z_]\w*\s*\)?\s*\(/;

/**
 * The fields a file the rules leave unparsed calls through (`ops->open(`, `(*ops->open)(`), where its text can
 * make code atomic (mayRunAtomic): a superset of its FileSummary.atomicFieldCalls, for the second pass.
 */
export function calledFieldsIn(text: string): string[] {
  // The field-call scan first: mayRunAtomic's long alternation of names costs more, and many files call through no field.
  if (!ANY_FIELD_CALL.test(text) || !mayRunAtomic(text)) return [];
  const out = new Set<string>();
  for (const m of text.matchAll(FIELD_CALL)) out.add(m[1]);
  return [...out];
}

/** A text test: the text calls through one of these fields. */
export function fieldCallTest(fields: readonly string[]): (text: string) => boolean {
  const re = new RegExp(`(?:->|\\.)\\s*(?:${fields.join('|')})\\s*\\)?\\s*\\(`);
  return (text) => re.test(text);
}

/** `x->open =`, `.open =`; and the GNU `open: foo,` (found from its colon: a regex starting at every identifier is slow). */
const FIELD_ASSIGN = /(?:->|\.)\s*([A-Za-z_]\w*)\s*=(?!=)/g;
const GNU_DESIGNATOR = /([A-Za-z_]\w*)\s*$/;
const GNU_VALUE = /:\s*&?\s*[A-Za-z_]\w*\s*[,}]/g;

/**
 * The fields some text may store a function in (`x->open = …`, `.open = …`, `open: foo`), by a text scan:
 * what the CLI did not parse of a file (FileSummary.unreadStores), so a call through such a field is not
 * taken to reach only the functions the parsed files store there.
 */
export function fieldStoresIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(FIELD_ASSIGN)) out.add(m[1]);
  for (const m of text.matchAll(GNU_VALUE)) {
    const field = GNU_DESIGNATOR.exec(text.slice(Math.max(0, m.index! - 64), m.index!));
    if (field) out.add(field[1]);
  }
  return [...out];
}

/**
 * The parse behind a summary that only has to be right about some function names (the CLI's pass 1b;
 * with `seedRanges`, about what those items add to a summary pass 1 made of the rest): the file's
 * top-level items that name one of them, then the items that name a function among those (its
 * callers, and where it is registered or stored), until nothing new is named, as functionsNaming
 * chooses functions. The top-level conditionals are kept too, so `#if 0` regions stay dead; other
 * directives (defines, includes) are not: a summary reads neither.
 *
 * The facts FileFacts builds from it with `summaryFor` are those it builds from the whole file: the
 * same functions, each parsed the same way, because an item starts where tree-sitter is at the top
 * level in both. A file that topLevelItems cannot cut is parsed whole.
 */
export function parseForSummary(parser: CParser, text: string, names: readonly string[], seedRanges?: readonly (readonly [number, number])[]): ParsedFile {
  const { parsedText, items } = cut(text);
  if (!items) return parser.parse(text);
  const chosen = items.map((item) => item.kind === 'conditional');
  const declarationOrFunction = (i: number) => items[i].kind === 'code' || items[i].kind === 'function';
  // With seedRanges (the items pass 1 left out), only those items start the closure: pass 1 summarized the rest.
  const seedStarts = seedRanges && new Set(seedRanges.map(([start]) => start));
  // Mentions are looked for in the user's text, as functionsNaming does.
  const seeds = itemsAt(items, mentionPositions(names)(text)).filter((i) => declarationOrFunction(i) && (!seedStarts || seedStarts.has(items[i].start)));
  for (const i of seeds) chosen[i] = true;
  // Up: the callers decide whether a chosen function runs atomically. In a file where nothing can make
  // code atomic, every call runs in process context whoever the callers are: the seeds are enough.
  if (mayRunAtomic(text))
    chooseNamers(
      text,
      items,
      chosen,
      seeds,
      (i) => (items[i].kind === 'function' ? definitionNameCandidates(parsedText, items[i]) : []),
      declarationOrFunction,
    );
  return parser.parseItems(
    text,
    parsedText,
    items.filter((_, i) => chosen[i]),
  );
}

/**
 * analyze() on a partial parse (parseForRules: the functions a finding can come from), for a tool that
 * reads whole trees. When a finding gets a simulated verdict, the functions its function calls are
 * parsed too (the simulator inlines them) and the file is analyzed again: a few files of a tree.
 * The findings are those of analyze() on the whole file. The caller disposes `parsed`.
 */
export function analyzeInPart(
  parser: CParser,
  text: string,
  path: string,
  tests: { seed: (itemText: string) => boolean; wholeFile?: (text: string) => boolean; ownContextOnly?: boolean; indirectCalls?: boolean },
  opts: AnalyzeOptions,
  envFor: (facts: Facts) => AnalysisEnv = () => ({}),
): { parsed: ParsedFile; deferred: [number, number][]; facts: Facts; findings: Finding[]; failures: RuleFailure[]; shared: SharedAnalyses } {
  let part = parseForRules(parser, text, tests.seed, tests.wholeFile, tests.ownContextOnly, tests.indirectCalls ?? true);
  let facts = new Facts(part.parsed, path);
  let result = analyze(facts, { ...opts, env: envFor(facts), simulate: false });
  if (opts.simulate !== false) {
    const simulated = [...new Set(result.findings.flatMap((f) => (f.simulate ? [facts.functions[f.simulate.fnIndex].span.start] : [])))];
    const again = simulated.length && part.withCallees ? part.withCallees(simulated) : null;
    if (again) {
      part.parsed.dispose();
      part = again;
      facts = new Facts(part.parsed, path);
      result = analyze(facts, { ...opts, env: envFor(facts) });
    } else result = { ...result, findings: addVerdicts(result.findings, result.shared) };
  }
  return { parsed: part.parsed, deferred: part.deferred, facts, ...result };
}
