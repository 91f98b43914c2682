/** Hover content, as Markdown: a GFP mask decoded into what it allows. */
import type { FileFacts, TokenFact } from './facts/file-facts';
import { allCalls, type Expr } from './facts/ir';
import { decodeGfp, formatGfp, GFP_BITS, GFP_MASKS, GONE_IN_26 } from './gfp/flags';
import { evaluateMask, type MaskResult } from './gfp/mask';
import { ALLOC_API, SIMULATED_CALLS } from './kernel/alloc-api';
import { KB_NAMES, symbolTimeline, timelineLine } from './kernel/kb';
import type { SharedAnalyses } from './context/shared';
import { callHoverMarkdown, functionSimulationMarkdown, type LinkOptions } from './simulation/markdown';
import { machineOf, simulateCall, simulateFunction } from './simulation/run';
import type { AnalysisEnv } from './rules/types';
import type { Span } from './text/span';

export interface HoverResult {
  markdown: string;
  span: Span;
}

const GFP_NAME = /^(?:__)?GFP_\w+$/;

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

export function describeMask(r: MaskResult, expression: string): string {
  const lines = [`**GFP mask** \`${expression}\``, ''];
  if (r.gone.length) lines.push(`⚠ ${r.gone.map((g) => GONE_IN_26[g].advice).join('; ')}`, '');
  if (r.unknown) {
    lines.push(`Value unknown here: ${r.unknown}.`);
    return lines.join('\n');
  }
  if (r.chain.length) lines.push(`Resolved through ${r.chain.map((c) => `\`${c.name}\`${c.file ? ` (${c.file})` : ''}`).join(' → ')}`, '');
  for (const v of r.values) {
    const m = decodeGfp(v);
    if (r.values.length > 1) lines.push(`**When \`${formatGfp(v)}\`:**`, '');
    lines.push(
      `| | |`,
      `|---|---|`,
      `| value | \`0x${(v >>> 0).toString(16)}\` = ${m.bits.map((b) => `\`${b}\``).join(' \\| ') || '0'} |`,
      `| may sleep | ${yesNo(m.canSleep)}${m.canSleep ? ' — not in interrupt handlers or under a spinlock' : ''} |`,
      `| may start I/O | ${yesNo(m.canStartIO)} |`,
      `| may call into filesystems | ${yesNo(m.canCallFS)} |`,
      `| may dip into reserves | ${yesNo(m.usesReserves)}${m.usesReserves ? ((v & GFP_BITS.__GFP_HIGH) !== 0 ? ' (`__GFP_HIGH`: min watermark halved)' : ' (cannot sleep: min watermark lowered)') : ''} |`,
      `| zones tried | ${m.zones.join(' → ')} |`,
    );
    const extra: string[] = [];
    if (v & GFP_BITS.__GFP_COLD) extra.push('cold page requested (`__GFP_COLD`)');
    if (v & GFP_BITS.__GFP_NOFAIL) extra.push('never fails: may loop forever (`__GFP_NOFAIL`)');
    if (v & GFP_BITS.__GFP_REPEAT) extra.push('tries harder (`__GFP_REPEAT`)');
    if (v & GFP_BITS.__GFP_NORETRY) extra.push('fails at once instead of retrying (`__GFP_NORETRY`)');
    if (v & GFP_BITS.__GFP_NOWARN) extra.push('no warning on failure');
    if (m.unknownBits) extra.push(`unknown bits \`0x${m.unknownBits.toString(16)}\``);
    if (extra.length) lines.push('', extra.map((e) => `- ${e}`).join('\n'));
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

/**
 * The mask in one line under a call's verdicts (the full table is the hover on the mask itself). `absentZones`: the
 * zones the simulated machine has no pages in, which no zonelist holds (2.6.11 build_zonelists_node; no HighMem
 * below 896 MiB on i386).
 */
export function maskSummaryLine(r: MaskResult, expression: string, absentZones: ReadonlySet<string> = new Set()): string {
  const code = `\`${expression.replace(/`/g, '').replace(/\s+/g, ' ')}\``;
  if (r.gone.length) return `Mask ${code}: ${r.gone.map((g) => GONE_IN_26[g].advice.replace(/\.$/, '')).join('; ')}.`;
  if (r.unknown) return `Mask ${code}: value unknown here (${r.unknown}).`;
  const say = r.values.map((v) => {
    const m = decodeGfp(v);
    const can = [
      m.canSleep ? 'may sleep' : 'never sleeps',
      m.canStartIO ? 'may start I/O' : null,
      m.canCallFS ? 'may call into filesystems' : null,
      m.usesReserves ? 'may dip into reserves' : null,
    ]
      .filter(Boolean)
      .join(', ');
    const name = formatGfp(v);
    const absent = m.zones.filter((z) => absentZones.has(z));
    const here = absent.length ? ` (no ${absent.join(', ')} on this machine: ${m.zones.filter((z) => !absentZones.has(z)).join(' → ') || 'none'})` : '';
    return `${name === expression.trim() ? '' : `\`${name}\`: `}${can}; zones ${m.zones.join(' → ')}${here}`;
  });
  return `Mask ${code}${r.values.length === 1 && say[0].startsWith('`') ? ' =' : ':'} ${say.join(' or ')}.`;
}

function exprAt(e: Expr, offset: number): boolean {
  return e.span.start <= offset && offset <= e.span.end;
}

export { SIMULATED_CALLS };

const KB_NAME_SET: ReadonlySet<string> = new Set(KB_NAMES);
const GFP_NAMES: ReadonlySet<string> = new Set([...Object.keys(GFP_BITS), ...Object.keys(GFP_MASKS), ...Object.keys(GONE_IN_26)]);
const WORD_CHAR = /\w/;

/**
 * The code token of `names` at `offset`, as `facts.tokens(names)` finds it there: the word at the offset (every
 * name is one word), confirmed against the tree at that place alone (FileFacts.tokenAt), not by a scan of the file.
 */
export function tokenAt(facts: FileFacts, offset: number, names: ReadonlySet<string>): TokenFact | undefined {
  const text = facts.text;
  let start = offset;
  let end = offset;
  while (start > 0 && WORD_CHAR.test(text[start - 1])) start--;
  while (end < text.length && WORD_CHAR.test(text[end])) end++;
  const word = text.slice(start, end);
  if (!names.has(word)) return undefined;
  return facts.tokenAt(word, start, end);
}

export type { LinkOptions };

export function hoverAt(facts: FileFacts, offset: number, env: AnalysisEnv = {}, shared?: SharedAnalyses, links: LinkOptions = {}): HoverResult | null {
  const result = hoverOfCode(facts, offset, env, shared, links);
  // On a name of the allocation API: the releases it is declared in and what became of it, in one line.
  const tok = tokenAt(facts, offset, KB_NAME_SET);
  const timeline = tok && symbolTimeline(tok.name);
  if (!tok || !timeline) return result;
  const line = timelineLine(timeline);
  return result ? { markdown: `${result.markdown}\n\n${line}`, span: result.span } : { markdown: line, span: tok.span };
}

function hoverOfCode(facts: FileFacts, offset: number, env: AnalysisEnv, shared: SharedAnalyses | undefined, links: LinkOptions): HoverResult | null {
  const fi = facts.functionAt(offset);
  const fn = fi >= 0 ? facts.functions[fi] : undefined;
  if (fn && shared) {
    // On a function's name: its sequences and their outcomes.
    if (fn.nameSpan.start <= offset && offset <= fn.nameSpan.end) {
      return { markdown: functionSimulationMarkdown(simulateFunction(shared, fi)), span: fn.nameSpan };
    }
    // On an allocator call's name: the mask, the context here and the simulated outcome per scenario.
    const flow = shared.context.flows[fi];
    const site = flow.sites.find((s) => s.call.nameSpan.start <= offset && offset <= s.call.nameSpan.end && SIMULATED_CALLS.has(s.call.name));
    if (site) {
      // The call simulated for itself (the paths that reach it, in the context its finding states).
      const api = ALLOC_API[site.call.name];
      const arg = api && api.maskArg >= 0 ? site.call.args[api.maskArg] : undefined;
      const absentZones = new Set(
        machineOf(shared)
          .config.zones.filter((z) => z.pages === 0)
          .map((z) => z.name),
      );
      const maskLine = arg ? maskSummaryLine(shared.mask(site.call, api!.maskArg, fn), facts.text.slice(arg.span.start, arg.span.end), absentZones) : undefined;
      const markdown = callHoverMarkdown(simulateCall(shared, fi, site.call.span), facts.text.slice(site.call.span.start, site.call.span.end), {
        ...links,
        maskLine,
      });
      return { markdown, span: site.call.nameSpan };
    }
  }
  // Inside the mask argument of an allocation call: evaluate the whole argument.
  if (fn) {
    for (const call of allCalls(fn)) {
      const api = ALLOC_API[call.name];
      if (!api || api.maskArg < 0) continue;
      const arg = call.args[api.maskArg];
      if (arg && exprAt(arg, offset)) {
        const r = evaluateMask(arg, { facts, fn, at: call.span.start, headerDefine: env.headerDefine });
        return { markdown: describeMask(r, facts.text.slice(arg.span.start, arg.span.end)), span: arg.span };
      }
    }
  }
  // On a GFP name anywhere else (a #define body, a variable initializer).
  const tok = tokenAt(facts, offset, GFP_NAMES);
  if (tok && GFP_NAME.test(tok.name)) {
    const r = evaluateMask({ k: 'id', name: tok.name, span: tok.span }, { facts, fn, at: tok.span.start, headerDefine: env.headerDefine });
    return { markdown: describeMask(r, tok.name), span: tok.span };
  }
  return null;
}
