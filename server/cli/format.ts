/** Text (gcc-style, with a per-rule summary table) and JSON output of the CLI. */
import { styleText } from 'node:util';
import { RULES } from '../../core';
import type { FileReport } from '../check/process-file';

type Style = Parameters<typeof styleText>[0];

export function formatText(reports: readonly FileReport[], opts: { color: boolean; mode: 'check' | 'fix' | 'diff' }): string {
  const paint = (style: Style, s: string) => (opts.color ? styleText(style, s) : s);
  const sevStyle = { error: 'red', warning: 'yellow', info: 'cyan', hint: 'gray' } as const;
  const lines: string[] = [];
  const perRule = new Map<string, { count: number; files: Set<string> }>();
  let count = 0;
  let fixed = 0;
  let fixedFiles = 0;
  for (const r of reports) {
    if (r.fix?.applied && (r.fix.written || opts.mode === 'diff')) {
      fixed += r.fix.applied;
      fixedFiles++;
      if (opts.mode === 'fix')
        lines.push(`${paint('bold', r.file + ':')} ${paint('green', `fixed ${r.fix.applied} finding${r.fix.applied === 1 ? '' : 's'}`)}`);
    }
    if (r.fix?.skipped) lines.push(`${paint('bold', r.file + ':')} ${paint('yellow', 'note:')} ${r.fix.skipped}`);
    for (const f of r.findings) {
      lines.push(
        `${paint('bold', `${r.file}:${f.start.line}:${f.start.column}:`)} ${paint(sevStyle[f.severity], f.severity + ':')} ${f.message} ${paint('dim', `[${f.rule}]`)}`,
      );
      count++;
      const s = perRule.get(f.rule) ?? { count: 0, files: new Set<string>() };
      s.count++;
      s.files.add(r.file);
      perRule.set(f.rule, s);
    }
  }
  if (perRule.size) {
    // Summary table: one row per rule, in registry order (rules unknown to the registry last).
    const order = [...RULES.map((r) => r.id).filter((id) => perRule.has(id)), ...[...perRule.keys()].filter((id) => !RULES.some((r) => r.id === id)).sort()];
    const width = Math.max(4, ...order.map((id) => id.length));
    lines.push('');
    lines.push(paint('bold', `${'rule'.padEnd(width)}  ${'findings'.padStart(8)}  ${'files'.padStart(6)}`));
    for (const id of order) {
      const s = perRule.get(id)!;
      lines.push(`${id.padEnd(width)}  ${String(s.count).padStart(8)}  ${String(s.files.size).padStart(6)}`);
    }
  }
  const withFindings = reports.filter((r) => r.findings.length).length;
  if (opts.mode !== 'check') {
    const verb = opts.mode === 'diff' ? 'would fix' : 'fixed';
    lines.push(`${verb} ${fixed} finding${fixed === 1 ? '' : 's'} in ${fixedFiles} file${fixedFiles === 1 ? '' : 's'}`);
  }
  lines.push(`${count} finding${count === 1 ? '' : 's'}${opts.mode === 'check' ? '' : ' left'} in ${withFindings} of ${reports.length} files`);
  return lines.join('\n') + '\n';
}

export function formatJson(reports: readonly FileReport[]): string {
  const diagnostics = reports.flatMap((r) =>
    r.findings.map((f) => ({
      file: r.file,
      line: f.start.line,
      column: f.start.column,
      endLine: f.end.line,
      endColumn: f.end.column,
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      ...(f.dead ? { dead: true } : {}),
    })),
  );
  return JSON.stringify({ version: 1, diagnostics }, null, 2) + '\n';
}
