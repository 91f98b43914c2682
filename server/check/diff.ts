/**
 * Unified diff (`diff -u` / `git apply` compatible) between two texts, lines compared with their
 * terminators so CRLF and a missing final newline show exactly. Myers' O(ND) algorithm.
 */

/** Lines with their terminators (`\n`, `\r\n`); the last one may have none. */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

type Op = { kind: ' ' | '-' | '+'; line: string };

/** The shortest edit script from a to b, as a sequence of kept, deleted and inserted lines. */
function myers(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v;
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && next[offset + k - 1] < next[offset + k + 1]) ? next[offset + k + 1] : next[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    v = next;
    if (found >= 0) {
      trace.push(v.slice());
      break;
    }
  }
  // Backtrack from (n, m).
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d]; // v as it was before step d
    const k = x - y;
    const prevK = k === -d || (k !== d && prev[offset + k - 1] < prev[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = prev[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[--x] });
      y--;
    }
    if (x === prevX) ops.push({ kind: '+', line: b[--y] });
    else ops.push({ kind: '-', line: a[--x] });
  }
  while (x > 0 && y > 0) {
    ops.push({ kind: ' ', line: a[--x] });
    y--;
  }
  return ops.reverse();
}

const NO_EOL = '\n\\ No newline at end of file\n';

function emit(kind: string, line: string): string {
  return kind + (line.endsWith('\n') ? line : line + NO_EOL);
}

/** `--- a/file` / `+++ b/file` and hunks with `context` lines around each change; '' when equal. */
export function unifiedDiff(file: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  // Trim the common head and tail so Myers only sees the changed middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const ops: Op[] = [
    ...a.slice(0, head).map((line) => ({ kind: ' ' as const, line })),
    ...myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail)),
    ...a.slice(a.length - tail).map((line) => ({ kind: ' ' as const, line })),
  ];
  const name = file.split('\\').join('/').replace(/^\.\//, '');
  let out = `--- a/${name}\n+++ b/${name}\n`;
  let i = 0;
  let oldLine = 0;
  let newLine = 0;
  while (i < ops.length) {
    // Advance to the next change.
    let j = i;
    while (j < ops.length && ops[j].kind === ' ') j++;
    if (j === ops.length) break;
    const startOp = Math.max(i, j - context);
    oldLine += startOp - i;
    newLine += startOp - i;
    // Extend the hunk while changes are within 2*context lines of each other.
    let end = j;
    for (;;) {
      while (end < ops.length && ops[end].kind !== ' ') end++;
      let k = end;
      while (k < ops.length && ops[k].kind === ' ' && k - end < 2 * context) k++;
      if (k < ops.length && ops[k].kind !== ' ' && k - end <= 2 * context) end = k;
      else break;
    }
    const stop = Math.min(ops.length, end + context);
    const body = ops.slice(startOp, stop);
    const oldCount = body.filter((o) => o.kind !== '+').length;
    const newCount = body.filter((o) => o.kind !== '-').length;
    out += `@@ -${oldCount ? oldLine + 1 : oldLine},${oldCount} +${newCount ? newLine + 1 : newLine},${newCount} @@\n`;
    for (const o of body) out += emit(o.kind, o.line);
    oldLine += oldCount;
    newLine += newCount;
    i = stop;
  }
  return out;
}
