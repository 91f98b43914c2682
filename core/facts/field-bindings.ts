/**
 * Functions stored in struct fields: the targets a call through a pointer (`ops->open(dev)`) can reach.
 * Read from file-level initializers (`.open = foo_open`, the GNU `open: foo_open`, positional `{ foo_open, … }`
 * where the struct's field order is known) and from assignments in functions (`dev->open = foo_open;`).
 */
import type { Node } from 'web-tree-sitter';
import { spanOf, type Span } from '../text/span';
import { assignmentsOf, functionNameOf, type FunctionFacts } from './ir';
import { declaratorName } from './syntax';

export interface FieldBinding {
  /** The struct type the field belongs to (`struct file_operations`, or a typedef's name), or null where unknown. */
  type: string | null;
  /** The field; null for a positional initializer of a struct this file does not define (see `index`). */
  field: string | null;
  /** Position in a positional initializer. */
  index?: number;
  /** The name stored (a function, as far as a file can tell). */
  target: string;
  span: Span;
  form: 'designated' | 'gnu' | 'positional' | 'assignment';
}

const BUILTIN_TYPES = new Set(['void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool']);

/** A declared type as a key of struct types: `const struct foo_ops *` → `struct foo_ops`; null for built-in types. */
export function structTypeKey(type: string): string | null {
  const t = type
    .replace(/\b(?:const|volatile|static|extern|register|restrict)\b|[*[\]]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (/^(?:struct|union) [A-Za-z_]\w*$/.test(t)) return t;
  if (/^[A-Za-z_]\w*$/.test(t) && !BUILTIN_TYPES.has(t)) return t;
  return null;
}

/**
 * The fields of a struct definition in declaration order, or null where a position cannot be trusted: an
 * anonymous member or a `#if` inside the body (the order then depends on the configuration).
 */
export function structFieldOrder(spec: Node): string[] | null {
  const body = spec.childForFieldName('body');
  if (!body) return null;
  const fields: string[] = [];
  for (const member of body.namedChildren) {
    if (!member || member.type === 'comment') continue;
    if (member.type !== 'field_declaration') return null;
    const declarators = member.childrenForFieldName('declarator').filter((d) => d !== null);
    if (!declarators.length) return null;
    for (const d of declarators) {
      const name = declaratorName(d);
      if (!name) return null;
      fields.push(name.text);
    }
  }
  return fields;
}

/**
 * How many nodes and functions this process has read for field bindings and struct orders: a test shows that
 * with may-sleep-in-atomic-indirect off (AnalysisEnv.indirectCalls) none is read.
 */
export const bindingReads = { structs: 0, initializers: 0, assignments: 0 };

/** The struct definitions a top-level node holds, by type key (`struct x { … }`, `typedef struct x { … } x_t;`). */
export function structDefinitions(node: Node, out: Map<string, string[]>): void {
  bindingReads.structs++;
  const spec = node.type === 'struct_specifier' ? node : node.childForFieldName('type');
  if (spec?.type !== 'struct_specifier' || !spec.childForFieldName('body')) return;
  const fields = structFieldOrder(spec);
  if (!fields) return;
  const tag = spec.childForFieldName('name');
  if (tag) out.set(`struct ${tag.text}`, fields);
  if (node.type === 'type_definition')
    for (const d of node.childrenForFieldName('declarator')) {
      // `typedef struct x { … } x_t;` names the type; `typedef struct x *x_p;` a pointer to it.
      if (d?.type === 'type_identifier') out.set(d.text, fields);
    }
}

/** Where an identifier can start (not inside a number such as `0x1f` or `1e3`). */
const NAME_START = /(?<![\w.])[A-Za-z_]/;

function storedFunction(value: Node): Node | null {
  let v: Node | null = value;
  if (v.type === 'pointer_expression' && v.childForFieldName('operator')?.text === '&') v = v.childForFieldName('argument');
  return v?.type === 'identifier' && v.text !== 'NULL' ? v : null;
}

/** The bindings of one file-level declaration's initializers (`static struct foo_ops x = { … }`, arrays of them). */
export function initializerBindings(decl: Node, fieldsOf: (type: string) => string[] | undefined, out: FieldBinding[]): void {
  bindingReads.initializers++;
  const typeNode = decl.childForFieldName('type');
  const type = typeNode && structTypeKey(typeNode.type === 'struct_specifier' ? `struct ${typeNode.childForFieldName('name')?.text ?? ''}` : typeNode.text);
  if (!type) return;
  for (const init of decl.namedChildren) {
    if (init?.type !== 'init_declarator') continue;
    const value = init.childForFieldName('value');
    if (value?.type !== 'initializer_list') continue;
    // A table of numbers (firmware, register values: thousands of items) stores no function: not walked.
    if (!NAME_START.test(value.text)) continue;
    let d = init.childForFieldName('declarator');
    while (d?.type === 'pointer_declarator') d = d.childForFieldName('declarator');
    if (d?.type === 'array_declarator') {
      for (const element of value.namedChildren) if (element?.type === 'initializer_list') structBindings(element, type, fieldsOf(type), out);
    } else if (d?.type === 'identifier') structBindings(value, type, fieldsOf(type), out);
  }
}

function structBindings(list: Node, type: string, fields: string[] | undefined, out: FieldBinding[]): void {
  // The position the next positional item fills (C: after a designated member, its successor); NaN once unknown.
  let at = 0;
  for (const item of list.namedChildren) {
    if (!item || item.type === 'comment') continue;
    if (item.type === 'initializer_pair') {
      const designators = item.childrenForFieldName('designator').filter((x) => x !== null);
      const value = item.childForFieldName('value');
      const d = designators.length === 1 ? designators[0] : null;
      const field = d?.type === 'field_identifier' ? d.text : d?.type === 'field_designator' ? (d.namedChildren[0]?.text ?? null) : null;
      const target = value && field ? storedFunction(value) : null;
      if (field && target) out.push({ type, field, target: target.text, span: spanOf(target), form: d!.type === 'field_identifier' ? 'gnu' : 'designated' });
      at = field && fields ? fields.indexOf(field) + 1 || Number.NaN : Number.NaN;
      continue;
    }
    if (item.type.startsWith('preproc')) {
      at = Number.NaN;
      continue;
    }
    const target = storedFunction(item);
    if (target && !Number.isNaN(at))
      out.push(
        fields
          ? { type, field: fields[at] ?? null, target: target.text, span: spanOf(target), form: 'positional' }
          : { type, field: null, index: at, target: target.text, span: spanOf(target), form: 'positional' },
      );
    at++;
  }
}

/** Prefix of a stored target that is a variable (`dev->open = open_fn;` with open_fn a parameter): its value is unknown. */
export const UNKNOWN_TARGET = 'variable ';

const FIELD_LVALUE = /^([\s\S]*?)\s*(?:->|\.)\s*([A-Za-z_]\w*)\s*$/;

/** `dev->hard_start_xmit = foo_xmit;`, `ops.open = &foo_open;` in a function. */
export function assignmentBindings(fn: FunctionFacts, globalTypes: ReadonlyMap<string, string>, out: FieldBinding[]): void {
  bindingReads.assignments++;
  for (const a of assignmentsOf(fn)) {
    const target = functionNameOf(a.value);
    if (!target || target === 'NULL' || a.value.k === 'other') continue;
    const m = FIELD_LVALUE.exec(a.name);
    if (!m) continue;
    const base = m[1].trim();
    const declared = /^[A-Za-z_]\w*$/.test(base)
      ? (fn.locals.find((l) => l.name === base)?.type ?? fn.params.find((p) => p.name === base)?.type ?? globalTypes.get(base))
      : undefined;
    const span = a.value.k === 'addr' ? a.value.e.span : a.value.span;
    // A local or a parameter is a variable, not a function: an unknown target (UNKNOWN_TARGET), which no call through the field can be said to sleep in.
    const variable = fn.locals.some((l) => l.name === target) || fn.params.some((p) => p.name === target);
    out.push({
      type: declared ? structTypeKey(declared) : null,
      field: m[2],
      target: variable ? `${UNKNOWN_TARGET}${target}` : target,
      span: { start: span.start, end: span.end },
      form: 'assignment',
    });
  }
}
