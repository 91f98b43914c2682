/** `kport simulate PATH...`: each driver file's lifetime on the 2.6 allocator (text or JSON). */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { analyze, resolveMachine, driverSimulationText, FileFacts, simulatedOn, simulateDriver, toSimulateDriverResult } from '../../core';
import { expandPaths } from '../check/files';
import { decode } from '../node/text-file';
import { loadParser } from '../node/wasm';
import { findConfigFile, loadConfigFile } from '../node/config-file';

export const SIMULATE_USAGE = `usage: kport simulate [--format text|json] [--runs N] [--machine M] PATH...

Runs each driver file's lifetime on Linux 2.6.11's allocator, under normal memory, pressure and
exhaustion: module init, probe, open, ioctl, the interrupt handler and timers firing N times (default 8),
release, remove, module exit. Reports leaks at exit, BUGs, sleeps in atomic context, endless waits and
atomic allocations that return NULL (a drained mempool reserve). Only .c files are simulated.

  --machine M   pc-256m (default), embedded-32m, server-2g, or a memory size in MiB
                (default: the nearest .kport.json's "simulation": {"machine": ...})`;

/** Exit status: 0 no problem, 1 some file has a problem, 2 usage or I/O error. */
export async function runSimulate(argv: string[], fail: (message: string) => never): Promise<number> {
  // biome-ignore lint/suspicious/noImplicitAnyLet: parseArgs infers its result from the options inside the try
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'text' },
        runs: { type: 'string' },
        machine: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  if (args.values.help) {
    process.stdout.write(SIMULATE_USAGE + '\n');
    return 0;
  }
  const format = args.values.format!;
  if (format !== 'text' && format !== 'json') fail(`simulate: unknown format "${format}" (text, json)`);
  const runs = args.values.runs === undefined ? 8 : Number(args.values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 64) fail(`--runs wants an integer from 1 to 64, not "${args.values.runs}"`);
  if (!args.positionals.length) fail('simulate: no PATH given');
  // --machine, else the nearest .kport.json's simulation.machine, else the default PC.
  const configFile = args.values.config ?? findConfigFile(process.cwd());
  const fromFile = configFile ? loadConfigFile(configFile).config : undefined;
  const resolved = resolveMachine(args.values.machine ?? fromFile?.machine);
  if (resolved.problem) fail(resolved.problem.replace(/: using pc-256m$/, ''));
  const machine = resolved.machine;
  const { files, errors } = expandPaths(args.positionals);
  let status = errors.length ? 2 : 0;
  for (const e of errors) process.stderr.write(`kport: ${e}\n`);
  const parser = await loadParser();
  const out: unknown[] = [];
  for (const file of files.filter((f) => f.endsWith('.c'))) {
    let text: string;
    try {
      text = decode(fs.readFileSync(file)).text;
    } catch (e) {
      process.stderr.write(`kport: ${file}: ${(e as Error).message}\n`);
      status = 2;
      continue;
    }
    const parsed = parser.parse(text);
    try {
      const facts = new FileFacts(parsed, file);
      const { shared } = analyze(facts, { simulate: false, env: { machine } });
      const d = simulateDriver(shared, file, { runs });
      if (!d.phases.length && format === 'text' && files.length > 1) continue; // not a driver file: nothing to say
      if (d.problems.length && status === 0) status = 1;
      if (format === 'json') {
        const { paths: _paths, ...summary } = toSimulateDriverResult(d);
        out.push({ file, ...summary });
      } else process.stdout.write(driverSimulationText(d));
    } finally {
      parsed.dispose();
    }
  }
  if (format === 'json') process.stdout.write(JSON.stringify({ simulatedOn: simulatedOn(machine.label), files: out }, null, 2) + '\n');
  return status;
}
