/** core findings → LSP diagnostics and code actions. */
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import {
  CodeAction,
  CodeActionKind,
  Diagnostic,
  DiagnosticSeverity,
  DiagnosticTag,
  type TextEdit,
} from 'vscode-languageserver/node';
import type { Finding, LineIndex, Span } from '../../core';
import type { ReportFinding } from '../check/process-file';

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function rangeOf(lines: LineIndex, span: Span) {
  return { start: lines.positionAt(span.start), end: lines.positionAt(span.end) };
}

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

/** The parts of a diagnostic that do not depend on where its positions come from. */
function diagnosticOf(f: { rule: string; severity: Finding['severity']; message: string; tags: readonly string[] }, range: Diagnostic['range'], related: Diagnostic['relatedInformation'], docsDir: string): Diagnostic {
  return {
    range,
    severity: SEVERITY[f.severity],
    code: f.rule,
    codeDescription: { href: docLink(docsDir, f.rule) },
    source: 'kport',
    message: f.message,
    tags: f.tags.includes('deprecated') ? [DiagnosticTag.Deprecated] : undefined,
    relatedInformation: related?.length ? related : undefined,
  };
}

/** The start of a 1-based line of another file (we hold no text for it). */
const lineStart = (line = 1) => ({ start: { line: line - 1, character: 0 }, end: { line: line - 1, character: 0 } });

export function toDiagnostic(f: Finding, lines: LineIndex, uri: string, docsDir: string): Diagnostic {
  const related = f.related.map((r) => ({ location: r.file ? { uri: pathToFileURL(r.file).href, range: lineStart(r.line) } : { uri, range: rangeOf(lines, r.span) }, message: r.message }));
  return diagnosticOf(f, rangeOf(lines, f.span), related, docsDir);
}

export function toEdits(lines: LineIndex, edits: { start: number; end: number; newText: string }[]): TextEdit[] {
  return edits.map((e) => ({ range: rangeOf(lines, e), newText: e.newText }));
}

export function quickFixes(f: Finding, diagnostic: Diagnostic, lines: LineIndex, uri: string): CodeAction[] {
  return f.fixes.map((fix) => ({
    title: fix.title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    isPreferred: fix.preferred ?? false,
    edit: { changes: { [uri]: toEdits(lines, fix.edits) } },
  }));
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
