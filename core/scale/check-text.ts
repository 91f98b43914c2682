/**
 * One file's text checked under a job of the check plan (check-plan.ts): the seam where the CLI's scale
 * machinery meets the analysis. Which texts the job leaves unparsed (the prefilter, pass 1b's mention
 * test), which parts of a text it parses (partial-parse.ts), the workspace summaries it checks against
 * and pass 1b's merge with pass 1 all live here; the adapter (server/check/process-file.ts) reads and
 * writes files and reports, and names none of them.
 */
import { analyze, enabledRules, indirectCallsEnabled } from '../analyze';
import { mergeSummaries, sleepyFieldsOf, WorkspaceIndex, type FileSummary } from '../context/workspace';
import { FileFacts } from '../facts/file-facts';
import { CONTEXT_ANCHORS } from '../kernel/alloc-api';
import { countSyntaxErrors, type CParser, type ParsedFile } from '../parse/parser';
import { mentionTest, triggerTest } from '../relevance';
import type { AnalysisEnv, Finding } from '../rules/types';
import type { FileHint, JobOptions } from './check-plan';
import { analyzeInPart, calledFieldsIn, fieldCallTest, fieldStoresIn, parseForSummary, structsOf } from './partial-parse';

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
  /** No workspace summaries (pass 1): only the file's own text can make a call atomic (parseForRules). */
  ownContextOnly: boolean;
  /** Calls through struct fields are resolved (AnalysisEnv.indirectCalls): may-sleep-in-atomic-indirect is enabled. */
  indirectCalls: boolean;
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
      ownContextOnly: !opts.workspace,
      indirectCalls: indirectCallsEnabled({ config: opts.config, only: opts.only }),
    };
    // The second pass: a call through a field whose stored functions may all sleep (fieldMaySleep) can be a finding.
    const index = tests.indirectCalls ? workspaceIndex(opts.workspace) : undefined;
    const fields = index && opts.workspace ? [...sleepyFieldsOf(opts.workspace)].filter((f) => index.fieldMaySleep(f)) : [];
    if (fields.length) {
      const { prefilter, seed } = tests;
      const calls = fieldCallTest(fields);
      tests = { ...tests, prefilter: (t) => prefilter(t) || calls(t), seed: (t) => seed(t) || calls(t) };
    }
    jobTestsOf.set(opts, tests);
  }
  return tests;
}

/** Whether the job's relevance tests leave this text out (it cannot have a finding or add to a summary). */
export function leftOut(text: string, opts: JobOptions, hint?: FileHint): boolean {
  if (opts.mentions) {
    // Pass 1 summarized every function it parsed: only what it left out can add a mention.
    // (Items start and end where no identifier runs on, so a line break between two keeps them apart.)
    const read = hint?.deferred ? hint.deferred.map(([start, end]) => text.slice(start, end)).join('\n') : text;
    return !mentionTest(opts.mentions)(read);
  }
  return !!opts.prefilter && !jobTests(opts).prefilter(text);
}

/**
 * The summary of a file pass 1 leaves unparsed (leftOut), from its text alone: the struct fields it may store
 * functions in (calls through them stay unresolved: FileSummary.unreadStores), the function-pointer structs it
 * defines (a header: their field order, and that they are the workspace's) and the fields it may call through
 * in atomic context. Undefined when it shows none.
 */
export function leftOutSummary(text: string, file: string, opts: JobOptions): FileSummary | undefined {
  if (!opts.summaries || opts.mentions || !jobTests(opts).indirectCalls) return undefined;
  const stores = fieldStoresIn(text);
  const structs = structsOf(text, file);
  const calls = calledFieldsIn(text);
  if (!stores.length && !structs.length && !calls.length) return undefined;
  return {
    path: file,
    exported: [],
    entries: [],
    calls: [],
    valueRefs: [],
    contextSensitive: [],
    ...(stores.length ? { unreadStores: stores } : {}),
    ...(structs.length ? { structFields: structs } : {}),
    ...(calls.length ? { atomicFieldCalls: calls } : {}),
  };
}

const indexes = new WeakMap<FileSummary[], WorkspaceIndex>();

/** The job's workspace summaries as one index, built once per job. */
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

export interface CheckedText {
  findings: Finding[];
  /** ERROR nodes of the parse (fix modes only: a fix compares them before and after; a check does not count). */
  syntaxErrors: number;
  /** Rules that threw, as messages. */
  failures: string[];
  /** With JobOptions.summaries: the file's workspace summary (merged with pass 1's in pass 1b). */
  summary?: FileSummary;
  /** Function items a partial parse left out, for pass 1b. */
  deferred?: [number, number][];
  /** Functions defined `static` (when some were left out). */
  statics?: string[];
  /** Characters tree-sitter parsed. */
  parsedChars: number;
}

/**
 * Parses and analyzes `text` as the job asks: a check parses the top-level items the findings can come
 * from (analyzeInPart), pass 1b those that name opts.mentions (and their callers); a fix parses it all
 * (it compares syntax errors before and after). `fileEnv` gives the file's header resolvers (the
 * adapter reads the disk); the job's workspace summaries are added here.
 */
export function checkText(
  parser: CParser,
  file: string,
  text: string,
  opts: JobOptions,
  fileEnv: (facts: FileFacts) => AnalysisEnv,
  hint?: FileHint,
): CheckedText {
  // Whether calls through fields are resolved is the job's (pass 1b analyzes with no rule, for the summary alone).
  const indirectCalls = jobTests(opts).indirectCalls;
  const envFor = (facts: FileFacts) => ({ ...fileEnv(facts), workspace: workspaceIndex(opts.workspace), indirectCalls });
  let parsed: ParsedFile | undefined;
  try {
    let facts: FileFacts;
    let analysis: ReturnType<typeof analyze>;
    let deferred: [number, number][] | undefined;
    if (opts.mode === 'check' && opts.prefilter && !opts.mentions) {
      const part = analyzeInPart(parser, text, file, jobTests(opts), { config: opts.config, only: opts.summaryOnly ? [] : opts.only }, envFor);
      ({ parsed, deferred, facts } = part);
      analysis = part;
    } else {
      parsed = opts.mentions ? parseForSummary(parser, text, opts.mentions, hint?.deferred) : parser.parse(text);
      // Pass 1b wants the summary about opts.mentions alone: the functions it needs are built, no others.
      facts = opts.mentions ? new FileFacts(parsed, file, undefined, opts.mentions) : new FileFacts(parsed, file);
      analysis = analyze(facts, { config: opts.config, only: opts.mentions || opts.summaryOnly ? [] : opts.only, env: envFor(facts) });
    }
    const { findings, failures, shared } = analysis;
    let summary = opts.summaries ? shared.context.summary() : undefined;
    const statics = facts.functions.filter((f) => f.isStatic).map((f) => f.name);
    // Pass 1b over a file pass 1 parsed in part: what the left-out functions add to pass 1's summary.
    // A function either pass found static is called within the file only.
    if (summary && hint?.pass1) summary = mergeSummaries(hint.pass1, summary, new Set([...statics, ...(hint.pass1Statics ?? [])]));
    // The functions pass 1 left out may store functions in struct fields: calls through those stay unresolved.
    if (summary && indirectCalls && deferred?.length) {
      const stores = fieldStoresIn(deferred.map(([start, end]) => text.slice(start, end)).join('\n'));
      if (stores.length) summary = { ...summary, unreadStores: stores };
    }
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
