/**
 * Whether a big document's first stage (core/ide/document.ts: the rules that need no context, on the IR of the
 * functions that name one of their triggers) finds, in every file of a tree, what they find on the whole file's
 * facts: the first publish must be among the final findings. Prints each file where it does not, and counts.
 *
 *   node --import tsx bench/staged-facts-check.ts PATH...
 */
import fs from 'node:fs';
import { analyze } from '../core/analyze';
import { FileFacts, FunctionCache } from '../core/facts/file-facts';
import type { ParsedFile } from '../core/parse/parser';
import { triggerTest } from '../core/relevance';
import type { Finding } from '../core/rules/types';
import { RULES } from '../core/rules/index';
import { diskEnv } from '../server/node/headers';
import { decode } from '../server/node/text-file';
import { loadParser } from '../server/node/wasm';
import { expandPaths } from '../server/check/files';

(async () => {
  const parser = await loadParser();
  const local = RULES.filter((r) => !r.needs.context);
  const triggers = [...new Set(local.flatMap((r) => r.triggers))];
  const pre = triggerTest(local);
  const { files } = expandPaths(process.argv.slice(2));
  let n = 0;
  let same = 0;
  let notSubset = 0;
  let fewer = 0;
  const key = (x: Finding) => `${x.rule} ${x.span.start} ${x.span.end} ${x.message}`;
  for (const f of files) {
    if (!f.endsWith('.c') && !f.endsWith('.h')) continue;
    const text = decode(fs.readFileSync(f)).text;
    if (!pre(text)) continue;
    n++;
    let parsed: ParsedFile;
    try {
      parsed = parser.parse(text, { maxMs: 5000 });
    } catch {
      continue;
    }
    try {
      const full = new FileFacts(parsed, f, new FunctionCache());
      const a = analyze(full, { env: diskEnv(full, f), rules: (r) => !r.needs.context }).findings.map(key);
      // As OpenDocument's first stage builds them.
      const some = new FileFacts(parsed, f, new FunctionCache(), triggers);
      const b = analyze(some, { env: diskEnv(some, f), rules: (r) => !r.needs.context }).findings.map(key);
      const as = new Set(a);
      const extra = b.filter((x) => !as.has(x));
      if (extra.length) {
        notSubset++;
        console.log('NOT SUBSET', f, extra.slice(0, 3));
      } else if (b.length === a.length) same++;
      else {
        fewer++;
        console.log('FEWER', f, a.filter((x) => !new Set(b).has(x)).slice(0, 2));
      }
    } finally {
      parsed.dispose();
    }
  }
  console.log(`files ${n}: same ${same}, fewer ${fewer}, not a subset ${notSubset}`);
})();
