import { indirectVerdict } from '../context/indirect-calls';
import { UNKNOWN_TARGET } from '../facts/field-bindings';
import { ALLOC_NAMES } from '../kernel/alloc-api';
import { SLEEPING_API_NAMES } from '../kernel/sleeping-apis';
import { defineRule } from './define';
import { storedHere } from './support/indirect';

/**
 * A call through a function pointer in a struct field (`ops->open(dev)`), in atomic context, where some of the
 * functions stored in that field sleep but not all (or not all are known): sleep-in-atomic's "may" half
 * (sleep-in-atomic reports the calls where every one does). The route ends at an allocation or a sleeping
 * kernel function in the implementation: those are its triggers.
 */
export const maySleepInAtomicIndirect = defineRule({
  id: 'may-sleep-in-atomic-indirect',
  severity: 'warning',
  optIn: 'resolving calls through struct fields costs the CLI about 15% more CPU on a whole tree',
  deprecated: false,
  summary: 'a call through a struct field in atomic context where some of the functions stored in that field sleep',
  matches: { calls: [...ALLOC_NAMES, ...SLEEPING_API_NAMES] },
  needs: { context: true },
  messages: {
    some: '{{call}}() may sleep: {{which}}: {{routes}}{{incomplete}}. It runs in atomic context: {{reason}}{{where}}. If this call can reach one of them, sleeping there is a bug ("scheduling while atomic" in an interrupt or on a preemptible kernel); check which implementation runs here, or call it before entering the atomic region.',
  },
  check({ facts, shared }) {
    const ctx = shared.context;
    return ctx.flows.flatMap((flow, fnIndex) =>
      flow.indirectSites.flatMap((site) => {
        const reason = !ctx.lockDroppedBefore(site, fnIndex) && ctx.siteReason(site, fnIndex);
        const resolved = reason && ctx.indirectTargets(site.call, fnIndex);
        if (!reason || !resolved || indirectVerdict(resolved) !== 'may') return [];
        const sleeping = resolved.targets.filter((t) => t.sleeps);
        // Variables stored in the field (`h->done = done;`): values unknown, named apart from the functions.
        const variables = resolved.targets.filter((t) => t.name.startsWith(UNKNOWN_TARGET)).map((t) => t.name.slice(UNKNOWN_TARGET.length));
        const n = resolved.targets.length - variables.length;
        const unknown = variables.length ? `; it is also given the value of ${variables.join(', ')}, unknown here` : '';
        return [
          {
            messageId: 'some' as const,
            data: {
              call: site.call.name,
              which:
                n > 1
                  ? `${sleeping.length} of the ${n} functions stored in ${resolved.key} ${sleeping.length > 1 ? 'sleep' : 'sleeps'}`
                  : `the one function seen stored in ${resolved.key} sleeps`,
              routes: sleeping.map((t) => t.sleeps).join('; '),
              incomplete: `${unknown}${resolved.incomplete ? `; the functions seen may not be all: ${resolved.incomplete}` : ''}`,
              reason: reason.message,
              where: reason.chain.length > 1 ? ` (call chain ${reason.chain.map((f) => `${f}()`).join(' → ')})` : '',
            },
            span: site.call.nameSpan,
            tags: [],
            related: [...reason.related, ...storedHere(facts, resolved)],
            fixes: [],
          },
        ];
      }),
    );
  },
});
