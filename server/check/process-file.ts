/**
 * The CLI's unit of work: one file, checked and optionally fixed, reported as plain data (it crosses
 * worker_threads by structured clone). Runs the same on the main thread and in the workers.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  checkText,
  definedNames,
  leftOut,
  leftOutSummary,
  LineIndex,
  safeFix,
  renamedSuppressions,
  type CParser,
  type Finding,
  type Severity,
  type FileHint,
  type JobOptions,
  type Mode,
  type PassReport,
} from '../../core';
import { diskEnv } from '../node/headers';
import { decode, encode, type Encoding } from '../node/text-file';
import { stopIfOrphaned } from '../node/tuned-child';
import { unifiedDiff } from './diff';

export type { FileHint, JobOptions, Mode };

/** 1-based line and column (UTF-16 code units, like SARIF's default columnKind). */
export interface Pos {
  line: number;
  column: number;
}

export interface Region {
  start: Pos;
  end: Pos;
}

export interface ReportEdit extends Region {
  newText: string;
}

export interface ReportFinding extends Region {
  rule: string;
  severity: Severity;
  message: string;
  tags: string[];
  related: { message: string; file?: string; region?: Region; line?: number }[];
  /** The preferred fix, if any. */
  fix?: { title: string; edits: ReportEdit[] };
  /** In an `#if` branch no build compiles (Finding.dead): severity at most info, message tagged. */
  dead?: true;
  /** Dead unless some file of the run defines one of these macros (decideDeadFindings decides). */
  deadUnless?: { names: string[]; reason: string };
}

export interface FixOutcome {
  /** Findings whose preferred fix went into the new text. */
  applied: number;
  /** Why nothing was written although fixes exist. */
  skipped?: string;
  written: boolean;
  /** Unified diff (mode `diff`), in the file's own encoding's characters. */
  diff?: string;
}

/** One file's result; the planner's fields (summary, skipped, deferred, …) come from PassReport. */
export interface FileReport extends PassReport {
  encoding?: Encoding;
  /** Findings before fixing (check) or those left after fixing (fix, diff). */
  findings: ReportFinding[];
  fix?: FixOutcome;
  /** Rule failures or a write that failed: reported, the file still counts as read. */
  warning?: string;
  /** The file could not be read: an I/O error (exit status 2). */
  error?: string;
  /**
   * The macros this file `#define`s, space-separated (one string: cheap to pass between threads): whether
   * anything defines a macro decides whether a finding in an `#ifdef` of it is dead (decideDeadFindings).
   */
  defines?: string;
}

function toPos(lines: LineIndex, offset: number): Pos {
  const p = lines.positionAt(offset);
  return { line: p.line + 1, column: p.character + 1 };
}

function region(lines: LineIndex, start: number, end: number): Region {
  return { start: toPos(lines, start), end: toPos(lines, end) };
}

function report(findings: readonly Finding[], lines: LineIndex): ReportFinding[] {
  return findings.map((f) => {
    const fix = f.fixes.find((x) => x.preferred);
    return {
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      tags: [...f.tags],
      ...region(lines, f.span.start, f.span.end),
      related: f.related.map((r) =>
        r.file ? { message: r.message, file: r.file, line: r.line } : { message: r.message, region: region(lines, r.span.start, r.span.end) },
      ),
      fix: fix && { title: fix.title, edits: fix.edits.map((e) => ({ ...region(lines, e.start, e.end), newText: e.newText })) },
      ...(f.dead ? { dead: true as const } : {}),
      ...(f.deadUnless ? { deadUnless: f.deadUnless } : {}),
    };
  });
}

function readError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EISDIR') return 'is a directory';
  return (e as Error).message;
}

export function processFile(parser: CParser, file: string, opts: JobOptions, hint?: FileHint): FileReport {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    return { file, bytes: 0, findings: [], error: readError(e) };
  }
  const { text, encoding } = decode(bytes);
  if (opts.mode === 'parse-only') {
    parser.parse(text).dispose();
    return { file, bytes: bytes.length, encoding, findings: [] };
  }
  // A file pass 1b reads again has given its defines in pass 1.
  const defines = opts.mentions ? undefined : definedNames(text).join(' ') || undefined;
  if (leftOut(text, opts, hint)) {
    // Pass 1 reads no function of it: what its text shows of stores into struct fields (leftOutSummary).
    const summary = leftOutSummary(text, file, opts);
    return { file, bytes: bytes.length, encoding, findings: [], skipped: true, ...(defines ? { defines } : {}), ...(summary ? { summary } : {}) };
  }
  const first = checkText(parser, file, text, opts, (facts) => diskEnv(facts, file), hint);
  const warnings = [...first.failures];
  const out: FileReport = { file, bytes: bytes.length, encoding, findings: [], parsedChars: first.parsedChars, ...(defines ? { defines } : {}) };
  if (first.summary) out.summary = first.summary;
  if (first.deferred?.length) {
    out.deferred = first.deferred;
    out.statics = first.statics;
  }
  // A `kport-ignore` naming a former rule id still suppresses the rule it became; say it is deprecated.
  for (const r of renamedSuppressions(text)) warnings.push(`line ${r.line}: kport-ignore ${r.id}: ${r.note}`);
  if (opts.mode === 'check') {
    // Most files parsed have no finding: no line table for them.
    if (first.findings.length) out.findings = report(first.findings, new LineIndex(text));
    if (warnings.length) out.warning = warnings.join('; ');
    return out;
  }

  // fix / diff: the preferred fixes, kept only if the result parses no worse than the original.
  const { newText, applied, skipped } = safeFix(parser, text, first.findings, first.syntaxErrors);
  const fix: FixOutcome = { applied, written: false, skipped };
  out.fix = fix;
  let remaining = first.findings;
  let finalText = text;
  if (newText !== text) {
    finalText = newText;
    const after = checkText(parser, file, newText, opts, (facts) => diskEnv(facts, file));
    remaining = after.findings;
    warnings.push(...after.failures);
    if (opts.mode === 'diff') {
      fix.diff = unifiedDiff(file, text, newText);
    } else {
      try {
        writeAtomic(file, encode(newText, encoding));
        fix.written = true;
      } catch (e) {
        warnings.push(`could not write: ${readError(e)}`);
        finalText = text;
        remaining = first.findings;
      }
    }
  }
  out.findings = report(remaining, new LineIndex(finalText));
  if (warnings.length) out.warning = warnings.join('; ');
  return out;
}

/**
 * Replaces `file` with `data` so that a reader (or a crash) sees either the old or the new bytes:
 * a temporary file in the same directory, written and fsynced, then renamed over the original.
 * The file's permission bits are kept.
 */
export function writeAtomic(file: string, data: Uint8Array): void {
  const st = fs.statSync(file);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.kport-${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);
  const fd = fs.openSync(tmp, 'wx', st.mode & 0o7777);
  try {
    try {
      fs.writeSync(fd, data);
      fs.fchmodSync(fd, st.mode & 0o7777); // the umask may have cleared bits
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    stopIfOrphaned(); // a killed `kport fix` renames nothing more (its temporary file may stay, as after any kill)
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    /* directories cannot be fsynced on every file system */
  }
}
