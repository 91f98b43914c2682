/** The facade's plain data (core/ide) → LSP diagnostics, code actions and ranges. */
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { type CodeAction, CodeActionKind, type Diagnostic, DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver/node';
import type { CodeActionItem, DiagnosticItem, Severity } from '../../core';
import type { ReportFinding } from '../check/process-file';

export const FIX_ALL_KIND = CodeActionKind.SourceFixAll + '.kport';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const docLinks = new Map<string, string>();

/** The file URL of a rule's doc, built once per rule (diagnostics are rebuilt on every edit). */
function docLink(docsDir: string, rule: string): string {
  const key = `${docsDir}\0${rule}`;
  let href = docLinks.get(key);
  if (!href) {
    href = pathToFileURL(path.join(docsDir, `${rule}.md`)).href;
    docLinks.set(key, href);
  }
  return href;
}

/** Deprecated (struck through) for a removed API; Unnecessary (faded) for a finding in code no build compiles. */
function diagnosticTags(tags: readonly string[]): DiagnosticTag[] | undefined {
  const out: DiagnosticTag[] = [];
  if (tags.includes('deprecated')) out.push(DiagnosticTag.Deprecated);
  if (tags.includes('unnecessary')) out.push(DiagnosticTag.Unnecessary);
  return out.length ? out : undefined;
}

/** The parts of a finding's diagnostic that do not depend on where its positions come from. */
function diagnosticOf(
  f: { rule: string; severity: Severity; message: string; tags: readonly string[] },
  range: Diagnostic['range'],
  related: Diagnostic['relatedInformation'],
  docsDir: string,
): Diagnostic {
  return {
    range,
    severity: SEVERITY[f.severity],
    code: f.rule,
    codeDescription: { href: docLink(docsDir, f.rule) },
    source: 'kport',
    message: f.message,
    tags: diagnosticTags(f.tags),
    relatedInformation: related?.length ? related : undefined,
  };
}

/** The start of a 1-based line of another file (we hold no text for it). */
const lineStart = (line = 1) => ({ start: { line: line - 1, character: 0 }, end: { line: line - 1, character: 0 } });

export function toDiagnostic(d: DiagnosticItem, uri: string, docsDir: string): Diagnostic {
  if (d.rule === undefined)
    return {
      range: d.range,
      severity: SEVERITY[d.severity],
      ...(d.tags.includes('deprecated') ? { tags: [DiagnosticTag.Deprecated] } : {}),
      source: 'kport',
      message: d.message,
    };
  const related = d.related.map((r) => ({
    location: 'file' in r ? { uri: pathToFileURL(r.file).href, range: lineStart(r.line) } : { uri, range: r.range },
    message: r.message,
  }));
  return diagnosticOf({ ...d, rule: d.rule }, d.range, related, docsDir);
}

export function toCodeAction(a: CodeActionItem, uri: string, docsDir: string): CodeAction {
  return {
    title: a.title,
    kind: a.kind === 'fixAll' ? FIX_ALL_KIND : CodeActionKind.QuickFix,
    ...(a.diagnostic ? { diagnostics: [toDiagnostic(a.diagnostic, uri, docsDir)] } : {}),
    ...(a.isPreferred === undefined ? {} : { isPreferred: a.isPreferred }),
    edit: { changes: { [uri]: a.edits } },
  };
}

/** A finding of a closed file (from a workspace check: 1-based lines and UTF-16 columns) as a diagnostic. */
export function reportToDiagnostic(f: ReportFinding, uri: string, docsDir: string): Diagnostic {
  const pos = (p: { line: number; column: number }) => ({ line: p.line - 1, character: p.column - 1 });
  const related = f.related.map((r) => ({
    location: { uri: r.file ? pathToFileURL(r.file).href : uri, range: r.region ? { start: pos(r.region.start), end: pos(r.region.end) } : lineStart(r.line) },
    message: r.message,
  }));
  return diagnosticOf(f, { start: pos(f.start), end: pos(f.end) }, related, docsDir);
}
