/** Object-like #defines of a header, by a line scan (headers are read for macros only, never parsed). */
export interface ScannedDefine {
  name: string;
  value: string;
  /** Offset of the name in the header's text. */
  start: number;
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
