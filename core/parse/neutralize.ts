/**
 * Kernel C is full of annotation macros (`__init`, `__user`, `__attribute__((...))`) and braceless
 * iteration macros (`list_for_each(p, head) stmt;`) that tree-sitter-c cannot know. We blank them
 * before parsing, with the same number of characters, so every offset in the tree is an offset in
 * the user's text. The lists are data (kernel-annotations.json), not code.
 */
import annotations from './kernel-annotations.json';

export interface AnnotationTable {
  words: string[];
  withArgs: string[];
  loopMacros: string[];
  loopMacroPrefixes: string[];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface CompiledTable {
  words: RegExp;
  withArgs: RegExp;
  loops: RegExp;
  quick: RegExp;
}

function compile(table: AnnotationTable): CompiledTable {
  const words = [...table.words].sort((a, b) => b.length - a.length).map(escape);
  const withArgs = [...table.withArgs].sort((a, b) => b.length - a.length).map(escape);
  const loopAlternatives = [
    ...table.loopMacros.map(escape),
    ...table.loopMacroPrefixes.map((p) => escape(p) + '\\w*'),
  ].sort((a, b) => b.length - a.length);
  return {
    words: new RegExp(`\\b(?:${words.join('|')})\\b`, 'g'),
    withArgs: new RegExp(`\\b(?:${withArgs.join('|')})\\s*\\(`, 'g'),
    loops: new RegExp(`^[ \\t]*((?:${loopAlternatives.join('|')}))[ \\t]*\\(`, 'gm'),
    // Cheap pre-check so files without any annotation skip the work.
    quick: /__|asmlinkage|fastcall|FASTCALL|noinline|notrace|for_each/,
  };
}

const defaultTable = compile(annotations as AnnotationTable);

/** Index just past the `)` matching the `(` at `open`, or -1 when unbalanced (truncated files). */
export function matchParen(text: string, open: number, limit = 20000): number {
  let depth = 0;
  const end = Math.min(text.length, open + limit);
  for (let i = open; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function isMacroDefinitionName(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  const lineStart = text.lastIndexOf('\n', i) + 1;
  return /^\s*#\s*(?:define|undef|ifdef|ifndef)\s*$/.test(text.slice(lineStart, i + 1)) || /defined\s*\(?\s*$/.test(text.slice(lineStart, at));
}

interface Replacement {
  start: number;
  end: number;
  text?: string;
}

export interface NeutralizeResult {
  text: string;
  replacements: number;
}

export function neutralize(source: string, table: CompiledTable = defaultTable): NeutralizeResult {
  if (!table.quick.test(source)) return { text: source, replacements: 0 };
  const reps: Replacement[] = [];
  for (const m of source.matchAll(table.withArgs)) {
    const start = m.index!;
    if (isMacroDefinitionName(source, start)) continue;
    const open = start + m[0].length - 1;
    const close = matchParen(source, open);
    if (close > 0) reps.push({ start, end: close });
  }
  for (const m of source.matchAll(table.words)) {
    const start = m.index!;
    if (isMacroDefinitionName(source, start)) continue;
    reps.push({ start, end: start + m[0].length });
  }
  for (const m of source.matchAll(table.loops)) {
    const name = m[1];
    const nameStart = m.index! + m[0].indexOf(name);
    const open = m.index! + m[0].length - 1;
    const close = matchParen(source, open);
    if (close < 0) continue;
    let j = close;
    while (j < source.length && /\s/.test(source[j])) j++;
    // `list_for_each(p, h);` as an expression statement is a call, not a loop header.
    if (source[j] === ';' || isMacroDefinitionName(source, nameStart)) continue;
    reps.push({ start: nameStart, end: nameStart + name.length, text: 'while' + ' '.repeat(name.length - 5) });
  }
  if (reps.length === 0) return { text: source, replacements: 0 };
  reps.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let pos = 0;
  let count = 0;
  for (const r of reps) {
    if (r.start < pos) continue; // nested in a range already blanked
    out += source.slice(pos, r.start);
    const original = source.slice(r.start, r.end);
    out += r.text ?? original.replace(/[^\r\n]/g, ' ');
    pos = r.end;
    count++;
  }
  out += source.slice(pos);
  return { text: out, replacements: count };
}
