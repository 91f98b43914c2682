/** 1-based line of an offset, for messages ("at line 42"). */
export function lineOfOffset(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Whether only blanks are between the line's start and `at`: what `^[ \t]*` matches in a multiline pattern. The
 * directive scans (`#define`) search from each `#` and check this, rather than try a multiline `^` at every offset.
 */
export function atLineStart(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i--;
  return i < 0 || LINE_TERMINATOR.test(text[i]);
}

/** What ends a line for a multiline `^`. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/** Offset of the first character of the line holding `offset`. */
export function lineStartOf(text: string, offset: number): number {
  // lastIndexOf reads a negative start as 0: a text's first line would start after a `\n` at offset 0.
  return offset > 0 ? text.lastIndexOf('\n', offset - 1) + 1 : 0;
}

/** Offset of the end of the line holding `offset` (its `\n`, or the text's end). */
export function lineEndOf(text: string, offset: number): number {
  const e = text.indexOf('\n', offset);
  return e === -1 ? text.length : e;
}

/** The blanks a line starts with (for code a fix inserts on its own line). */
export function indentAt(text: string, offset: number): string {
  const start = lineStartOf(text, offset);
  let end = start;
  while (end < text.length && (text[end] === ' ' || text[end] === '\t')) end++;
  return text.slice(start, end);
}
