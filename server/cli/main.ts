/** `kport` command line: check, fix and lsp. Exit codes: 0 clean, 1 error-severity findings, 2 usage or I/O error. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  canonicalRuleId,
  mergeConfigs,
  renamedRuleNote,
  resolveTarget,
  TARGETS,
  DEFAULT_TARGET,
  RULE_IDS,
  runCheckPlan,
  type KportConfig,
  type PassName,
  type PassReport,
} from '../../core';
import { findConfigFile, loadConfigFile } from '../node/config-file';
import { internalSwitches } from '../node/internal';
import { encode } from '../node/text-file';
import { expandPaths } from '../check/files';
import { formatJson, formatText } from './format';
import { decideDeadFindings } from '../check/dead-code';
import { poolThreads, WorkerPool } from '../check/pool';
import type { FileReport } from '../check/process-file';
import type { Mode } from '../../core';
import { Progress } from './progress';
import { formatSarif } from './sarif';
import { isTunedChild, tunedChildEnv } from '../node/tuned-child';
import { POOL_V8_FLAGS } from '../node/v8-flags';

const USAGE = `usage: kport check [options] PATH...
       kport fix [--diff] [options] PATH...
       kport simulate [--format text|json] [--runs N] PATH...
       kport lsp [--stdio | --node-ipc | --socket=PORT]

Finds Linux 2.4-era memory-allocation API usage and suggests the 2.6 replacement.
PATH is a file, a directory (recursed for .c and .h) or a quoted glob ('drivers/**/*.c').

commands:
  check                  report findings
  fix                    apply each finding's preferred fix in place (atomic writes;
                         a fix that would add syntax errors is not applied)
  simulate               run each driver's lifetime on the 2.6 allocator (kport simulate --help)

options:
  --format text|json|sarif  output format (default text; sarif is SARIF 2.1.0)
  --fix                  check: apply the preferred fixes, as \`kport fix\`
  --diff                 fix: print a unified diff on stdout and write nothing
  --rule ID              run only this rule (repeatable)
  --disable ID           turn a rule off (repeatable)
  --config FILE          rule settings (default: nearest .kport.json)
  --target VERSION       the kernel you port to: ${TARGETS.join(', ')} (default ${DEFAULT_TARGET},
                         the article's); findings and fixes follow its headers
  --jobs N               worker threads (default: all cores; 1 = no workers)
  --no-color             plain text output
  -h, --help             this help

exit status:
  0  no error-severity findings (after fixing, for fix)
  1  error-severity findings
  2  usage error, or a path or file that could not be read or written`;

function fail(message: string): never {
  process.stderr.write(`kport: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function version(): string {
  for (const p of [path.join(__dirname, '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')]) {
    try {
      return JSON.parse(fs.readFileSync(p, 'utf8')).version;
    } catch {
      /* next */
    }
  }
  return '0.0.0';
}

/** Whether this node starts with POOL_V8_FLAGS (a later V8 may drop one: then the run stays in this process). */
function nodeTakesPoolFlags(): boolean {
  return spawnSync(process.execPath, [...POOL_V8_FLAGS, '-e', '0'], { stdio: 'ignore' }).status === 0;
}

/** Runs this command in a child node with POOL_V8_FLAGS; resolves to its exit status. */
function runTuned(argv: string[]): Promise<number> {
  const child = spawn(process.execPath, [...POOL_V8_FLAGS, ...process.execArgv, process.argv[1], ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: tunedChildEnv(),
  });
  // A terminal's Ctrl-C reaches both; a signal sent to this process alone is passed on.
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  for (const sig of signals) process.on(sig, forward);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`kport: could not start node: ${e.message}\n`);
      resolve(2);
    });
    child.on('exit', (code, signal) => {
      for (const sig of signals) process.off(sig, forward);
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
    });
  });
}

// The child of runTuned stops when its parent is gone (SIGKILL cannot be passed on): as if killed with it.
// The channel itself must not keep the child alive once its work is done.
if (isTunedChild() && process.channel) {
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

const TRACE = !!process.env.KPORT_TRACE;
let traceStart = performance.now();
let traceCpu = process.cpuUsage();
let traceFlagsShown = false;

/** KPORT_TRACE=1: each pass's files, files parsed and time on stderr (for bench/). */
function trace(pass: string, reports: readonly PassReport[]): void {
  if (!TRACE) return;
  const parsed = reports.filter((r) => !r.skipped);
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const now = performance.now();
  // The first line says which node flags the run has (the pooled child's POOL_V8_FLAGS).
  const flags = !traceFlagsShown && process.execArgv.length ? ` [node ${process.execArgv.join(' ')}]` : '';
  traceFlagsShown = true;
  const read = parsed.reduce((s, r) => s + (r.parsedChars ?? r.bytes), 0);
  // CPU of the whole process (main thread and workers): the figure that holds on a loaded machine.
  const cpu = process.cpuUsage(traceCpu);
  process.stderr.write(
    `kport: ${pass}${flags}: ${reports.length} files, ${parsed.length} parsed (${mb(read)} of their ${mb(parsed.reduce((s, r) => s + r.bytes, 0))} MB), ${((now - traceStart) / 1000).toFixed(2)} s, ${(cpu.user / 1e6).toFixed(2)} s user CPU\n`,
  );
  traceStart = now;
  traceCpu = process.cpuUsage();
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help') {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  if (command === '--version') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  if (command === 'lsp') {
    const { startServer } = await import('../lsp/server');
    startServer();
    return -1; // keeps running
  }
  if (command === 'simulate') {
    const { runSimulate } = await import('./simulate');
    return runSimulate(rest, fail);
  }
  if (command !== 'check' && command !== 'fix') fail(`unknown command "${command}"`);
  // biome-ignore lint/suspicious/noImplicitAnyLet: parseArgs infers its result from the options inside the try
  let args;
  try {
    args = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'text' },
        rule: { type: 'string', multiple: true },
        disable: { type: 'string', multiple: true },
        config: { type: 'string' },
        target: { type: 'string' },
        fix: { type: 'boolean', default: false },
        diff: { type: 'boolean', default: false },
        jobs: { type: 'string', short: 'j' },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  if (args.values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const format = args.values.format!;
  if (!['text', 'json', 'sarif'].includes(format)) fail(`unknown format "${format}" (text, json, sarif)`);
  if (args.positionals.length === 0) fail('no PATH given');
  for (const id of [...(args.values.rule ?? []), ...(args.values.disable ?? [])]) {
    if (!RULE_IDS.includes(canonicalRuleId(id))) fail(`unknown rule "${id}" (rules: ${RULE_IDS.join(', ')})`);
    const note = renamedRuleNote(id);
    if (note) process.stderr.write(`kport: ${note}\n`);
  }
  // Former rule ids name the rule they became from here on.
  if (args.values.rule) args.values.rule = args.values.rule.map(canonicalRuleId);
  if (args.values.disable) args.values.disable = args.values.disable.map(canonicalRuleId);
  let jobs: number | undefined;
  if (args.values.jobs !== undefined) {
    jobs = Number(args.values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) fail(`--jobs wants a positive integer, not "${args.values.jobs}"`);
  }
  if (args.values.target !== undefined) {
    const { problem } = resolveTarget(args.values.target);
    if (problem) fail(`--target: ${problem.replace(/: using .*$/, '')}`);
  }
  if (args.values.diff && command === 'check' && !args.values.fix) fail('--diff goes with fix (or check --fix)');
  if (args.values.diff && format !== 'text') fail('--diff prints a patch; it takes no --format');
  const internal = internalSwitches();
  const mode: Mode = internal.parseOnly ? 'parse-only' : command === 'fix' || args.values.fix ? (args.values.diff ? 'diff' : 'fix') : 'check';

  const { files, errors } = expandPaths(args.positionals);
  // A pooled run goes to a child node with V8's background threads tamed, before anything is printed.
  if (poolThreads(files.length, jobs) > 1 && !isTunedChild() && nodeTakesPoolFlags()) return runTuned(argv);

  let ioError = false;
  const configFile = args.values.config ?? findConfigFile(path.resolve(args.positionals[0].replace(/[*?[{].*$/, '') || '.'));
  let fileConfig: KportConfig | undefined;
  if (configFile) {
    const { config, problems } = loadConfigFile(configFile);
    fileConfig = config;
    for (const p of problems) process.stderr.write(`kport: ${p}\n`);
    if (!config && args.values.config) ioError = true;
  }
  const disabled: KportConfig = { rules: Object.fromEntries((args.values.disable ?? []).map((id) => [id, 'off' as const])) };
  // --target wins over .kport.json's "target".
  const config = mergeConfigs(fileConfig, disabled, args.values.target !== undefined ? { rules: {}, target: args.values.target.trim() } : undefined);

  for (const e of errors) process.stderr.write(`kport: ${e}\n`);
  if (errors.length) ioError = true;

  const progress = Progress.forStderr();
  const poolOptions = { jobs, maxWorkerHeapMb: 1024, onProgress: (d: number, t: number, b: number) => progress.update(d, t, b) };
  // A file holding none of the enabled rules' triggers is read, not parsed (the bench can turn that off).
  const _base = { config, only: args.values.rule, prefilter: !internal.noPrefilter };
  let reports: FileReport[];
  // One pool for every pass: its workers stay warm.
  const pool = new WorkerPool(files.length, poolOptions);
  const phases: Record<PassName, string> = {
    'one pass': 'checking',
    'pass 1': 'checking',
    'pass 1b': 'cross-file calls',
    'pass 2': 'cross-file re-check',
    fix: 'fixing',
  };
  try {
    ({ reports } = await runCheckPlan(files, pool, {
      mode,
      config,
      only: args.values.rule,
      prefilter: !internal.noPrefilter,
      onPass: (pass) => progress.phase(phases[pass]),
      afterPass: (pass, r, names) => trace(names === undefined ? pass : `${pass} (${names} names)`, r),
    }));
  } finally {
    pool.close();
  }
  progress.done();
  // Findings in `#ifdef` branches of macros only another file could define: dead if none does.
  const deadWithoutTree = decideDeadFindings(reports);

  const notifications: { file?: string; message: string; level: 'error' | 'warning' }[] = [];
  if (deadWithoutTree) {
    process.stderr.write(`kport: ${deadWithoutTree}\n`);
    notifications.push({ message: deadWithoutTree, level: 'warning' });
  }
  for (const r of reports) {
    if (r.error) {
      process.stderr.write(`kport: ${r.file}: ${r.error}\n`);
      notifications.push({ file: r.file, message: r.error, level: 'error' });
      ioError = true;
    }
    if (r.warning) {
      process.stderr.write(`kport: ${r.file}: ${r.warning}\n`);
      notifications.push({ file: r.file, message: r.warning, level: 'warning' });
      if (/could not write/.test(r.warning)) ioError = true;
    }
  }
  for (const e of errors) notifications.push({ message: e, level: 'error' });

  if (mode === 'parse-only') {
    const bytes = reports.reduce((s, r) => s + r.bytes, 0);
    process.stdout.write(JSON.stringify({ files: reports.length, bytes }) + '\n');
    return ioError ? 2 : 0;
  }
  const color = format === 'text' && !args.values['no-color'] && !!process.stdout.isTTY && !process.env.NO_COLOR;
  if (mode === 'diff') {
    // stdout is the patch alone (`kport fix --diff . | git apply`), in each file's own encoding.
    for (const r of reports) if (r.fix?.diff) process.stdout.write(encode(r.fix.diff, r.encoding ?? 'utf8'));
    if (format === 'text') process.stderr.write(formatText(reports, { color: false, mode }));
  }
  if (format === 'json') process.stdout.write(formatJson(reports));
  else if (format === 'sarif') process.stdout.write(JSON.stringify(formatSarif(reports, { version: version(), notifications }), null, 2) + '\n');
  else if (mode !== 'diff') process.stdout.write(formatText(reports, { color, mode }));
  const errorsFound = reports.some((r: FileReport) => r.findings.some((f) => f.severity === 'error'));
  return ioError ? 2 : errorsFound ? 1 : 0;
}

if (require.main === module || process.env.KPORT_CLI_MAIN === '1') {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`kport: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
