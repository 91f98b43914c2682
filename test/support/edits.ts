/** LSP text edits applied to a text, as an editor applies them (last first). */
import type { TextEdit } from 'vscode-languageserver-protocol';
import { LineIndex } from '../../core';

export function applyLspEdits(text: string, edits: TextEdit[]): string {
  const lines = new LineIndex(text);
  const abs = edits
    .map((e) => ({ start: lines.offsetAt(e.range.start), end: lines.offsetAt(e.range.end), newText: e.newText }))
    .sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of abs) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}
