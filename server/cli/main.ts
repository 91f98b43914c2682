/** `kport` command line: check, fix and lsp. Exit codes: 0 clean, 1 error-severity findings, 2 usage or I/O error. */
import path from 'node:path';
import { parseArgs, styleText } from 'node:util';
import { mergeConfigs, RULE_IDS, type KportConfig } from '../../core';
import { findConfigFile, loadConfigFile } from '../node/config-file';
import { loadParser } from '../node/wasm';
import { checkFile, type FileResult } from './check-file';
import { expandPaths } from './files';

const USAGE = `usage: kport check [options] PATH...
       kport lsp [--stdio | --node-ipc | --socket=PORT]

Finds Linux 2.4-era memory-allocation API usage and suggests the 2.6 replacement.

options for check:
  --format text|json     output format (default text)
  --rule ID              run only this rule (repeatable)
  --disable ID           turn a rule off (repeatable)
  --config FILE          rule settings (default: nearest .kport.json)
  --no-color             plain text output
  -h, --help             this help

exit status: 0 no error-severity findings, 1 error-severity findings, 2 usage or I/O error`;

function fail(message: string): never {
  process.stderr.write(`kport: ${message}\n${USAGE}\n`);
  process.exit(2);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help') {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  if (command === 'lsp') {
    const { startServer } = await import('../lsp/server');
    startServer();
    return -1; // keeps running
  }
  if (command !== 'check') fail(`unknown command "${command}"`);
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
  if (!['text', 'json'].includes(format)) fail(`unknown format "${format}" (text, json)`);
  if (args.positionals.length === 0) fail('no PATH given');
  for (const id of [...(args.values.rule ?? []), ...(args.values.disable ?? [])]) if (!RULE_IDS.includes(id)) fail(`unknown rule "${id}" (rules: ${RULE_IDS.join(', ')})`);

  let ioError = false;
  const configFile = args.values.config ?? findConfigFile(path.resolve(args.positionals[0]));
  let fileConfig: KportConfig | undefined;
  if (configFile) {
    const { config, problems } = loadConfigFile(configFile);
    fileConfig = config;
    for (const p of problems) process.stderr.write(`kport: ${p}\n`);
    if (!config && args.values.config) ioError = true;
  }
  const disabled: KportConfig = { rules: Object.fromEntries((args.values.disable ?? []).map((id) => [id, 'off' as const])) };
  const config = mergeConfigs(fileConfig, disabled);

  const { files, errors } = expandPaths(args.positionals);
  for (const e of errors) process.stderr.write(`kport: ${e}\n`);
  if (errors.length) ioError = true;

  const parser = await loadParser();
  const results: FileResult[] = [];
  for (const file of files) {
    const r = checkFile(parser, file, { config, only: args.values.rule });
    if (r.error) {
      process.stderr.write(`kport: ${file}: ${r.error}\n`);
      if (!r.text) ioError = true;
    }
    results.push(r);
  }

  const color = format === 'text' && !args.values['no-color'] && process.stdout.isTTY && !process.env.NO_COLOR;
  const out = format === 'json' ? formatJson(results) : formatText(results, color);
  process.stdout.write(out);
  const errorsFound = results.some((r) => r.findings.some((f) => f.severity === 'error'));
  return ioError ? 2 : errorsFound ? 1 : 0;
}

function formatText(results: FileResult[], color: boolean): string {
  const paint = (style: Parameters<typeof styleText>[0], s: string) => (color ? styleText(style, s) : s);
  const sevStyle = { error: 'red', warning: 'yellow', info: 'cyan', hint: 'gray' } as const;
  const lines: string[] = [];
  let count = 0;
  for (const r of results) {
    for (const f of r.findings) {
      const p = r.lines!.positionAt(f.span.start);
      lines.push(`${paint('bold', `${r.file}:${p.line + 1}:${p.character + 1}:`)} ${paint(sevStyle[f.severity], f.severity + ':')} ${f.message} ${paint('dim', `[${f.rule}]`)}`);
      count++;
    }
  }
  lines.push(`${count} finding${count === 1 ? '' : 's'} in ${results.filter((r) => r.findings.length).length} of ${results.length} files`);
  return lines.join('\n') + '\n';
}

function formatJson(results: FileResult[]): string {
  const diagnostics = results.flatMap((r) =>
    r.findings.map((f) => {
      const s = r.lines!.positionAt(f.span.start);
      const e = r.lines!.positionAt(f.span.end);
      return { file: r.file, line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1, rule: f.rule, severity: f.severity, message: f.message };
    }),
  );
  return JSON.stringify({ version: 1, diagnostics }, null, 2) + '\n';
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
