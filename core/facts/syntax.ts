/** Small helpers over tree-sitter nodes, shared by the fact extractors. */
import type { Node } from 'web-tree-sitter';

const NON_CODE = new Set([
  'comment',
  'string_literal',
  'string_content',
  'char_literal',
  'escape_sequence',
  'system_lib_string',
  'raw_string_literal',
  'concatenated_string',
]);

/** The keywords of C (C11): no C function can be named by one. */
export const C_KEYWORDS: ReadonlySet<string> = new Set(
  'auto break case char const continue default do double else enum extern float for goto if inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while _Bool _Complex _Imaginary _Atomic _Noreturn _Thread_local _Alignas _Alignof _Generic _Static_assert'.split(
    ' ',
  ),
);

export function isNonCode(node: Node): boolean {
  return NON_CODE.has(node.type);
}

/** True inside the live branch of `#if 0` (its `#else`/`#elif` branch stays live). */
export function inDisabledBlock(node: Node): boolean {
  let child: Node = node;
  for (let p = node.parent; p; child = p, p = p.parent) {
    if (p.type !== 'preproc_if' && p.type !== 'preproc_elif') continue;
    const cond = p.childForFieldName('condition');
    if (!cond || cond.text.trim() !== '0') continue;
    const alt = p.childForFieldName('alternative');
    if (cond.id === child.id) continue;
    if (!alt || alt.id !== child.id) return true;
  }
  return false;
}

/** The identifier a declarator declares (`*foo`, `foo[3]`, `(*foo)(int)`, `foo(void)`). */
export function declaratorName(decl: Node | null): Node | null {
  let d = decl;
  for (let guard = 0; d && guard < 64; guard++) {
    if (d.type === 'identifier' || d.type === 'field_identifier' || d.type === 'type_identifier') return d;
    const inner = d.childForFieldName('declarator');
    if (inner) {
      d = inner;
      continue;
    }
    // parenthesized_declarator has no field: its one named child is the declarator.
    d = d.namedChildren.find((c) => c !== null && c.type !== 'attribute_specifier' && c.type !== 'ms_call_modifier') ?? null;
  }
  return null;
}

/** The function_declarator inside a function definition's declarator chain. */
export function functionDeclarator(decl: Node | null): Node | null {
  let d = decl;
  for (let guard = 0; d && guard < 64; guard++) {
    if (d.type === 'function_declarator') return d;
    d = d.childForFieldName('declarator') ?? d.namedChildren.find((c) => c !== null) ?? null;
  }
  return null;
}
