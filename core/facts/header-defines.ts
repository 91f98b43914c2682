/** #defines and #includes of a header, by a line scan (headers are read for macros and includes only, never parsed). */
export interface ScannedDefine {
  name: string;
  value: string;
  /** Offset of the name in the header's text. */
  start: number;
}

/** Continuation lines joined and comments blanked, offsets kept. */
function directiveText(text: string): string {
  return text.replace(/\\\r?\n/g, (m) => ' '.repeat(m.length)).replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '));
}

export function scanDefines(text: string): Map<string, ScannedDefine> {
  const out = new Map<string, ScannedDefine>();
  const joined = text.replace(/\\\r?\n/g, (m) => ' '.repeat(m.length)); // continuation lines, offsets kept
  const re = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?![\w(])[ \t]*(.*)$/gm;
  for (const m of joined.matchAll(re)) {
    const value = m[2].replace(/\/\*.*?\*\/|\/\/.*$/g, ' ').trim();
    out.set(m[1], { name: m[1], value, start: m.index! + m[0].indexOf(m[1]) });
  }
  return out;
}

export interface ScannedMacro {
  name: string;
  params: string[];
  body: string;
}

/** Function-like #defines (`#define try(A) if ((A) == 0) goto fail;`), the last definition of a name kept. */
export function scanMacros(text: string): Map<string, ScannedMacro> {
  const out = new Map<string, ScannedMacro>();
  const re = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^)]*)\)[ \t]*(.*)$/gm;
  for (const m of directiveText(text).matchAll(re)) {
    const params = m[2].split(',').map((p) => p.trim());
    if (params.some((p) => !/^[A-Za-z_]\w*$/.test(p))) continue; // variadic or malformed: not expanded
    out.set(m[1], { name: m[1], params, body: m[3].replace(/\/\/.*$/, '').trim() });
  }
  return out;
}

/** A header's `#include` lines, in order (conditional ones too: a header is read, not preprocessed). */
export function scanIncludes(text: string): { path: string; system: boolean }[] {
  const out: { path: string; system: boolean }[] = [];
  for (const m of directiveText(text).matchAll(/^[ \t]*#[ \t]*include[ \t]*(?:<([^>\n]+)>|"([^"\n]+)")/gm)) {
    out.push(m[1] !== undefined ? { path: m[1].trim(), system: true } : { path: m[2].trim(), system: false });
  }
  return out;
}
