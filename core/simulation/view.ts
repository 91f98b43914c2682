/**
 * The simulation view as one self-contained HTML page (VS Code webview, or any browser): a
 * scenario switch, charts of the allocator state over the steps drawn as SVG here (no charting
 * runtime to ship or trust), the step table and the full trace. Colors come from the editor theme's
 * CSS variables, with fallbacks for a plain browser.
 */
import type { ScenarioName, Snapshot, StepResult } from '../sim';
import type { SimulateResult } from './protocol';

const SCENARIOS: ScenarioName[] = ['normal', 'pressure', 'exhausted'];
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

interface Series {
  name: string;
  values: number[];
  color: string;
  dashed?: boolean;
}

const COLORS = ['var(--vscode-charts-blue, #3794ff)', 'var(--vscode-charts-orange, #d18616)', 'var(--vscode-charts-green, #89d185)', 'var(--vscode-charts-purple, #b180d7)', 'var(--vscode-charts-red, #f14c4c)', 'var(--vscode-charts-yellow, #cca700)'];

/** One line chart: x = step, y = value; the SVG carries its data for tests and tooling. */
export function lineChart(title: string, labels: string[], series: Series[], width = 560, height = 160): string {
  const pad = { l: 48, r: 12, t: 36, b: 26 };
  const n = Math.max(1, labels.length - 1);
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i: number) => pad.l + ((width - pad.l - pad.r) * i) / n;
  const y = (v: number) => pad.t + (height - pad.t - pad.b) * (1 - v / max);
  const lines = series
    .map((s) => `<polyline class="series" data-name="${esc(s.name)}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''} points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"><title>${esc(s.name)}</title></polyline>`)
    .join('');
  const ticks = labels.map((l, i) => `<text x="${x(i).toFixed(1)}" y="${height - 8}" text-anchor="middle" class="tick">${esc(l)}</text>`).join('');
  const legend = series.map((s, i) => `<tspan fill="${s.color}" dx="${i ? 12 : 0}">■ ${esc(s.name)}</tspan>`).join('');
  return `<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" data-points="${series.reduce((a, s) => a + s.values.length, 0)}" data-series="${esc(JSON.stringify(series.map((s) => ({ name: s.name, values: s.values }))))}">
<text x="${pad.l}" y="13" class="title">${esc(title)}</text><text x="${pad.l}" y="27" class="legend">${legend}</text>
<line x1="${pad.l}" y1="${y(0)}" x2="${width - pad.r}" y2="${y(0)}" class="axis"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${y(0)}" class="axis"/>
<text x="${pad.l - 6}" y="${pad.t + 4}" text-anchor="end" class="tick">${max}</text><text x="${pad.l - 6}" y="${y(0)}" text-anchor="end" class="tick">0</text>
${lines}${ticks}</svg>`;
}

function chartsFor(steps: StepResult[]): string {
  const withState = steps.filter((s) => s.state);
  if (!withState.length) return '<p class="note">No state snapshots in this result (request with snapshots: true).</p>';
  const labels = withState.map((s) => String(s.index + 1));
  const states = withState.map((s) => s.state as Snapshot);
  const out: string[] = [];
  for (const zone of states[0].zones.map((z) => z.name)) {
    const z = (st: Snapshot) => st.zones.find((q) => q.name === zone)!;
    out.push(
      lineChart(`Free pages — ${zone}`, labels, [
        { name: 'free', values: states.map((st) => z(st).free), color: COLORS[0] },
        { name: 'pages_low', values: states.map((st) => z(st).low), color: COLORS[1], dashed: true },
        { name: 'pages_min', values: states.map((st) => z(st).min), color: COLORS[4], dashed: true },
      ]),
    );
  }
  out.push(
    lineChart(
      'Per-CPU page lists (CPU 0)',
      labels,
      states[0].zones.flatMap((zone, i) => [
        { name: `${zone.name} hot`, values: states.map((st) => st.zones[i].hot), color: COLORS[(2 * i) % COLORS.length] },
        { name: `${zone.name} cold`, values: states.map((st) => st.zones[i].cold), color: COLORS[(2 * i + 1) % COLORS.length], dashed: true },
      ]),
    ),
  );
  const pools = [...new Set(states.flatMap((st) => st.pools.map((p) => p.ref)))];
  if (pools.length)
    out.push(
      lineChart(
        'Mempool reserve (curr_nr)',
        labels,
        pools.flatMap((ref, i) => [
          { name: `${ref} curr_nr`, values: states.map((st) => st.pools.find((p) => p.ref === ref)?.curr_nr ?? 0), color: COLORS[i % COLORS.length] },
          { name: `${ref} min_nr`, values: states.map((st) => st.pools.find((p) => p.ref === ref)?.min_nr ?? 0), color: COLORS[i % COLORS.length], dashed: true },
        ]),
      ),
    );
  return out.join('\n');
}

function stepRows(steps: StepResult[]): string {
  return steps
    .map(
      (s) => `<tr class="k-${esc(s.outcome.kind)}"><td>${s.index + 1}</td><td><code>${esc(s.source?.text ?? s.op.op)}</code></td><td>${s.source?.line ?? ''}</td><td class="kind">${esc(s.outcome.kind)}</td><td>${esc(s.outcome.message)}${s.slept ? ' <em>(slept)</em>' : ''}</td></tr>`,
    )
    .join('');
}

function traceList(steps: StepResult[]): string {
  return steps
    .map((s) => `<li><b>${s.index + 1}. ${esc(s.source?.text ?? s.op.op)}</b><ol>${s.trace.map((t) => `<li><code>${esc(t.rule)}</code> ${esc(t.detail)}</li>`).join('')}</ol></li>`)
    .join('');
}

export interface ViewOptions {
  /** Webview CSP source (VS Code's webview.cspSource); absent in a plain browser. */
  cspSource?: string;
  nonce: string;
}

export function renderSimulationHtml(r: SimulateResult, opts: ViewOptions): string {
  const csp = `default-src 'none'; style-src 'unsafe-inline'${opts.cspSource ? ' ' + opts.cspSource : ''}; script-src 'nonce-${opts.nonce}';`;
  const sections = r.paths
    .map((p, pi) =>
      SCENARIOS.map((sc) => {
        const steps = p.results[sc].steps;
        return `<section class="run" data-scenario="${sc}" data-path="${pi}"${sc === 'normal' ? '' : ' hidden'}>
<h2>Path ${pi + 1}${p.conditions.length ? `: ${p.conditions.map((c) => `<code>${esc(c)}</code>`).join(' → ')}` : ''} — ${sc}</h2>
${p.notes.length ? `<p class="note">${p.notes.map(esc).join('; ')}</p>` : ''}
<div class="charts">${chartsFor(steps)}</div>
<table class="steps"><thead><tr><th>#</th><th>call</th><th>line</th><th>outcome</th><th>what happened</th></tr></thead><tbody>${stepRows(steps)}</tbody></table>
<details><summary>Full trace</summary><ol class="trace">${traceList(steps)}</ol></details>
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
.switch button { margin-right: 6px; padding: 4px 10px; border: 1px solid var(--vscode-button-border, #888); background: var(--vscode-button-secondaryBackground, #eee); color: var(--vscode-button-secondaryForeground, #222); cursor: pointer; }
.switch button[aria-pressed="true"] { background: var(--vscode-button-background, #0e639c); color: var(--vscode-button-foreground, #fff); }
.chart { display: block; margin: 8px 0; } .chart .title { font-weight: 600; fill: currentColor; font-size: 12px; } .chart .tick, .chart .legend { fill: currentColor; font-size: 10px; opacity: .8; } .chart .axis { stroke: currentColor; opacity: .4; }
table.steps { border-collapse: collapse; margin: 8px 0; } table.steps td, table.steps th { border-bottom: 1px solid var(--vscode-panel-border, #ccc); padding: 3px 8px; text-align: left; vertical-align: top; }
tr.k-bug .kind, tr.k-sleep-in-atomic .kind, tr.k-never-returns .kind { color: var(--vscode-errorForeground, #c00); font-weight: 600; } tr.k-null .kind, tr.k-leak .kind { color: var(--vscode-editorWarning-foreground, #b80); }
.problems li { color: var(--vscode-errorForeground, #c00); } .note { opacity: .75; font-style: italic; }
</style></head>
<body data-function="${esc(r.function)}">
<h1>${esc(r.function)}() <small>line ${r.line}</small></h1>
<p>Runs in <b>${esc(r.initialContext)}</b> context${r.contextWhy ? `: ${esc(r.contextWhy)}` : ''}. Simulated on the 2.6 allocator (default 256 MiB machine: 16 MiB DMA, 112 MiB Normal, 128 MiB HighMem).</p>
${r.problems.length ? `<ul class="problems">${r.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : '<p>No BUG, no sleep in atomic context and no endless wait in any scenario.</p>'}
<div class="switch" role="group" aria-label="memory scenario">${SCENARIOS.map((sc) => `<button data-scenario="${sc}" aria-pressed="${sc === 'normal'}">${sc}</button>`).join('')}</div>
${r.truncated ? `<p class="note">Only the first ${r.paths.length} paths are simulated.</p>` : ''}
${sections}
<script nonce="${opts.nonce}">
for (const b of document.querySelectorAll('.switch button')) b.addEventListener('click', () => {
  for (const o of document.querySelectorAll('.switch button')) o.setAttribute('aria-pressed', String(o === b));
  for (const s of document.querySelectorAll('section.run')) s.hidden = s.dataset.scenario !== b.dataset.scenario;
});
</script>
</body></html>`;
}
