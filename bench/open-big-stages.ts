/**
 * CPU per stage of a big document's first analysis (the editor's staged open), in process: neutralize,
 * tree-sitter, the facts (FileFacts.functions), the rules that need no context (the first publish) and the
 * others (the second). The document is bench/editor.ts's ~1 MB file made of the files given.
 *
 *   node --import tsx bench/open-big-stages.ts FILE... [--runs 5]
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { analyze } from '../core/analyze';
import { FileFacts, FunctionCache } from '../core/facts/file-facts';
import { CONTEXT_ANCHORS } from '../core/kernel/alloc-api';
import { neutralize } from '../core/parse/neutralize';
import { RULES } from '../core/rules/index';
import { diskEnv } from '../server/node/headers';
import { decode } from '../server/node/text-file';
import { loadParser } from '../server/node/wasm';
import { cpuTimeMs } from '../test/support/cpu-time';

const TRIGGERS = [...new Set([...RULES.flatMap((r) => r.triggers), ...CONTEXT_ANCHORS])];

const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: 'string', default: '5' } } });

const cpu = (f: () => void): number => cpuTimeMs(f).cpuMs;

async function main(): Promise<void> {
  const parser = await loadParser();
  let big = '';
  for (const f of positionals) big += decode(fs.readFileSync(f)).text + '\n';
  while (big.length < 1_000_000) big += big;
  big = big.slice(0, 1_000_000);
  big = big.slice(0, big.lastIndexOf('\n}\n') + 3);
  const path = `${positionals[0]}.kport-bench-1mb.c`;
  console.log(
    `load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${(big.length / 1e6).toFixed(2)} MB`,
  );
  for (let run = 0; run < Number(values.runs); run++) {
    const ms: Record<string, number> = {};
    ms.neutralize = cpu(() => neutralize(big));
    let parsed!: ReturnType<typeof parser.parse>;
    ms.parse = cpu(() => {
      parsed = parser.parse(big);
    });
    let facts!: FileFacts;
    ms.facts = cpu(() => {
      facts = new FileFacts(parsed, path, new FunctionCache());
      void facts.functions;
    });
    // What the lead's lazy IR could save: the functions that hold a trigger (any rule's, or a context
    // anchor's) or name such a function, up to the top (FileFacts' summaryFor, as the CLI's pass 1b reads them).
    let some!: FileFacts;
    ms.factsTriggered = cpu(() => {
      some = new FileFacts(parsed, path, new FunctionCache(), TRIGGERS);
    });
    if (run === 0) console.log(`functions: ${facts.functions.length}; holding or naming a trigger: ${some.functions.length}`);
    const env = diskEnv(facts, path);
    let first!: ReturnType<typeof analyze>;
    ms.local = cpu(() => {
      first = analyze(facts, { env, rules: (r) => !r.needs.context });
    });
    ms.context = cpu(() => {
      analyze(facts, { env, shared: first.shared, rules: (r) => r.needs.context });
    });
    const first_ = ms.parse + ms.facts + ms.local;
    console.log(
      `run ${run}: CPU ms ${Object.entries(ms)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')}; first publish ${first_.toFixed(0)} (parse includes neutralize)`,
    );
    parsed.dispose();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
