/**
 * bench/editor.ts's edits on one file, as offsets (for the in-process benches): a typing burst at the start of a
 * statement in the middle of the file, the burst deleted as one selection, a new line with an allocation and
 * its deletion. Each yields the range and text of one change.
 */
export function* benchEdits(text: string, count: number): Generator<{ start: number; end: number; newText: string }> {
  const lines = text.split('\n');
  let at = Math.floor(lines.length / 2);
  while (at < lines.length - 1 && !/^\s+.*;\s*$/.test(lines[at])) at++;
  const lineStart = lines.slice(0, at).reduce((n, x) => n + x.length + 1, 0);
  const col = lines[at].length - lines[at].trimStart().length;
  const typed = 'xyz_counter++ ';
  for (let i = 0; i < count; i++) {
    const kind = i % 20;
    if (kind < 14) {
      const off = lineStart + col + (kind % typed.length);
      yield { start: off, end: off, newText: typed[kind % typed.length] };
      if (kind === 13) yield { start: lineStart + col, end: lineStart + col + 14, newText: '' };
    } else if (kind === 14) {
      const ins = '\tp_bench = kmalloc(64, GFP_KERNEL);\n';
      yield { start: lineStart, end: lineStart, newText: ins };
      yield { start: lineStart, end: lineStart + ins.length, newText: '' };
    }
  }
}
