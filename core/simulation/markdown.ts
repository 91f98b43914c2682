/** Markdown for hovers: a call's outcome per memory scenario, and a function's sequences. */
import type { ScenarioName, StepResult } from '../sim';
import type { FunctionSimulation } from './run';
import { SCENARIOS, stepsForCall } from './run';
import type { Span } from '../text/span';

const LABEL: Record<ScenarioName, string> = { normal: 'normal', pressure: 'under pressure', exhausted: 'exhausted' };

const ICON: Record<string, string> = {
  ok: '✅',
  slept: '💤',
  null: '∅',
  'never-returns': '⛔',
  bug: '💥',
  'sleep-in-atomic': '💥',
  error: '⚠️',
  leak: '⚠️',
  unknown: '❔',
};

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function outcomeCell(step: StepResult | undefined): string {
  if (!step) return '— (not reached on this path)';
  const o = step.outcome;
  const latent = o.kind === 'ok' && step.maySleep && step.trace.some((t) => t.maySleep) ? ' — would sleep under pressure' : '';
  return `${ICON[o.kind] ?? ''} **${o.kind}** ${cell(o.message)}${latent}`;
}

/** The decisive trace rules of a step, compactly ("zone.low-watermark → kswapd.wake → …"). */
function traceLine(step: StepResult | undefined): string {
  if (!step || !step.trace.length) return '';
  return step.trace
    .slice(0, 8)
    .map((t) => `\`${t.rule}\``)
    .join(' → ');
}

export function callSimulationMarkdown(sim: FunctionSimulation, callSpan: Span, contextLine: string): string | null {
  const hit = stepsForCall(sim, callSpan);
  if (!hit) return null;
  const lines: string[] = [];
  lines.push(`**Simulated on the 2.6 allocator** (default 256 MiB machine) — ${contextLine}`, '');
  const before = hit.path.conditions.slice(0, hit.path.condAt[hit.index] ?? hit.path.conditions.length);
  if (before.length) lines.push(`Path: ${before.map((c) => `\`${cell(c)}\``).join(' → ')}`, '');
  lines.push('| memory | outcome | decided by |', '|---|---|---|');
  for (const sc of SCENARIOS) lines.push(`| ${LABEL[sc]} | ${outcomeCell(hit.steps[sc])} | ${traceLine(hit.steps[sc])} |`);
  lines.push('', functionSummaryLine(sim));
  return lines.join('\n');
}

export function functionSummaryLine(sim: FunctionSimulation): string {
  if (!sim.problems.length) return `**${sim.fn}()** as a whole: no BUG, no sleep in atomic context, no endless wait in any scenario (${sim.paths.length} path${sim.paths.length === 1 ? '' : 's'}).`;
  return `**${sim.fn}()** as a whole:\n${sim.problems.slice(0, 6).map((p) => `- ${cell(p)}`).join('\n')}`;
}

export function functionSimulationMarkdown(sim: FunctionSimulation): string {
  const lines = [`**${sim.fn}()** — ${sim.initialContext === 'process' ? 'runs in process context' : `runs in ${sim.initialContext} context: ${sim.contextWhy ?? ''}`}`, ''];
  sim.paths.slice(0, 4).forEach((p, i) => {
    const steps = p.results.normal.steps.filter((s) => s.op.op !== 'context' && s.outcome.kind !== 'leak');
    if (!steps.length && sim.paths.length > 1) return;
    lines.push(`**Path ${i + 1}**${p.conditions.length ? `: ${p.conditions.map((c) => `\`${cell(c)}\``).join(' → ')}` : ''}`, '');
    lines.push('| step | normal | pressure | exhausted |', '|---|---|---|---|');
    for (const s of steps.slice(0, 12)) {
      const at = (sc: ScenarioName) => p.results[sc].steps.find((x) => x.index === s.index);
      const short = (x: StepResult | undefined) => (x ? `${ICON[x.outcome.kind] ?? ''} ${x.outcome.kind}` : '—');
      lines.push(`| \`${cell(s.source?.text ?? s.op.op)}\` (line ${s.source?.line ?? '?'}) | ${short(at('normal'))} | ${short(at('pressure'))} | ${short(at('exhausted'))} |`);
    }
    lines.push('');
  });
  if (sim.truncated) lines.push(`_Only the first ${sim.paths.length} paths are simulated._`, '');
  lines.push(functionSummaryLine(sim));
  return lines.join('\n');
}
