import type { Related } from '../text/related';
import type { CallSimulation, FunctionSimulation, ScenarioVerdict } from './run';
import { callProblemLine } from './run';
import { SCENARIOS, SCENARIO_WORDS } from './scenarios';
import { atomicCause, irqsEnabledInsideClause, kernelWords, observedSleep } from './observed';

/** The allocator the simulation models, named in every verdict. */
/** "Linux 2.6.11's allocator (256 MiB, 1 CPU)": every verdict names the machine it was simulated on. */
export const simulatedOn = (machine: string) => `Linux 2.6.11's allocator (${machine})`;

/** Markdown links for locations: the adapter knows URIs, core only files and lines. */
export interface LinkOptions {
  /** `[text](target)` for a line of this file (file undefined) or of another workspace file. */
  link?: (file: string | undefined, line: number, text: string) => string;
  /** A command link opening the Simulate view at a line of this file, when the editor offers one. */
  simulateLink?: (line: number) => string | null;
  /** One line about the call's GFP mask, shown under the verdicts. */
  maskLine?: string;
}

const escapeMd = (s: string) => s.replace(/([\\`*_[\]|<>])/g, '\\$1').replace(/\s+/g, ' ');
/** Our own sentences quote code in backticks: escape the rest, keep the code spans. */
// Code in prose (calls, identifiers with underscores) goes in code spans: read as code, and never taken for emphasis.
const CODE_LIKE = /(?<![\w`])(?:[A-Za-z_]\w*\((?:[^()]|\([^()]*\))*\)|\w*_\w*)/g;
const codeSpan = (s: string) => `\`${s.replace(/`/g, "'").replace(/\s+/g, ' ')}\``;
const proseText = (s: string) => {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(CODE_LIKE)) {
    out += escapeMd(s.slice(last, m.index)) + codeSpan(m[0]);
    last = m.index! + m[0].length;
  }
  return out + escapeMd(s.slice(last));
};
const escapeProse = (s: string) =>
  s
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 ? part : proseText(part)))
    .join('');

const KIND_WORD: Record<string, string> = {
  ok: 'ok',
  slept: 'ok after sleeping',
  null: 'returns NULL',
  'never-returns': 'never returns',
  bug: 'BUG()',
  'sleep-in-atomic': 'sleeps in atomic context',
  error: 'error',
  unknown: 'unknown',
  'not-reached': 'not reached',
};

/** "returns NULL", "sleeps in atomic context (not now: …)": the verdict's kind in words. */
export function verdictWord(v: ScenarioVerdict): string {
  if (v.kind === 'sleep-in-atomic' && v.latent) return 'may sleep in atomic context';
  if (v.kind === 'never-returns' && v.code === 'alloc-loop') return 'never returns (retries until memory is freed)';
  // mempool_resize returns an int (2.6.11 mm/mempool.c:132,157-158), not a pointer.
  if (v.kind === 'null' && v.code === 'resize-enomem') return 'returns -ENOMEM';
  if (v.kind === 'ok' && v.code === 'resize-short') return 'returns 0, pool short of new_min_nr';
  if (v.kind === 'error' && v.code === 'does-not-build') return 'does not build';
  return KIND_WORD[v.kind] ?? v.kind;
}

/** The explanation after the word, short and whole (never cut in the middle of a number). */
export function verdictDetail(v: ScenarioVerdict, max = 160, at?: Pick<CallSimulation, 'context' | 'kernel'>): string {
  // Size not known: the outcome at each plausible size says more than the stand-in's message.
  const sameAtEverySize = v.sizes?.every((x) => x.kind === v.sizes![0].kind && x.latent === v.sizes![0].latent);
  if (v.sizes && !sameAtEverySize)
    return v.sizes.map((s) => `${s.label}: ${s.latent ? 'may sleep in atomic context' : (KIND_WORD[s.kind] ?? s.kind)}`).join(' · ');
  // A sleep in atomic context: what this kernel configuration shows of it (observed.ts), not the simulator's step.
  let text =
    v.kind === 'sleep-in-atomic' && at
      ? observedSleep(atomicCause(at.context.kind, at.context.reason), at.kernel, !v.latent)
      : v.latent
        ? 'memory is plentiful, so it does not sleep now; a debug kernel (CONFIG_DEBUG_SPINLOCK_SLEEP) warns "sleeping function called from invalid context" on every call'
        : v.message.split('. Then:')[0];
  text = text.replace(/\s+/g, ' ').trim();
  if (text.length > max) {
    const cut = text.lastIndexOf(' ', max - 1);
    text = `${text.slice(0, cut > max / 2 ? cut : max - 1)}…`;
  }
  const irqClause = v.irqsEnabledInside && at ? irqsEnabledInsideClause(atomicCause(at.context.kind, at.context.reason)) : null;
  if (irqClause) text = `${text}; ${irqClause}`;
  const extra: string[] = [];
  if (sameAtEverySize) extra.push('the same at a small, a one-page and a 32 KiB size');
  if (v.total > 1 && v.feasible < v.total) extra.push(`${v.feasible} of ${v.total} paths to it can happen here`);
  if (v.others.length) extra.push(`otherwise: ${v.others.map((k) => KIND_WORD[k] ?? k).join(', ')}`);
  return extra.length ? `${text} (${extra.join('; ')})` : text;
}

function relatedLinks(related: Related[], opts: LinkOptions): string {
  if (!opts.link) return ''; // the reason's own text names the lines already
  const links = related
    .filter((r) => r.line !== undefined || r.file === undefined)
    .slice(0, 3)
    .map((r) => {
      const line = r.line ?? 0;
      const where = r.file ? `${r.file.split('/').pop()}:${line}` : `line ${line}`;
      return opts.link!(r.file, line, where);
    });
  return links.length ? ` (${links.join(', ')})` : '';
}

/** The one-line verdict a finding's message carries: "Simulated on …: normal memory: ok; under pressure: …". */
export function callVerdictSentence(c: CallSimulation): string | null {
  if (!c.verdicts) return null;
  const parts = SCENARIOS.map((sc) => `${SCENARIO_WORDS[sc]}: ${verdictWord(c.verdicts![sc])}`);
  const size = c.unknownSize ? ` Size \`${c.unknownSize}\` is not a constant: the worst of small, one-page and multi-page sizes.` : '';
  return `Simulated on ${simulatedOn(c.machine)}: ${parts.join('; ')}.${size}`;
}

/**
 * A call's hover: the context and why, one verdict line per scenario, what is unknown, and the paths — details
 * one click away (the Simulate view).
 */
export function callHoverMarkdown(c: CallSimulation, callText: string, opts: LinkOptions = {}): string {
  const lines: string[] = [];
  const context =
    c.context.kind === 'process'
      ? 'process context (may sleep)'
      : `**atomic context**: ${escapeProse(c.context.reason ?? '')}${relatedLinks(c.context.related, opts)}`;
  lines.push(`${codeSpan(callText)} at line ${c.line} runs in ${context}.`, '');
  if (!c.verdicts) {
    lines.push(`Not simulated: ${escapeProse(c.missed ?? 'no path reaches it')}.`);
    return lines.join('\n');
  }
  // The simulator models 2.6.11 (the article's allocator): a later target's allocator differs, and the hover says so.
  lines.push(
    `Simulated on ${simulatedOn(c.machine)}${c.laterTarget ? ` — the 2.6 allocator the article describes, not your ${c.laterTarget} target's` : ''}:`,
    '',
  );
  for (const sc of SCENARIOS) {
    const v = c.verdicts[sc];
    lines.push(`- ${SCENARIO_WORDS[sc]}: **${verdictWord(v)}** — ${escapeProse(verdictDetail(v, 220, c))}`);
  }
  if (c.context.kind !== 'process' && c.verdicts && SCENARIOS.some((sc) => c.verdicts![sc].kind === 'sleep-in-atomic'))
    lines.push('', `As seen on ${escapeProse(kernelWords(c.kernel))} (settings \`simulation.preempt\`, \`simulation.debugSleep\`).`);
  if (c.maskReplaced)
    lines.push('', `\`${c.maskReplaced.from}\` is gone in 2.6: simulated as \`${c.maskReplaced.to}\`, the replacement its quick fix suggests for this file.`);
  if (c.unknownSize) lines.push('', `Size \`${c.unknownSize.replace(/`/g, '')}\` is not a constant: each line is the worst of the plausible sizes shown.`);
  const impossible = c.paths.flatMap((p, i) => SCENARIOS.filter((sc) => !p.feasibility[sc].feasible).map((sc) => ({ i, sc, why: p.feasibility[sc].why! })));
  const pathLine = `${c.paths.length} path${c.paths.length === 1 ? '' : 's'} reach${c.paths.length === 1 ? 'es' : ''} this call${c.truncated ? ' (the function has more: not all were followed)' : ''}`;
  if (c.simulatedAlone)
    lines.push('', `${escapeProse(c.simulatedAlone.charAt(0).toUpperCase() + c.simulatedAlone.slice(1))}: the call is simulated alone, in the context above.`);
  else
    lines.push(
      '',
      impossible.length
        ? `${pathLine}; ${escapeProse(impossible[0].why)} under ${SCENARIO_WORDS[impossible[0].sc]}, so that path cannot happen there.`
        : `${pathLine}.`,
    );
  if (opts.maskLine) lines.push('', opts.maskLine);
  const link = opts.simulateLink?.(c.line);
  if (link) lines.push('', link);
  return lines.join('\n');
}

/** A function's verdict: every allocation call it makes, and what was covered. Never "no problem" unsimulated. */
export function functionSummaryLine(sim: FunctionSimulation): string {
  const reached = sim.calls.filter((c) => c.verdicts).length;
  const missed = sim.calls.length - reached;
  const covered = `${reached} of ${sim.calls.length} allocation call${sim.calls.length === 1 ? '' : 's'} simulated in their context${missed ? ` (${missed} not: ${sim.calls.find((c) => !c.verdicts)?.missed})` : ''}`;
  // 2.6 retries small sleeping allocations until memory is freed: a wait, by design, not this code's bug.
  const waits = sim.calls.filter((c) => c.verdicts && SCENARIOS.some((sc) => c.verdicts![sc].code === 'alloc-loop')).length;
  const designWait = waits
    ? ` In exhausted memory ${waits === 1 ? 'one call waits' : `${waits} calls wait`} until memory is freed, as 2.6 does for small sleeping allocations.`
    : '';
  if (!sim.problems.length) return `**${sim.fn}()**: no BUG, no sleep in atomic context and no endless wait of its own for the ${covered}.${designWait}`;
  return `**${sim.fn}()**: ${sim.problems.length} call${sim.problems.length === 1 ? '' : 's'} with a problem (${covered}):\n${sim.problems
    .slice(0, 8)
    .map((p) => `- ${escapeProse(p)}`)
    .join('\n')}`;
}

/** The hover on a function's name: one line per allocation call (its verdict per scenario), then the summary. */
export function functionSimulationMarkdown(sim: FunctionSimulation): string {
  const lines = [
    `**${sim.fn}()** — ${sim.initialContext === 'process' ? 'runs in process context' : `runs in ${sim.initialContext} context: ${escapeProse(sim.contextWhy ?? '')}`}. Simulated on ${simulatedOn(sim.machine)}.`,
    '',
  ];
  for (const c of sim.calls.slice(0, 12)) {
    const verdict = c.verdicts
      ? SCENARIOS.map((sc) => `${SCENARIO_WORDS[sc]}: ${verdictWord(c.verdicts![sc])}`).join(' · ')
      : `not simulated: ${escapeProse(c.missed ?? '')}`;
    lines.push(`- line ${c.line} \`${c.call}()\`${c.context.kind === 'process' ? '' : ' (atomic)'}: ${verdict}`);
  }
  if (sim.calls.length > 12) lines.push(`- … ${sim.calls.length - 12} more`);
  lines.push('', functionSummaryLine(sim));
  return lines.join('\n');
}

export { callProblemLine };
