/** Builds the IR of one function_definition node. Bounded recursion: pathological nesting degrades to `other`. */
import type { Node } from 'web-tree-sitter';
import { flatten, release } from '../parse/flat-tree';
import { spanOf, type Span } from '../text/span';
import type { CallEvent, Cond, Deref, Effects, Expr, FunctionFacts, Param, Stmt } from './ir';
import { declaratorName, functionDeclarator } from './syntax';

const MAX_DEPTH = 200;
/** Conditions kept per dereference (Deref.guards): the innermost few, each at most this long. */
const MAX_GUARDS = 4;
const MAX_GUARD_CHARS = 400;

function named(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
}

/**
 * A call's arguments: one per comma-separated group. tree-sitter's error recovery can leave an ERROR
 * beside an argument (`f(4,\0x, y)` → 4, ERROR, x, y); such an ERROR is skipped, so positions still
 * match the source (a NUL byte shifted mempool_create's arguments, and its fix, by one). An ERROR alone
 * in its group stands for that argument. An ERROR holding a name or a literal of its own is part of the argument
 * (`f(GFP_NOIO ~ __GFP_DMA, 1)`: ERROR `GFP_NOIO`, then `~__GFP_DMA`): the group is one argument whose value is not
 * known, spanning it all (a fix that rewrote `~__GFP_DMA` alone left `GFP_NOIO gfp`, and a second fix-all changed that).
 */
function callArgs(args: Node, depth: number): Expr[] {
  const named0 = named(args);
  if (!named0.some((c) => c.type === 'ERROR')) return named0.map((a) => toExpr(a, depth));
  const out: Expr[] = [];
  let group: Node[] = [];
  const flush = () => {
    const real = group.filter((c) => c.type !== 'ERROR');
    const garbled = real.length && group.some((c) => c.type === 'ERROR' && named(c).some((t) => t.type !== 'ERROR'));
    if (garbled)
      out.push({ k: 'other', text: group.map((c) => c.text).join(' '), span: { start: group[0].startIndex, end: group[group.length - 1].endIndex } });
    else if (real.length) out.push(...real.map((c) => toExpr(c, depth)));
    else if (group.length) out.push(toExpr(group[0], depth));
    group = [];
  };
  for (const c of args.children) {
    if (!c) continue;
    if (c.type === ',') flush();
    else if (c.isNamed && c.type !== 'comment') group.push(c);
  }
  flush();
  return out;
}

export function toExpr(node: Node, depth = 0): Expr {
  const span = spanOf(node);
  if (depth > MAX_DEPTH) return { k: 'other', text: '', span };
  const d = depth + 1;
  switch (node.type) {
    case 'identifier':
      return { k: 'id', name: node.text, span };
    case 'number_literal': {
      const v = Number.parseInt(node.text.replace(/[uUlL]+$/, ''), node.text.match(/^0[xX]/) ? 16 : node.text.match(/^0\d/) ? 8 : 10);
      return Number.isFinite(v) ? { k: 'num', value: v, span } : { k: 'other', text: node.text, span };
    }
    case 'parenthesized_expression': {
      const inner = named(node)[0];
      return inner ? toExpr(inner, d) : { k: 'other', text: node.text, span };
    }
    case 'cast_expression': {
      const v = node.childForFieldName('value');
      return v ? toExpr(v, d) : { k: 'other', text: node.text, span };
    }
    case 'binary_expression': {
      const l = node.childForFieldName('left');
      const r = node.childForFieldName('right');
      const op = node.childForFieldName('operator')?.text ?? '';
      if (l && r) return { k: 'bin', op, l: toExpr(l, d), r: toExpr(r, d), span };
      break;
    }
    case 'unary_expression': {
      const a = node.childForFieldName('argument');
      const op = node.childForFieldName('operator')?.text ?? '';
      if (a) return { k: 'un', op, e: toExpr(a, d), span };
      break;
    }
    case 'pointer_expression': {
      const a = node.childForFieldName('argument');
      const op = node.childForFieldName('operator')?.text ?? '';
      if (a) return op === '&' ? { k: 'addr', e: toExpr(a, d), span } : { k: 'un', op: '*', e: toExpr(a, d), span };
      break;
    }
    case 'conditional_expression': {
      const c = node.childForFieldName('condition');
      const t = node.childForFieldName('consequence');
      const f = node.childForFieldName('alternative');
      if (c && t && f) return { k: 'cond', c: toExpr(c, d), t: toExpr(t, d), f: toExpr(f, d), span };
      break;
    }
    case 'call_expression': {
      const fn = node.childForFieldName('function');
      const args = node.childForFieldName('arguments');
      if (fn) return { k: 'call', name: fn.type === 'identifier' ? fn.text : '', args: args ? callArgs(args, d) : [], span };
      break;
    }
    case 'assignment_expression': {
      const l = node.childForFieldName('left');
      const r = node.childForFieldName('right');
      if (l && r) return { k: 'assign', name: l.text, value: toExpr(r, d), span };
      break;
    }
    case 'field_expression': {
      const b = node.childForFieldName('argument');
      const f = node.childForFieldName('field');
      const op = node.childForFieldName('operator')?.text;
      if (b && f) return { k: 'field', base: toExpr(b, d), field: f.text, arrow: op === '->', span };
      break;
    }
  }
  return { k: 'other', text: node.text.length > 200 ? '' : node.text, span };
}

/** The struct field a call's function expression reads (`ops->open`, `(*ops->open)`, `(ops->open)`), or null. */
function calledField(fn: Node): Node | null {
  let n: Node | null = fn;
  for (let i = 0; n && i < 8; i++) {
    if (n.type === 'parenthesized_expression') n = named(n)[0] ?? null;
    else if (n.type === 'pointer_expression' && n.childForFieldName('operator')?.text === '*') n = n.childForFieldName('argument');
    else break;
  }
  return n?.type === 'field_expression' && n.childForFieldName('argument') && n.childForFieldName('field') ? n : null;
}

function compact(text: string): string {
  return text.replace(/\s+/g, '').slice(0, 200);
}

/** Strips casts and parentheses: `(void *)kmalloc(...)` is still the kmalloc call. */
function unwrap(node: Node | null): Node | null {
  let n = node;
  for (let i = 0; n && i < 32; i++) {
    if (n.type === 'cast_expression') n = n.childForFieldName('value');
    else if (n.type === 'parenthesized_expression') n = named(n)[0] ?? null;
    else break;
  }
  return n;
}

/** Declared type of a declarator: `struct foo *p` → "struct foo *". */
export function declaredType(declaration: Node, declarator: Node | null): string {
  const base = declaration.childForFieldName('type')?.text ?? '';
  let stars = '';
  for (let d = declarator; d && d.type !== 'identifier'; d = d.childForFieldName('declarator')) {
    if (d.type === 'pointer_declarator') stars += '*';
    else if (d.type === 'array_declarator') stars += '[]';
  }
  return (base + (stars ? ' ' + stars : '')).trim();
}

let currentLocals: { name: string; type: string; span: Span }[] | null = null;

/** The field or element an `&` takes the address of, through parentheses and `.` members: `&(p->a.b)` → `p->a`. */
function addressedAccess(node: Node): Node | null {
  let n = unwrapParens(node);
  for (let i = 0; n && i < 32 && n.type === 'field_expression' && n.childForFieldName('operator')?.text === '.'; i++)
    n = unwrapParens(n.childForFieldName('argument'));
  if (!n) return null;
  if (n.type === 'field_expression' && n.childForFieldName('operator')?.text === '->') return n;
  if (n.type === 'subscript_expression') return n;
  return null;
}

function unwrapParens(node: Node | null): Node | null {
  let n = node;
  for (let i = 0; n && i < 32 && n.type === 'parenthesized_expression'; i++) n = named(n)[0] ?? null;
  return n;
}

class EffectCollector implements Effects {
  calls: CallEvent[] = [];
  derefs: Deref[] = [];
  assigns: { name: string; value: Expr; span: Span }[] = [];
  indirect: CallEvent[] | undefined;
  /** Conditions the node being visited is evaluated under (ternary conditions, left sides of && and ||). */
  private guards: Node[] | null = null;
  /** Start offsets of the `p->f` / `p[i]` nodes an enclosing `&` takes the address of. */
  private addressed: Set<number> | null = null;

  /**
   * `withGuards` false: no Deref.guards (a condition of an if/loop/switch: it is a NULL test itself wherever
   * a guard inside it is one, and conditions are where `&&` chains are common).
   */
  constructor(private withGuards = true) {}

  private deref(base: Node, access: Node): void {
    const d: Deref = { name: base.text, span: spanOf(base) };
    if (this.addressed?.has(access.startIndex)) d.addressOnly = true;
    // A copy per dereference (shiftInPlace moves each span once, so no Expr is shared), of the innermost few
    // short conditions only: a 100k-term `p->a && p->b && …` must not copy its prefix per term.
    if (this.withGuards && this.guards?.length) {
      const short = this.guards.slice(-MAX_GUARDS).filter((g) => g.endIndex - g.startIndex <= MAX_GUARD_CHARS);
      if (short.length) d.guards = short.map((g) => toExpr(g));
    }
    this.derefs.push(d);
  }

  private visitGuarded(node: Node, guard: Node, depth: number): void {
    if (!this.withGuards) {
      this.visit(node, depth);
      return;
    }
    (this.guards ??= []).push(guard);
    try {
      this.visit(node, depth);
    } finally {
      this.guards.pop();
    }
  }

  visit(node: Node, depth = 0): void {
    // Iterative over siblings, recursive over depth with a bound: 20k nested parens must not blow the stack.
    if (depth > MAX_DEPTH) return;
    switch (node.type) {
      case 'call_expression': {
        const fn = node.childForFieldName('function');
        const args = node.childForFieldName('arguments');
        if (args) for (const a of named(args)) this.visit(a, depth + 1);
        if (fn && fn.type !== 'identifier') {
          this.visit(fn, depth + 1);
          const field = calledField(fn);
          if (field) {
            const base = field.childForFieldName('argument')!;
            const name = field.childForFieldName('field')!;
            (this.indirect ??= []).push({
              name: `${compact(base.text)}${field.childForFieldName('operator')?.text ?? '.'}${name.text}`,
              nameSpan: spanOf(name),
              span: spanOf(node),
              args: args ? callArgs(args, 0) : [],
              via: { base: compact(base.text), field: name.text },
            });
          }
        }
        if (fn && fn.type === 'identifier') {
          this.calls.push({
            name: fn.text,
            nameSpan: spanOf(fn),
            span: spanOf(node),
            args: args ? callArgs(args, 0) : [],
          });
        }
        return;
      }
      case 'assignment_expression': {
        const l = node.childForFieldName('left');
        const r = node.childForFieldName('right');
        if (r) this.visit(r, depth + 1);
        if (l) {
          if (l.type !== 'identifier') this.visit(l, depth + 1);
          if (r) this.noteAssign(l.text, r, spanOf(node));
        }
        return;
      }
      case 'declaration': {
        if (currentLocals)
          for (const d of named(node)) {
            if (d.type !== 'init_declarator' && d.type !== 'identifier' && d.type !== 'pointer_declarator' && d.type !== 'array_declarator') continue;
            const declarator = d.type === 'init_declarator' ? d.childForFieldName('declarator') : d;
            const name = declaratorName(declarator);
            if (name) currentLocals.push({ name: name.text, type: declaredType(node, declarator), span: spanOf(name) });
          }
        break;
      }
      case 'init_declarator': {
        const decl = node.childForFieldName('declarator');
        const value = node.childForFieldName('value');
        if (value) this.visit(value, depth + 1);
        const name = declaratorName(decl);
        if (name && value) this.noteAssign(name.text, value, spanOf(node));
        return;
      }
      case 'field_expression': {
        const base = node.childForFieldName('argument');
        const op = node.childForFieldName('operator')?.text;
        if (base && op === '->' && base.type === 'identifier') this.deref(base, node);
        break;
      }
      case 'pointer_expression': {
        const a = node.childForFieldName('argument');
        const op = node.childForFieldName('operator')?.text;
        if (a && op === '*' && a.type === 'identifier') this.deref(a, node);
        if (a && op === '&') {
          const access = addressedAccess(a);
          if (access) (this.addressed ??= new Set()).add(access.startIndex);
        }
        break;
      }
      case 'subscript_expression': {
        const a = node.childForFieldName('argument');
        if (a && a.type === 'identifier') this.deref(a, node);
        break;
      }
      case 'conditional_expression': {
        const c = node.childForFieldName('condition');
        const t = node.childForFieldName('consequence');
        const f = node.childForFieldName('alternative');
        if (c && t && f) {
          this.visit(c, depth + 1);
          this.visitGuarded(t, c, depth + 1);
          this.visitGuarded(f, c, depth + 1);
          return;
        }
        break;
      }
      case 'binary_expression': {
        const op = node.childForFieldName('operator')?.text;
        const l = node.childForFieldName('left');
        const r = node.childForFieldName('right');
        if ((op === '&&' || op === '||') && l && r) {
          this.visit(l, depth + 1);
          this.visitGuarded(r, l, depth + 1);
          return;
        }
        break;
      }
      case 'sizeof_expression':
      case 'alignof_expression':
      case 'offsetof_expression':
        return; // not evaluated at run time: no calls, no dereferences
      case 'comment':
      case 'string_literal':
      case 'char_literal':
      case 'number_literal':
        return;
    }
    for (const c of named(node)) this.visit(c, depth + 1);
  }

  private noteAssign(name: string, valueNode: Node, span: Span): void {
    const value = unwrap(valueNode);
    this.assigns.push({ name, value: toExpr(valueNode), span });
    if (value?.type === 'call_expression') {
      const callSpan = spanOf(value);
      const call = this.calls.find((c) => c.span.start === callSpan.start && c.span.end === callSpan.end);
      if (call) call.assignTo = name;
    }
  }
}

function effects(node: Node | null, withGuards = true): Effects {
  const c = new EffectCollector(withGuards);
  if (node) c.visit(node);
  // Calls through pointers are visited after their arguments' calls, as direct ones: in source order.
  return c.indirect
    ? { calls: c.calls, derefs: c.derefs, assigns: c.assigns, indirect: c.indirect.sort((a, b) => a.span.start - b.span.start) }
    : { calls: c.calls, derefs: c.derefs, assigns: c.assigns };
}

function cond(node: Node): Cond {
  const inner = node.type === 'parenthesized_expression' ? (named(node)[0] ?? node) : node;
  return { span: spanOf(inner), expr: toExpr(inner), ...effects(inner, false) };
}

function stmt(node: Node, depth: number): Stmt {
  const span = spanOf(node);
  if (depth > MAX_DEPTH) return { k: 'block', span, body: [] };
  const d = depth + 1;
  switch (node.type) {
    case 'compound_statement':
    case 'translation_unit':
    case 'ERROR':
      return { k: 'block', span, body: named(node).map((c) => stmt(c, d)) };
    case 'preproc_if':
    case 'preproc_ifdef':
    case 'preproc_else':
    case 'preproc_elif':
    case 'preproc_elifdef': {
      // Statements under conditional compilation are analyzed as straight-line code, except `#if 0`.
      const body: Stmt[] = [];
      const condNode = node.childForFieldName('condition');
      const dead = (node.type === 'preproc_if' || node.type === 'preproc_elif') && condNode?.text.trim() === '0';
      for (const c of named(node)) {
        if (c.type === 'identifier' || (condNode && c.id === condNode.id)) continue;
        if (dead && c.type !== 'preproc_else' && c.type !== 'preproc_elif') continue;
        body.push(stmt(c, d));
      }
      return { k: 'block', span, body };
    }
    case 'if_statement': {
      const c = node.childForFieldName('condition');
      const t = node.childForFieldName('consequence');
      const e = node.childForFieldName('alternative');
      const elseBody = e ? (named(e)[0] ?? null) : null;
      return {
        k: 'if',
        span,
        cond: c ? cond(c) : { span: { ...span }, expr: { k: 'other', text: '', span: { ...span } }, calls: [], derefs: [], assigns: [] },
        then: t ? stmt(t, d) : { k: 'block', span: { ...span }, body: [] },
        else: elseBody ? stmt(elseBody, d) : null,
      };
    }
    case 'while_statement':
    case 'do_statement': {
      const c = node.childForFieldName('condition');
      const b = node.childForFieldName('body');
      return {
        k: 'loop',
        span,
        kind: node.type === 'do_statement' ? 'do' : 'while',
        init: null,
        cond: c ? cond(c) : null,
        update: null,
        body: b ? stmt(b, d) : { k: 'block', span: { ...span }, body: [] },
      };
    }
    case 'for_statement': {
      const init = node.childForFieldName('initializer');
      const c = node.childForFieldName('condition');
      const u = node.childForFieldName('update');
      const b = node.childForFieldName('body');
      return {
        k: 'loop',
        span,
        kind: 'for',
        init: init ? { k: 'expr', span: spanOf(init), ...effects(init) } : null,
        cond: c ? cond(c) : null,
        update: u ? { k: 'expr', span: spanOf(u), ...effects(u) } : null,
        body: b ? stmt(b, d) : { k: 'block', span: { ...span }, body: [] },
      };
    }
    case 'switch_statement': {
      const c = node.childForFieldName('condition');
      const b = node.childForFieldName('body');
      const cases: Stmt[] = b
        ? named(b).map((cs) =>
            cs.type === 'case_statement'
              ? {
                  k: 'block' as const,
                  span: spanOf(cs),
                  body: named(cs)
                    .filter((x) => x.id !== cs.childForFieldName('value')?.id)
                    .map((x) => stmt(x, d)),
                }
              : stmt(cs, d),
          )
        : [];
      return {
        k: 'switch',
        span,
        cond: c ? cond(c) : { span: { ...span }, expr: { k: 'other', text: '', span: { ...span } }, calls: [], derefs: [], assigns: [] },
        cases,
      };
    }
    case 'return_statement':
      return { k: 'return', span, ...effects(node) };
    case 'goto_statement':
      return { k: 'goto', span, label: node.childForFieldName('label')?.text ?? '' };
    case 'labeled_statement': {
      const label = node.childForFieldName('label')?.text ?? '';
      const inner = named(node).filter((c) => c.type !== 'statement_identifier');
      return { k: 'block', span, body: [{ k: 'label', span: { ...span }, name: label }, ...inner.map((c) => stmt(c, d))] };
    }
    case 'break_statement':
      return { k: 'break', span };
    case 'continue_statement':
      return { k: 'continue', span };
    default:
      return { k: 'expr', span, ...effects(node) };
  }
}

function paramsOf(fdecl: Node | null): Param[] {
  const list = fdecl?.childForFieldName('parameters');
  if (!list) return [];
  const out: Param[] = [];
  for (const p of named(list)) {
    if (p.type !== 'parameter_declaration') continue;
    const decl = p.childForFieldName('declarator');
    const name = declaratorName(decl);
    const type = p.childForFieldName('type')?.text ?? '';
    const ptr = decl ? decl.text.replace(name?.text ?? '', '').replace(/\s+/g, '') : '';
    out.push({ name: name?.text ?? '', type: (type + ' ' + ptr).trim(), span: spanOf(p) });
  }
  return out;
}

/**
 * The IR of a function_definition. With `parsedText` (the text the tree was parsed from) the subtree
 * is first copied out of the WebAssembly heap in one walk (core/parse/flat-tree.ts), which makes this
 * several times faster; the IR is the same.
 */
export function buildFunction(definition: Node, parsedText?: string): FunctionFacts | null {
  const flat = parsedText === undefined ? null : flatten(definition, parsedText);
  try {
    return buildFrom(flat ? (flat.node(0) as unknown as Node) : definition);
  } finally {
    // The IR holds spans and strings only, never a node: the copy's arrays go to the next function.
    if (flat) release(flat);
  }
}

/** The name buildFunction gives a function_definition, read from its declarator alone (no walk of the body). */
export function definitionName(definition: Node): string | null {
  const decl = definition.childForFieldName('declarator');
  return declaratorName(functionDeclarator(decl) ?? decl)?.text ?? null;
}

/** buildFunction's work, on a node or a FlatNode (it has the members of Node that the builder reads). */
function buildFrom(node: Node): FunctionFacts | null {
  const decl = node.childForFieldName('declarator');
  const fdecl = functionDeclarator(decl);
  const nameNode = declaratorName(fdecl ?? decl);
  const body = node.childForFieldName('body');
  if (!nameNode || !body) return null;
  const storage = named(node)
    .filter((c) => c.type === 'storage_class_specifier')
    .map((c) => c.text);
  const locals: { name: string; type: string; span: Span }[] = [];
  currentLocals = locals;
  let bodyIr: Stmt;
  try {
    bodyIr = stmt(body, 0);
  } finally {
    currentLocals = null;
  }
  const typeNode = node.childForFieldName('type');
  const pointer = decl && decl.type === 'pointer_declarator' ? ' *' : '';
  return {
    name: nameNode.text,
    nameSpan: spanOf(nameNode),
    span: spanOf(node),
    isStatic: storage.includes('static'),
    returnType: (typeNode?.text ?? '') + pointer,
    params: paramsOf(fdecl),
    locals,
    body: bodyIr,
  };
}

/**
 * A function tree-sitter's error recovery broke up (an `#ifdef` that opens a brace in each branch, a
 * statement macro): inside an ERROR node, its head (type, declarator with parameters) and then the
 * statements of its body as siblings, up to the next function. Read as a function whose body is those
 * statements in order, so calls to it and from it are still followed.
 */
/** Node types that are a whole statement of a body (anything else in a recovered body is a broken piece). */
const WHOLE_STATEMENT =
  /^(declaration|expression_statement|if_statement|for_statement|while_statement|do_statement|switch_statement|return_statement|compound_statement|labeled_statement|goto_statement|break_statement|continue_statement|comment|preproc_(if|ifdef|call|def|function_def))$/;

/** The IR of a RecoveredFunction: its statements in order, as one block; marked `recovered`. */
export function buildRecovered(rec: RecoveredFunction): FunctionFacts | null {
  const fdecl = functionDeclarator(rec.declarator);
  const nameNode = declaratorName(fdecl);
  if (!nameNode) return null;
  const last = rec.parts[rec.parts.length - 1];
  const start = (rec.specifiers[0] ?? rec.declarator).startIndex;
  const locals: { name: string; type: string; span: Span }[] = [];
  currentLocals = locals;
  let body: Stmt[];
  try {
    body = rec.parts.map((p) => stmt(p, 1));
  } finally {
    currentLocals = null;
  }
  const types = rec.specifiers.filter((c) => c.type !== 'storage_class_specifier').map((c) => c.text);
  return {
    name: nameNode.text,
    nameSpan: spanOf(nameNode),
    span: { start, end: last.endIndex },
    isStatic: rec.specifiers.some((c) => c.type === 'storage_class_specifier' && c.text === 'static'),
    returnType: types.join(' ') + (rec.declarator.type === 'pointer_declarator' ? ' *' : ''),
    params: paramsOf(fdecl),
    locals,
    body: { k: 'block', span: { start: rec.declarator.endIndex, end: last.endIndex }, body },
    recovered: { intactUntil: rec.parts.find((p) => !WHOLE_STATEMENT.test(p.type))?.startIndex ?? last.endIndex },
  };
}

export interface RecoveredFunction {
  /** Storage class and type nodes before the declarator. */
  specifiers: Node[];
  declarator: Node;
  /** The body's statements as the recovery left them. */
  parts: Node[];
}

const SPECIFIER_TYPES = new Set([
  'storage_class_specifier',
  'primitive_type',
  'type_identifier',
  'sized_type_specifier',
  'struct_specifier',
  'union_specifier',
  'enum_specifier',
  'type_qualifier',
]);

/**
 * A broken-up function of 2.4.22 has tens of top-level statements in a few KiB; a run of thousands of
 * statements after a head is a damaged file (a 1 MB line of calls), which is left unread as before.
 */
const MAX_RECOVERED_PARTS = 1000;
const MAX_RECOVERED_CHARS = 64 * 1024;

/** The functions broken up inside one ERROR node's children (see RecoveredFunction). */
function recoveredIn(children: (Node | null)[]): RecoveredFunction[] {
  const out: RecoveredFunction[] = [];
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (!c || (c.type !== 'function_declarator' && c.type !== 'pointer_declarator') || !functionDeclarator(c)) continue;
    let first = i;
    while (first > 0 && children[first - 1] && SPECIFIER_TYPES.has(children[first - 1]!.type)) first--;
    // A declarator with no type before it is an expression's call, not a function's head.
    if (first === i) continue;
    const parts: Node[] = [];
    let j = i + 1;
    for (; j < children.length; j++) {
      const d = children[j];
      if (!d) continue;
      if (d.type === 'function_definition' || d.type === 'function_declarator' || d.type === 'pointer_declarator' || SPECIFIER_TYPES.has(d.type)) break;
      // A stray `}` is the recovery's; an ERROR with content may hold the next function.
      if (d.type === 'ERROR') {
        if (d.namedChildCount > 0) break;
        continue;
      }
      if (d.type === 'comment') continue;
      parts.push(d);
    }
    const size = parts.length ? parts[parts.length - 1].endIndex - c.startIndex : 0;
    if (parts.length && parts.length <= MAX_RECOVERED_PARTS && size <= MAX_RECOVERED_CHARS)
      out.push({ specifiers: children.slice(first, i) as Node[], declarator: c, parts });
    i = j - 1;
  }
  return out;
}

export interface TopLevel {
  /** Functions tree-sitter's recovery broke up inside ERROR nodes. */
  recovered: RecoveredFunction[];
  functions: Node[];
  includes: Node[];
  defines: Node[];
  declarations: Node[];
  /** File-level struct definitions and typedefs (`struct x { … };`, `typedef struct { … } x_t;`). */
  types: Node[];
}

/** One walk over file-level nodes, also under #ifdef and inside ERROR recovery; `#if 0` bodies are skipped. */
export function scanTopLevel(root: Node): TopLevel {
  const out: TopLevel = { recovered: [], functions: [], includes: [], defines: [], declarations: [], types: [] };
  const stack: Node[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    switch (n.type) {
      case 'function_definition':
        out.functions.push(n);
        continue;
      case 'preproc_include':
        out.includes.push(n);
        continue;
      case 'preproc_def':
      case 'preproc_function_def':
        out.defines.push(n);
        continue;
      case 'declaration':
        out.declarations.push(n);
        continue;
      case 'struct_specifier':
      case 'type_definition':
        out.types.push(n);
        continue;
    }
    if (
      n.type === 'translation_unit' ||
      n.type === 'ERROR' ||
      n.type.startsWith('preproc_') ||
      n.type === 'linkage_specification' ||
      n.type === 'declaration_list'
    ) {
      const condition = n.childForFieldName('condition');
      const dead = (n.type === 'preproc_if' || n.type === 'preproc_elif') && condition?.text.trim() === '0';
      // namedChildren is one linear call; namedChild(i) is O(i) in tree-sitter, so indexing each child
      // was quadratic on an ERROR node with 100k children (a 1 MB line of calls: 98 s).
      const children = n.namedChildren;
      if (n.type === 'ERROR') out.recovered.push(...recoveredIn(children));
      for (let i = children.length - 1; i >= 0; i--) {
        const c = children[i];
        if (!c) continue;
        if (dead && c.type !== 'preproc_else' && c.type !== 'preproc_elif') continue;
        stack.push(c);
      }
    }
  }
  const byStart = (a: Node, b: Node) => a.startIndex - b.startIndex;
  out.functions.sort(byStart);
  out.includes.sort(byStart);
  out.defines.sort(byStart);
  out.declarations.sort(byStart);
  return out;
}
