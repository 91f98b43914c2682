/** Rule fixtures: C files whose `@expect RULE[,RULE]` comments label the lines where findings must start. */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './lsp-client';
import { RULES, type Severity } from '../../core';

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'rules');

export interface Fixture {
  file: string;
  /** Path as the analysis sees it (directory names matter to gfp-buffer). */
  virtualPath: string;
  text: string;
  /** "line:rule" for every expected finding (1-based lines). */
  expected: Set<string>;
  /** "line:rule" for labeled non-findings: tricky lines the rule must stay silent on. */
  negatives: Set<string>;
  /**
   * Target kernels (setting `target`) the fixture is also checked for, each against its own golden file
   * (`X.c.target-6.1.expect`): named by `@targets 2.6.11 6.1` or by labels `@expect@6.1 RULE`, which list
   * findings that target must have.
   */
  targets: Map<string, Set<string>>;
}

export function loadFixtures(ruleDir?: string): Fixture[] {
  const out: Fixture[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.[ch]$/.test(e.name)) {
        const text = fs.readFileSync(p, 'latin1');
        const expected = new Set<string>();
        const negatives = new Set<string>();
        const targets = new Map<string, Set<string>>();
        const forTarget = (t: string) => targets.get(t) ?? targets.set(t, new Set()).get(t)!;
        text.split('\n').forEach((line, i) => {
          for (const m of line.matchAll(/@targets((?: [\d.]+)+)/g)) for (const t of m[1].trim().split(' ')) forTarget(t);
          for (const m of line.matchAll(/@expect@([\d.]+) ([\w,-]+)/g)) for (const r of m[2].split(',')) forTarget(m[1]).add(`${i + 1}:${r}`);
          for (const m of line.matchAll(/@expect ([\w,-]+)/g)) for (const r of m[1].split(',')) expected.add(`${i + 1}:${r}`);
          for (const m of line.matchAll(/@ok ([\w,-]+)/g)) for (const r of m[1].split(',')) negatives.add(`${i + 1}:${r}`);
        });
        out.push({ file: p, virtualPath: path.relative(FIXTURES, p), text, expected, negatives, targets });
      }
    }
  };
  walk(ruleDir ? path.join(FIXTURES, ruleDir) : FIXTURES);
  return out;
}

export function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Every C file we wrote: the examples and all test fixtures (rules, workspace, SARIF, simulation). */
export function ourSources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.[ch]$/.test(e.name)) out.push({ file: path.relative(ROOT, p), text: fs.readFileSync(p, 'latin1') });
    }
  };
  walk(path.join(ROOT, 'examples'));
  walk(path.join(ROOT, 'test', 'fixtures'));
  return out;
}

/**
 * The opt-in rules (RuleMeta.optIn: off by default) turned on, as a config's `rules`: the fixtures, the labeled set
 * and the meta tests show what every rule finds when it runs.
 */
export const OPT_IN_ON: Readonly<Record<string, Severity>> = Object.fromEntries(RULES.filter((r) => r.optIn).map((r) => [r.id, r.severity]));
