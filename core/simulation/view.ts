/**
 * The simulation view as one self-contained HTML page (VS Code webview, or any browser): a
 * scenario switch, charts of the allocator state over the steps drawn as SVG here (no charting
 * runtime to ship or trust), the step table and the full trace. Colors come from the editor theme's
 * CSS variables, with fallbacks for a plain browser.
 */
import type { Snapshot, StepResult } from '../sim';
import { PHASE_LABEL } from './phases';
import { SCENARIOS, SCENARIO_WORDS } from './scenarios';
import type { SimulateDriverResult, SimulateResult } from './protocol';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

interface Series {
  name: string;
  values: number[];
  color: string;
  dashed?: boolean;
}

const COLORS = [
  'var(--vscode-charts-blue, #3794ff)',
  'var(--vscode-charts-orange, #d18616)',
  'var(--vscode-charts-green, #89d185)',
  'var(--vscode-charts-purple, #b180d7)',
  'var(--vscode-charts-red, #f14c4c)',
  'var(--vscode-charts-yellow, #cca700)',
];

/**
 * One line chart: x = step, y = value, scaled to the range the values move in (Normal's ~60,000 free pages
 * moving by 3 is a visible line, not a flat one); full width. The SVG carries its data for tests and tooling.
 */
export function lineChart(title: string, labels: string[], series: Series[], width = 960, height = 170): string {
  const pad = { l: 56, r: 12, t: 36, b: 26 };
  const n = Math.max(1, labels.length - 1);
  const all = series.flatMap((s) => s.values);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) hi = lo + 1;
  const margin = Math.max(1, Math.ceil((hi - lo) * 0.08));
  lo = Math.max(0, lo - margin);
  hi += margin;
  const x = (i: number) => pad.l + ((width - pad.l - pad.r) * i) / n;
  const y = (v: number) => pad.t + (height - pad.t - pad.b) * (1 - (v - lo) / (hi - lo));
  const lines = series
    .map(
      (s) =>
        `<polyline class="series" data-name="${esc(s.name)}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''} points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"><title>${esc(s.name)}</title></polyline>`,
    )
    .join('');
  const every = Math.max(1, Math.ceil(labels.length / 24));
  const ticks = labels
    .map((l, i) => (i % every ? '' : `<text x="${x(i).toFixed(1)}" y="${height - 8}" text-anchor="middle" class="tick">${esc(l)}</text>`))
    .join('');
  const legend = series.map((s, i) => `<tspan fill="${s.color}" dx="${i ? 12 : 0}">${s.dashed ? '- -' : '—'} ${esc(s.name)}</tspan>`).join('');
  return `<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="none" data-points="${series.reduce((a, s) => a + s.values.length, 0)}" data-series="${esc(JSON.stringify(series.map((s) => ({ name: s.name, values: s.values }))))}">
<text x="${pad.l}" y="13" class="title">${esc(title)}</text><text x="${pad.l}" y="27" class="legend">${legend}</text>
<line x1="${pad.l}" y1="${y(lo)}" x2="${width - pad.r}" y2="${y(lo)}" class="axis"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${y(lo)}" class="axis"/>
<text x="${pad.l - 6}" y="${pad.t + 4}" text-anchor="end" class="tick">${hi}</text><text x="${pad.l - 6}" y="${y(lo)}" text-anchor="end" class="tick">${lo}</text>
${lines}${ticks}</svg>`;
}

const moves = (series: Series[]) => series.some((s) => s.values.some((v) => v !== s.values[0]));

/** Charts of the state that moves on this run only: a zone's free pages near its watermarks, per-CPU lists, pools. */
function chartsFor(steps: StepResult[]): string {
  const withState = steps.filter((s) => s.state);
  if (withState.length < 2) return '';
  const labels = withState.map((s) => String(s.index + 1));
  const states = withState.map((s) => s.state as Snapshot);
  const charts: { title: string; series: Series[] }[] = [];
  for (const zone of states[0].zones.map((z) => z.name)) {
    const z = (st: Snapshot) => st.zones.find((q) => q.name === zone)!;
    const free: Series = { name: 'free', values: states.map((st) => z(st).free), color: COLORS[0] };
    if (!moves([free])) continue;
    charts.push({
      title: `Free pages — ${zone}`,
      series: [
        free,
        { name: 'pages_low', values: states.map((st) => z(st).low), color: COLORS[1], dashed: true },
        { name: 'pages_min', values: states.map((st) => z(st).min), color: COLORS[4], dashed: true },
      ],
    });
  }
  const perCpu = states[0].zones.flatMap((zone, i) => [
    { name: `${zone.name} hot`, values: states.map((st) => st.zones[i].hot), color: COLORS[(2 * i) % COLORS.length] },
    { name: `${zone.name} cold`, values: states.map((st) => st.zones[i].cold), color: COLORS[(2 * i + 1) % COLORS.length], dashed: true },
  ]);
  const movingCpu = perCpu.filter((s) => moves([s]));
  if (movingCpu.length) charts.push({ title: 'Per-CPU page lists (CPU 0)', series: movingCpu });
  const pools = [...new Set(states.flatMap((st) => st.pools.map((p) => p.ref)))];
  const poolSeries = pools.flatMap((ref, i) => [
    { name: `${ref} curr_nr`, values: states.map((st) => st.pools.find((p) => p.ref === ref)?.curr_nr ?? 0), color: COLORS[i % COLORS.length] },
    { name: `${ref} min_nr`, values: states.map((st) => st.pools.find((p) => p.ref === ref)?.min_nr ?? 0), color: COLORS[i % COLORS.length], dashed: true },
  ]);
  if (moves(poolSeries)) charts.push({ title: 'Mempool reserve (curr_nr)', series: poolSeries });
  return charts.map((c) => lineChart(c.title, labels, c.series)).join('\n');
}

function stepRows(steps: StepResult[]): string {
  return steps
    .map(
      (s) =>
        `<tr class="k-${esc(s.outcome.kind)}"><td>${s.index + 1}</td><td><code>${esc(s.source?.text ?? s.op.op)}</code></td><td>${s.source?.line ?? ''}</td><td class="kind">${esc(s.outcome.kind)}</td><td>${esc(s.outcome.message)}${s.slept ? ' <em>(slept)</em>' : ''}</td></tr>`,
    )
    .join('');
}

function traceList(steps: StepResult[]): string {
  return steps
    .map(
      (s) =>
        `<li><b>${s.index + 1}. ${esc(s.source?.text ?? s.op.op)}</b><ol>${s.trace.map((t) => `<li><code>${esc(t.rule)}</code> ${esc(t.detail)}</li>`).join('')}</ol></li>`,
    )
    .join('');
}

export interface ViewOptions {
  /** Webview CSP source (VS Code's webview.cspSource); absent in a plain browser. */
  cspSource?: string;
  nonce: string;
}

/** The first screen: every allocation call (problems first), its verdict per scenario, its context. */
function summaryTable(r: SimulateResult): string {
  if (!r.calls.length) return '<p>This function makes no allocation call kport simulates.</p>';
  const calls = [...r.calls].sort((a, b) => Number(isFlagged(b)) - Number(isFlagged(a)) || a.line - b.line);
  const rows = calls
    .map((c) => {
      const cells = c.verdicts
        ? SCENARIOS.map((sc) => {
            const v = c.verdicts![sc];
            return `<td class="verdict${v.problem ? ' problem' : ''}" data-scenario="${sc}" title="${esc(v.detail)}">${esc(v.word)}</td>`;
          }).join('')
        : `<td colspan="3" class="note">not simulated: ${esc(c.missed ?? '')}</td>`;
      const context = c.context.kind === 'process' ? 'process' : `<b>atomic</b>: ${esc(c.context.reason ?? '')}`;
      return `<tr class="call${isFlagged(c) ? ' flagged' : ''}" data-line="${c.line}"><td>${c.line}</td><td><code>${esc(c.call)}()</code>${c.unknownSize ? ` <span class="note">size ${esc(c.unknownSize)} unknown: worst of small/page/32 KiB</span>` : ''}</td><td>${context}</td>${cells}</tr>`;
    })
    .join('');
  return `<table class="summary"><thead><tr><th>line</th><th>call</th><th>context</th>${SCENARIOS.map((sc) => `<th>${SCENARIO_WORDS[sc]}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
}

const isFlagged = (c: SimulateResult['calls'][number]) => !!c.verdicts && SCENARIOS.some((sc) => c.verdicts![sc].problem);

/** A driver's lifetime: its phases in order, then its problems with the scenarios they happen in. */
function lifetimeSection(l: SimulateDriverResult['lifetime']): string {
  const phases = l.phases
    .map(
      (p) =>
        `<li>${esc(PHASE_LABEL[p.kind])}: <code>${esc(p.fn)}()</code> line ${p.line}${p.runs > 1 ? ` ×${p.runs}` : ''} <span class="note">${esc(p.how)}; ${esc(p.context)} context</span></li>`,
    )
    .join('');
  const problems = l.problems.length
    ? `<ul class="problems">${l.problems.map((p) => `<li><b class="problem">${esc(p.kind)}</b> (${p.scenarios.map((sc) => esc(SCENARIO_WORDS[sc])).join(', ')}): ${esc(p.message)}</li>`).join('')}</ul>`
    : '<p>No leak at exit, no BUG, no sleep in atomic context and no NULL from an atomic allocation in any scenario.</p>';
  const stops = SCENARIOS.filter((sc) => l.stoppedAt[sc])
    .map((sc) => `<p class="note">${esc(SCENARIO_WORDS[sc])}: the lifetime stops at ${esc(l.stoppedAt[sc]!)}</p>`)
    .join('');
  return `<ol class="phases">${phases}</ol>${l.skipped.map((x) => `<p class="note">Not run: ${esc(x)}</p>`).join('')}${l.exitUnchecked ? `<p class="note">Leaks at exit not checked: ${esc(l.exitUnchecked)}.</p>` : ''}<h2>Problems over the lifetime</h2>${problems}${stops}`;
}

export function renderSimulationHtml(r: SimulateResult, opts: ViewOptions): string {
  const lifetime = 'lifetime' in r ? (r as SimulateDriverResult).lifetime : null;
  const csp = `default-src 'none'; style-src 'unsafe-inline'${opts.cspSource ? ' ' + opts.cspSource : ''}; script-src 'nonce-${opts.nonce}';`;
  const flagged = r.calls.filter(isFlagged).length;
  const sections = r.paths
    .map((p, pi) =>
      SCENARIOS.map((sc) => {
        const steps = p.results[sc].steps;
        const f = p.feasibility?.[sc];
        const problem = steps.some((st) => st.outcome.kind === 'bug' || st.outcome.kind === 'sleep-in-atomic');
        return `<section class="run" data-scenario="${sc}" data-path="${pi}"${sc === 'normal' ? '' : ' hidden'}>
<details${pi === 0 ? ' open' : ''}><summary>Path ${pi + 1}${p.conditions.length ? `: ${p.conditions.map((c) => `<code>${esc(c)}</code>`).join(' → ')}` : ''}${problem ? ' <span class="problem">(problem)</span>' : ''}</summary>
${f && !f.feasible ? `<p class="infeasible">This path cannot happen ${esc(SCENARIO_WORDS[sc])}: ${esc(f.why ?? '')}. Its steps after that branch are shown for reference only.</p>` : ''}
${p.notes.length ? `<p class="note">${p.notes.map(esc).join('; ')}</p>` : ''}
<div class="charts">${chartsFor(steps)}</div>
<table class="steps"><thead><tr><th>#</th><th>call</th><th>line</th><th>outcome</th><th>what happened</th></tr></thead><tbody>${stepRows(steps)}</tbody></table>
<details><summary>Full trace</summary><ol class="trace">${traceList(steps)}</ol></details>
</details>
</section>`;
      }).join('\n'),
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>kport: simulate ${esc(r.function)}()</title>
<style>
body { font-family: var(--vscode-font-family, system-ui, sans-serif); color: var(--vscode-editor-foreground, #222); background: var(--vscode-editor-background, #fff); padding: 0 16px 24px; }
code { font-family: var(--vscode-editor-font-family, monospace); }
.switch { position: sticky; top: 0; padding: 6px 0; background: var(--vscode-editor-background, #fff); z-index: 1; }
.switch button { margin-right: 6px; padding: 4px 10px; border: 1px solid var(--vscode-button-border, #888); background: var(--vscode-button-secondaryBackground, #eee); color: var(--vscode-button-secondaryForeground, #222); cursor: pointer; }
.switch button[aria-pressed="true"] { background: var(--vscode-button-background, #0e639c); color: var(--vscode-button-foreground, #fff); }
.chart { display: block; margin: 8px 0; max-width: 1100px; } .chart .title { font-weight: 600; fill: currentColor; font-size: 12px; } .chart .tick, .chart .legend { fill: currentColor; font-size: 10px; opacity: .8; } .chart .axis { stroke: currentColor; opacity: .4; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border-bottom: 1px solid var(--vscode-panel-border, #ccc); padding: 3px 8px; text-align: left; vertical-align: top; }
tr.k-bug .kind, tr.k-sleep-in-atomic .kind, tr.k-never-returns .kind, td.problem, .problem { color: var(--vscode-errorForeground, #c00); font-weight: 600; } tr.k-null .kind, tr.k-leak .kind { color: var(--vscode-editorWarning-foreground, #b80); }
.note { opacity: .75; font-style: italic; } .infeasible { color: var(--vscode-editorWarning-foreground, #b80); }
section.run > details > summary { font-weight: 600; margin-top: 12px; cursor: pointer; }
</style></head>
<body data-function="${esc(r.function)}">
<div class="switch" role="group" aria-label="memory scenario">${SCENARIOS.map((sc) => `<button data-scenario="${sc}" aria-pressed="${sc === 'normal'}">${SCENARIO_WORDS[sc]}</button>`).join('')}</div>
${
  lifetime
    ? `<h1>${esc(r.function)}</h1>
${lifetimeSection(lifetime)}
<p>Simulated on`
    : `<h1>${esc(r.function)}() <small>line ${r.line}</small></h1>
<p>Runs in <b>${esc(r.initialContext)}</b> context${r.contextWhy ? `: ${esc(r.contextWhy)}` : ''}. Simulated on`
} Linux 2.6.11's allocator (${esc(r.machine)}).</p>
<p class="verdict-line">${flagged ? `<b class="problem">${flagged} call${flagged === 1 ? '' : 's'} with a problem</b>` : 'No call with a BUG, a sleep in atomic context or an endless wait'} — ${r.calls.filter((c) => c.verdicts).length} of ${r.calls.length} allocation calls simulated, each on the paths that reach it.</p>
${summaryTable(r)}
<h2>Paths</h2>
<p class="note">${r.paths.length} path${r.paths.length === 1 ? '' : 's'} of the function${r.truncated ? ' (it has more: the first ones are shown; each call above was simulated on its own paths)' : ''}. Switch the scenario at the top.</p>
${sections}
<script nonce="${opts.nonce}">
window.scrollTo(0, 0);
for (const b of document.querySelectorAll('.switch button')) b.addEventListener('click', () => {
  for (const o of document.querySelectorAll('.switch button')) o.setAttribute('aria-pressed', String(o === b));
  for (const s of document.querySelectorAll('section.run')) s.hidden = s.dataset.scenario !== b.dataset.scenario;
});
</script>
</body></html>`;
}
