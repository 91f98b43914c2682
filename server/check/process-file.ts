/**
 * The CLI's unit of work: one file, checked and optionally fixed, reported as plain data (it crosses
 * worker_threads by structured clone). Runs the same on the main thread and in the workers.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  analyze,
  analyzeInPart,
  CONTEXT_ANCHORS,
  countSyntaxErrors,
  definedNames,
  enabledRules,
  FileFacts,
  LineIndex,
  mentionTest,
  mergeSummaries,
  parseForSummary,
  safeFix,
  renamedSuppressions,
  triggerTest,
  WorkspaceIndex,
  type CParser,
  type FileSummary,
  type Finding,
  type ParsedFile,
  type Severity,
  type FileHint,
  type JobOptions,
  type Mode,
  type PassReport,
} from '../../core';
import { diskEnv } from '../node/headers';
import { decode, encode, type Encoding } from '../node/text-file';
import { unifiedDiff } from './diff';

export type { FileHint, JobOptions, Mode };

/** A job's text tests, built once (the options object lives as long as the job). */
interface JobTests {
  /** A file can have findings: it holds an enabled rule's trigger. */
  prefilter: (text: string) => boolean;
  /**
   * For a partial parse (parseForRules): the functions a file's findings can come from hold a trigger or
   * a CONTEXT_ANCHORS call (those decide which functions are context-sensitive); a file with the trigger
   * of a rule that reads the whole file is parsed whole.
   */
  seed: (text: string) => boolean;
  wholeFile: (text: string) => boolean;
}

const jobTestsOf = new WeakMap<JobOptions, JobTests>();

function jobTests(opts: JobOptions): JobTests {
  let tests = jobTestsOf.get(opts);
  if (!tests) {
    const rules = enabledRules({ config: opts.config, only: opts.only });
    tests = {
      prefilter: triggerTest(rules),
      seed: triggerTest([...rules, { triggers: [...CONTEXT_ANCHORS] }]),
      wholeFile: triggerTest(rules.filter((r) => r.readsWholeFile)),
    };
    jobTestsOf.set(opts, tests);
  }
  return tests;
}

/** Whether the job's relevance tests leave this text out. */
function leftOut(text: string, opts: JobOptions, hint?: FileHint): boolean {
  if (opts.mentions) {
    // Pass 1 summarized every function it parsed: only what it left out can add a mention.
    // (Items start and end where no identifier runs on, so a line break between two keeps them apart.)
    const read = hint?.deferred ? hint.deferred.map(([start, end]) => text.slice(start, end)).join('\n') : text;
    return !mentionTest(opts.mentions)(read);
  }
  return !!opts.prefilter && !jobTests(opts).prefilter(text);
}

const indexes = new WeakMap<FileSummary[], WorkspaceIndex>();

function workspaceIndex(summaries: FileSummary[] | undefined): WorkspaceIndex | undefined {
  if (!summaries) return undefined;
  let index = indexes.get(summaries);
  if (!index) {
    index = new WorkspaceIndex();
    for (const s of summaries) index.update(s);
    indexes.set(summaries, index);
  }
  return index;
}

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

/** Parses and analyzes `text`; returns findings, the ERROR-node count (fix modes only) and rule failures. */
function analyzeText(
  parser: CParser,
  file: string,
  text: string,
  opts: JobOptions,
  hint?: FileHint,
): {
  findings: Finding[];
  syntaxErrors: number;
  failures: string[];
  summary?: FileSummary;
  deferred?: [number, number][];
  statics?: string[];
  parsedChars: number;
} {
  const envFor = (facts: FileFacts) => ({ ...diskEnv(facts, file), workspace: workspaceIndex(opts.workspace) });
  // A check parses the top-level items the findings can come from (analyzeInPart), pass 1b those that
  // name opts.mentions (and their callers); a fix parses it all (it compares syntax errors before and after).
  let parsed: ParsedFile | undefined;
  try {
    let facts: FileFacts;
    let analysis: ReturnType<typeof analyze>;
    let deferred: [number, number][] | undefined;
    if (opts.mode === 'check' && opts.prefilter && !opts.mentions) {
      const part = analyzeInPart(parser, text, file, jobTests(opts), { config: opts.config, only: opts.only }, envFor);
      ({ parsed, deferred, facts } = part);
      analysis = part;
    } else {
      parsed = opts.mentions ? parseForSummary(parser, text, opts.mentions, hint?.deferred) : parser.parse(text);
      // Pass 1b wants the summary about opts.mentions alone: the functions it needs are built, no others.
      facts = opts.mentions ? new FileFacts(parsed, file, undefined, opts.mentions) : new FileFacts(parsed, file);
      analysis = analyze(facts, { config: opts.config, only: opts.mentions ? [] : opts.only, env: envFor(facts) });
    }
    const { findings, failures, shared } = analysis;
    let summary = opts.summaries ? shared.context.summary() : undefined;
    const statics = facts.functions.filter((f) => f.isStatic).map((f) => f.name);
    // Pass 1b over a file pass 1 parsed in part: what the left-out functions add to pass 1's summary.
    // A function either pass found static is called within the file only.
    if (summary && hint?.pass1) summary = mergeSummaries(hint.pass1, summary, new Set([...statics, ...(hint.pass1Statics ?? [])]));
    // Only a fix compares ERROR counts; a check does not walk the error subtrees.
    const syntaxErrors = opts.mode === 'check' ? 0 : countSyntaxErrors(parsed.root);
    // A whole-file parse has one range that ends at "infinity".
    const parsedChars = parsed.tree.getIncludedRanges().reduce((n, r) => n + Math.min(r.endIndex, text.length) - Math.min(r.startIndex, text.length), 0);
    return {
      findings,
      syntaxErrors,
      failures: failures.map((f) => `rule ${f.rule} failed: ${f.error}`),
      summary,
      deferred,
      statics: deferred?.length ? statics : undefined,
      parsedChars,
    };
  } finally {
    parsed?.dispose();
  }
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
  if (leftOut(text, opts, hint)) return { file, bytes: bytes.length, encoding, findings: [], skipped: true, ...(defines ? { defines } : {}) };
  const first = analyzeText(parser, file, text, opts, hint);
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
    out.findings = report(first.findings, new LineIndex(text));
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
    const after = analyzeText(parser, file, newText, opts);
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
