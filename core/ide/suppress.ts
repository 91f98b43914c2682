/** "Suppress": the `kport-ignore <rule>` comment analyze() honours (it covers its own line and the next). */
import type { Finding, TextEdit } from '../rules/types';
import type { LineIndex } from '../text/line-index';

/**
 * A line of its own above the finding's first line, indented as that line: `/* kport-ignore <rule> *\/`. Inside a
 * macro body (the line above ends in a backslash) the new line continues the macro too.
 */
export function suppressionEdit(text: string, lines: LineIndex, f: Finding): TextEdit {
  const line = lines.positionAt(f.span.start).line;
  const start = lines.offsetAt({ line, character: 0 });
  const indent = /^[ \t]*/.exec(text.slice(start, start + 256))![0];
  const above = line > 0 ? text.slice(lines.offsetAt({ line: line - 1, character: 0 }), start) : '';
  const eol = above.endsWith('\r\n') ? '\r\n' : '\n';
  const continued = /\\\r?\n$/.test(above);
  return { start, end: start, newText: `${indent}/* kport-ignore ${f.rule} */${continued ? ' \\' : ''}${eol}` };
}
