import { decodeGfp, formatGfp, GFP_BITS, GFP_MASKS, ZONE_BITS } from '../gfp/flags';
import type { CallSite, FunctionFlow } from '../context/flow';
import { irQuery } from '../context/shared';
import { indirectVerdict } from '../context/indirect-calls';
import { ALLOC_API, ALLOC_NAMES } from '../kernel/alloc-api';
import { SLEEPING_API_NAMES, SLEEPING_APIS, sleepingApiAt } from '../kernel/sleeping-apis';
import { USER_ACCESS_SLEEPS } from '../kernel/user-access';
import type { FileFacts } from '../facts/file-facts';
import { chainRelated as chainOf } from './support/alloc-sites';
import { hoistAllocationFix } from './support/hoist-alloc';
import { storedHere } from './support/indirect';
import type { Finding } from './types';
import { defineRule } from './define';

/** Bits that survive a switch to GFP_ATOMIC: zones and modifiers that mean something without sleeping. */
const KEEP = ZONE_BITS | GFP_BITS.__GFP_COLD | GFP_BITS.__GFP_NOWARN | GFP_BITS.__GFP_ZERO | GFP_BITS.__GFP_COMP;

// A flow's sites depend on its function's IR alone (flows are memoized per IR): so do these.
/** The sites of a function that call an allocator (the only ones this rule looks at). */
const allocatorSites = irQuery('allocator call sites', (flow: FunctionFlow): CallSite[] =>
  flow.sites.filter((site) => Object.hasOwn(ALLOC_API, site.call.name)),
);

/** The sites of a function that call a kernel function that sleeps (request_irq, create_proc_entry…). */
const sleepingApiSites = irQuery('sleeping API call sites', (flow: FunctionFlow): CallSite[] =>
  flow.sites.filter((site) => Object.hasOwn(SLEEPING_APIS, site.call.name)),
);

const NOT_ATOMIC = { held: [], guard: null, droppedCallerLock: null, saved: [] };

/**
 * The other calls that may sleep in the lock region of `site` (those run with its outermost lock held, so
 * nested regions count as one): allocations with a sleeping mask, SLEEPING_APIS and user-space copies.
 * Empty outside a lock region.
 */
function otherSleepersInRegion(facts: FileFacts, flow: FunctionFlow, site: CallSite, sleeps: (s: CallSite) => boolean): CallSite[] {
  const lock = site.state.held[0];
  if (!lock) return [];
  return flow.sites.filter(
    (s) =>
      s !== site &&
      s.state.held.some((h) => h.span.start === lock.span.start) &&
      (Object.hasOwn(USER_ACCESS_SLEEPS, s.call.name) ||
        (Object.hasOwn(SLEEPING_APIS, s.call.name) && !!sleepingApiAt(s.call.name, facts.path, facts.includes)) ||
        (Object.hasOwn(ALLOC_API, s.call.name) && sleeps(s))),
  );
}

export const sleepInAtomic = defineRule({
  id: 'sleep-in-atomic',
  severity: 'error',
  deprecated: false,
  summary: 'an allocation, or a kernel function that allocates or takes a semaphore, may sleep in atomic context',
  matches: { calls: [...ALLOC_NAMES, ...SLEEPING_API_NAMES] },
  needs: { context: true },
  fixable: 'code',
  check({ facts, shared }) {
    const out: Omit<Finding, 'rule' | 'severity'>[] = [];
    const ctx = shared.context;
    ctx.flows.forEach((flow, fnIndex) => {
      const fn = facts.functions[fnIndex];
      /** Whether an allocator call may sleep whatever path reaches it (same test as the findings below). */
      const allocSleeps = (s: CallSite): boolean => {
        const api = ALLOC_API[s.call.name];
        if (api.alwaysSleeps) return true;
        if (api.maskArg < 0 || !s.call.args[api.maskArg]) return false;
        const mask = shared.mask(s.call, api.maskArg, fn);
        return !mask.unknown && mask.values.length > 0 && mask.values.every((v) => decodeGfp(v).canSleep);
      };
      for (const site of shared.query(allocatorSites, flow)) {
        const api = ALLOC_API[site.call.name];
        let maskText = '';
        let fixText: string | null = null;
        let chainRelated: Finding['related'] = [];
        if (!api.alwaysSleeps) {
          if (api.maskArg < 0) continue;
          const arg = site.call.args[api.maskArg];
          const mask = shared.mask(site.call, api.maskArg, fn);
          // Unknown, or may-not-sleep on some path (`in_interrupt() ? GFP_ATOMIC : GFP_KERNEL`): never guess.
          if (!arg || mask.unknown || mask.values.length === 0 || !mask.values.every((v) => decodeGfp(v).canSleep)) continue;
          maskText = facts.text.slice(arg.span.start, arg.span.end);
          if (mask.values.length === 1) fixText = formatGfp((mask.values[0] & KEEP) | GFP_MASKS.GFP_ATOMIC);
          chainRelated = chainOf(mask, 'is defined here');
        }
        const reason = ctx.siteReason(site, fnIndex);
        if (!reason) continue;
        const arg = api.alwaysSleeps ? null : site.call.args[api.maskArg];
        const what = api.alwaysSleeps ? `${site.call.name}() always may sleep` : `${site.call.name}(…, ${maskText}) may sleep`;
        const where = reason.chain.length > 1 ? ` (call chain ${reason.chain.map((n) => `${n}()`).join(' → ')})` : '';
        const others = site.state.guard ? [] : otherSleepersInRegion(facts, flow, site, allocSleeps);
        const line = (s: CallSite) => facts.text.slice(0, s.call.span.start).split('\n').length;
        const othersText = others.length
          ? `. ${fixText ? 'GFP_ATOMIC alone does not make this region correct' : 'This is not the only sleeping call of the region'}: ${others.map((s) => `${s.call.name}() at line ${line(s)}`).join(', ')} may sleep too`
          : '';
        // Hoisting fixes this call alone: only where nothing else in the region sleeps, and the function is not atomic by itself.
        const hoist =
          !others.length && !site.state.guard && !ctx.stateReason(NOT_ATOMIC, fnIndex)
            ? hoistAllocationFix(facts, fn, site.call, site.state.held, site.call.name)
            : null;
        const atomicFix =
          fixText && arg ? { title: `Use ${fixText} (cannot sleep)`, edits: [{ start: arg.span.start, end: arg.span.end, newText: fixText }] } : null;
        const advice = fixText
          ? `; use ${fixText}${hoist ? `, or allocate before ${hoist.lock}()` : ''}`
          : api.alwaysSleeps
            ? '; allocate before entering the atomic region'
            : '';
        out.push({
          message: `${what}, but it runs in atomic context: ${reason.message}${where}. Sleeping there is a bug ("scheduling while atomic" in an interrupt or on a preemptible kernel; silent otherwise, but the lock or irq-off region is broken all the same)${advice}${othersText}.`,
          span: arg ? arg.span : site.call.nameSpan,
          simulate: { fnIndex, span: site.call.span },
          tags: [],
          related: [
            ...reason.related,
            ...chainRelated,
            ...others.map((s) => ({ message: `${s.call.name}() may sleep too, in the same region`, span: s.call.nameSpan })),
          ],
          // Allocating before the lock, where provably safe, keeps GFP_KERNEL's right to wait for memory: preferred (see the .md).
          fixes: [
            ...(hoist ? [{ title: hoist.fix.title, edits: hoist.fix.edits, preferred: true }] : []),
            ...(atomicFix ? [{ ...atomicFix, preferred: !hoist }] : []),
          ],
        });
      }
      // Calls through pointers in struct fields: a finding only when every function stored in that field sleeps
      // (some of them: may-sleep-in-atomic-indirect).
      // Resolved only while may-sleep-in-atomic-indirect is enabled (AnalysisEnv.indirectCalls: its cost is that rule's).
      if (ctx.indirectCalls)
        for (const site of flow.indirectSites) {
          const reason = !ctx.lockDroppedBefore(site, fnIndex) && ctx.siteReason(site, fnIndex);
          const resolved = reason && ctx.indirectTargets(site.call, fnIndex);
          if (!reason || !resolved || indirectVerdict(resolved) !== 'must') continue;
          const where = reason.chain.length > 1 ? ` (call chain ${reason.chain.map((n) => `${n}()`).join(' → ')})` : '';
          const routes = resolved.targets.map((t) => `${site.call.name}() → ${t.sleeps}`).join('; ');
          const which =
            resolved.targets.length > 1
              ? `each of the ${resolved.targets.length} functions stored in ${resolved.key} sleeps`
              : `the only function stored in ${resolved.key} sleeps`;
          out.push({
            message: `${site.call.name}() may sleep: ${which}: ${routes}. It runs in atomic context: ${reason.message}${where}. Sleeping there is a bug ("scheduling while atomic" in an interrupt or on a preemptible kernel; silent otherwise, but the lock or irq-off region is broken all the same); call it before entering the atomic region.`,
            span: site.call.nameSpan,
            tags: [],
            related: [...reason.related, ...storedHere(facts, resolved)],
            fixes: [],
          });
        }
      for (const site of shared.query(sleepingApiSites, flow)) {
        const api = sleepingApiAt(site.call.name, facts.path, facts.includes);
        const reason = api && ctx.siteReason(site, fnIndex);
        if (!api || !reason) continue;
        const where = reason.chain.length > 1 ? ` (call chain ${reason.chain.map((n) => `${n}()`).join(' → ')})` : '';
        out.push({
          message: `${site.call.name}() may sleep: ${api.reason}. It runs in atomic context: ${reason.message}${where}. Sleeping there is a bug ("scheduling while atomic" in an interrupt or on a preemptible kernel; silent otherwise, but the lock or irq-off region is broken all the same); call it before entering the atomic region.`,
          span: site.call.nameSpan,
          tags: [],
          related: reason.related,
          fixes: [],
        });
      }
    });
    return out;
  },
});
