/**
 * How a check of many files is planned: the passes over a tree, as plain data against an executor that
 * runs one job over a list of files (the CLI's worker pool, the language server's background index, or
 * a loop on one thread in tests). The CLI and the language server's index both run this plan, so the
 * editor's index costs what `kport check` costs, and neither adapter decides which file to read again.
 *
 * Pass 1 checks every file alone and collects its summary, leaving unparsed a file that holds no enabled
 * rule's trigger and parsing the others in part. Pass 1b reads, for the summary alone, what pass 1 left out
 * where it names a cross-file name (an exported, context-sensitive function: only a call, registration or
 * value use of such a name in another file can change a finding). Pass 2 re-checks the files whose such
 * functions are registered or called atomically elsewhere, with the summaries narrowed to those names.
 */
import { enabledRules, indirectCallsEnabled } from '../analyze';
import type { KportConfig } from '../config';
import { crossFileNames, focusSummaries, WorkspaceIndex, type FileSummary } from '../context/workspace';

export type Mode = 'check' | 'fix' | 'diff' | 'parse-only';

/** One job over a list of files: what to do with each (plain data: it crosses to worker threads). */
export interface JobOptions {
  mode: Mode;
  config?: KportConfig;
  only?: readonly string[];
  /** Return each file's workspace summary (call graph, registrations) for the cross-file pass. */
  summaries?: boolean;
  /** Every file's summary from the first pass: handlers registered and callers in other files count. */
  workspace?: FileSummary[];
  /**
   * Leave a file unparsed when its text holds none of the enabled rules' triggers (Rule.triggers): no
   * finding is possible there. Off when the file's summary is wanted whatever it holds.
   */
  prefilter?: boolean;
  /**
   * The cross-file pass (1b), over what pass 1 did not parse (files the prefilter left out, functions a
   * partial parse left out: FileHint.deferred): analyze, for the summary, only what names one of these
   * functions, the tree's cross-file names; no other name in it can change a finding elsewhere (see
   * focusSummaries).
   */
  mentions?: readonly string[];
  /**
   * Pass 1 of an index (goal `summaries`): the file's summary is all the job wants, so no rule runs (no finding, no
   * verdict). Never where calls through struct fields are resolved: there a verdict's callees, parsed for the
   * simulator, add to the summary (FieldBinding `defined`), and the index's summaries stay the CLI's.
   */
  summaryOnly?: boolean;
}

/** What one file's job knows from an earlier pass over it. */
export interface FileHint {
  /** Function items pass 1 left unparsed ([start, end) of the text): pass 1b looks there only. */
  deferred?: [number, number][];
  /** Pass 1's summary of the file (about JobOptions.mentions): pass 1b returns it completed. */
  pass1?: FileSummary;
  /** Functions pass 1 found defined `static` there (among JobOptions.mentions). */
  pass1Statics?: string[];
}

/** What the plan reads of a file's report (an executor's reports carry more: findings, fixes). */
export interface PassReport {
  file: string;
  bytes: number;
  /** With JobOptions.summaries. */
  summary?: FileSummary;
  /** Read but not parsed: the prefilter or the mention test left it out (it has no findings). */
  skipped?: boolean;
  /** Parsed in part (pass 1): the function items left out, for pass 1b. */
  deferred?: [number, number][];
  /** With `deferred`: the functions pass 1 parsed that are defined `static`. */
  statics?: string[];
  /** Characters of the text tree-sitter read. */
  parsedChars?: number;
}

/** Runs one job over files; reports come back in the order of `files`. */
export interface PassExecutor<R extends PassReport> {
  run(files: readonly string[], job: JobOptions, hints?: readonly (FileHint | undefined)[]): Promise<R[]>;
}

export type PassName = 'one pass' | 'pass 1' | 'pass 1b' | 'pass 2' | 'fix';

export interface CheckPlanOptions {
  mode: Mode;
  config?: KportConfig;
  only?: readonly string[];
  /** Leave files without a trigger unparsed (off only to compare, in bench/). */
  prefilter?: boolean;
  /**
   * `findings` (default): every file's findings with the whole tree's context (a check or a fix).
   * `summaries`: passes 1 and 1b only, for an index that wants the tree's cross-file summaries; the
   * reports are pass 1's, without findings (JobOptions.summaryOnly) unless calls through fields are resolved.
   */
  goal?: 'findings' | 'summaries';
  /** Called as each pass starts (a progress bar names it). */
  onPass?: (pass: PassName, files: number) => void;
  /** Called as each pass ends, with its reports (KPORT_TRACE). */
  afterPass?: (pass: PassName, reports: readonly PassReport[], names?: number) => void;
  /** Checked between passes: a cancelled plan stops there and rejects with CancelledError. */
  signal?: AbortSignal;
}

export interface CheckPlanResult<R extends PassReport> {
  /** One report a file, in the order of `files`, without the planner's own fields (goal `findings`). */
  reports: R[];
  /** The tree's summaries narrowed to the cross-file names (undefined where no rule reads the context). */
  workspace?: FileSummary[];
  /** The cross-file names. */
  names: ReadonlySet<string>;
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

export async function runCheckPlan<R extends PassReport>(files: readonly string[], exec: PassExecutor<R>, opts: CheckPlanOptions): Promise<CheckPlanResult<R>> {
  const { mode, config, only } = opts;
  const base = { config, only, prefilter: opts.prefilter ?? true };
  // Other files matter only to rules whose findings depend on the calling context.
  const contextual = enabledRules({ config, only }).some((r) => r.usesContext);
  if (mode === 'parse-only' || files.length < 2 || !contextual) {
    if (opts.goal === 'summaries' && !contextual) return { reports: [], names: new Set() };
    opts.onPass?.('one pass', files.length);
    const reports = await exec.run(files, { mode, ...base });
    opts.afterPass?.('one pass', reports);
    return { reports, names: new Set() };
  }
  opts.onPass?.('pass 1', files.length);
  // An index wants pass 1's summaries, not its findings (a sixth of its work: the rules and their verdicts).
  const summaryOnly = opts.goal === 'summaries' && !indirectCallsEnabled({ config, only });
  const first = await exec.run(files, { mode: 'check', ...base, summaries: true, ...(summaryOnly ? { summaryOnly } : {}) });
  opts.afterPass?.('pass 1', first);
  checkCancelled(opts.signal);
  const summaries = first.flatMap((r) => (r.summary ? [r.summary] : []));
  // Files pass 1 left out have no findings, but a call from one to a context-sensitive function elsewhere
  // (or its registration as a handler) can change that function's findings: those are read for their
  // summary alone; files pass 1 parsed in part are read again where it left functions out.
  const again1b = first.filter((r) => r.skipped || r.deferred);
  const names = crossFileNames(summaries);
  if (again1b.length && names.size) {
    opts.onPass?.('pass 1b', again1b.length);
    const named = await exec.run(
      again1b.map((r) => r.file),
      { mode: 'check', config, summaries: true, mentions: [...names] },
      // A file pass 1 parsed in part gets its pass-1 summary back, completed (mergeSummaries).
      again1b.map((r) =>
        r.deferred && r.summary
          ? {
              deferred: r.deferred,
              pass1: { ...focusSummaries([r.summary], names)[0], ...indirectParts(r.summary) },
              pass1Statics: r.statics?.filter((n) => names.has(n)),
            }
          : undefined,
      ),
    );
    const at = new Map(summaries.map((s, i) => [s.path, i]));
    for (const r of named) {
      if (!r.summary) continue;
      const i = at.get(r.summary.path);
      if (i === undefined) summaries.push(r.summary);
      // A file pass 1 left unparsed keeps the field stores its text showed and its structs (its summary had nothing else).
      else {
        const { unreadStores, structFields } = summaries[i];
        summaries[i] = { ...r.summary, ...(unreadStores ? { unreadStores } : {}), ...(structFields && !r.summary.structFields ? { structFields } : {}) };
      }
    }
    opts.afterPass?.('pass 1b', named, names.size);
    checkCancelled(opts.signal);
  }
  // A file pass 1b read holds no enabled rule's trigger; a name only it would add (a function reaching an
  // allocator whose rules are off) could change findings in that file alone, and it has none: the names stand.
  const workspace = focusSummaries(summaries, names);
  if (opts.goal === 'summaries') return { reports: first, workspace, names };
  let reports: R[];
  if (mode === 'check') {
    const again = filesNeedingWorkspace(workspace);
    opts.onPass?.('pass 2', again.size);
    const second = again.size ? await exec.run([...again], { mode, ...base, workspace }) : [];
    opts.afterPass?.('pass 2', second);
    const byFile = new Map(second.map((r) => [r.file, r]));
    reports = first.map((r) => byFile.get(r.file) ?? r);
  } else {
    opts.onPass?.('fix', files.length);
    reports = await exec.run(files, { mode, ...base, workspace });
    opts.afterPass?.('fix', reports);
  }
  // New objects: an executor may answer from a cache that keeps the reports it returned.
  const plain = reports.map(({ summary: _s, skipped: _k, deferred: _d, statics: _t, parsedChars: _p, ...rest }) => rest as R);
  return { reports: plain, workspace, names };
}

/** A summary's parts about calls through struct fields, unfocused: which of them matter depends on every file. */
function indirectParts(s: FileSummary): Partial<FileSummary> {
  const out: Partial<FileSummary> = {};
  if (s.fieldBindings) out.fieldBindings = s.fieldBindings;
  if (s.structFields) out.structFields = s.structFields;
  if (s.sleepers) out.sleepers = s.sleepers;
  if (s.atomicFieldCalls) out.atomicFieldCalls = s.atomicFieldCalls;
  if (s.unreadStores) out.unreadStores = s.unreadStores;
  return out;
}

/**
 * Files whose findings can change with other files' facts: one of their non-static, context-sensitive
 * functions (FileSummary.contextSensitive) is registered as an interrupt-context callback elsewhere,
 * or called elsewhere from atomic context; or they call through a struct field, in atomic context, that other
 * files store functions in.
 */
export function filesNeedingWorkspace(summaries: readonly FileSummary[]): Set<string> {
  const index = new WorkspaceIndex();
  for (const s of summaries) index.update(s);
  const out = new Set<string>();
  for (const s of summaries) {
    // A call through a field in atomic context here, of a field other files store functions in.
    if (s.atomicFieldCalls?.some((f) => index.fieldBindings(f, s.path).length && index.fieldMaySleep(f))) out.add(s.path);
    for (const fn of s.exported)
      if (
        s.contextSensitive.includes(fn.name) &&
        (index.entryRegistrations(fn.name, s.path).length || index.callSites(fn.name, s.path).some((c) => c.call.atomic))
      )
        out.add(s.path);
  }
  return out;
}
