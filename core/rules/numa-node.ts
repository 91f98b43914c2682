import { allCalls, statementsOf, type Expr } from '../facts/ir';
import { contains, type Span } from '../text/span';
import { assignsOf, mentions, squash, textOf } from './support/mask-edit';
import type { Finding, Fix, Related } from './types';
import { defineRule } from './define';

/** Calls that bind memory to a device: the device argument and the memory argument. */
const DEVICE_MAPS: Record<string, { dev: number; mem: number }> = {
  pci_map_page: { dev: 0, mem: 1 },
  dma_map_page: { dev: 0, mem: 1 },
  pci_map_single: { dev: 0, mem: 1 },
  dma_map_single: { dev: 0, mem: 1 },
};
const CPU_LOOP = /^(for_each_(?:online_|possible_|present_)?cpu(?:_mask)?)\s*\(\s*(\w+)/;
/** The CPU the code runs on: alloc_pages() already allocates on its node. */
const CURRENT_CPU = /^(smp_processor_id|get_cpu|raw_smp_processor_id|numa_node_id)$/;

export const numaNode = defineRule({
  id: 'numa-node',
  severity: 'hint',
  deprecated: false,
  summary: 'alloc_pages() for memory bound to a known device or CPU: consider alloc_pages_node()',
  matches: { calls: ['alloc_pages'] },
  fixable: 'code',
  check({ facts }) {
    const out: Omit<Finding, 'rule' | 'severity'>[] = [];
    facts.functions.forEach((fn) => {
      const calls = allCalls(fn);
      // Only alloc_pages() calls are reported: the CPU and device analysis below is for them.
      if (!calls.some((c) => c.name === 'alloc_pages')) return;
      const assigns = assignsOf(fn);
      // A CPU known by number: cpu_to_node(x), per_cpu(…, x), an int parameter named cpu (whole function),
      // or a for_each_*cpu(x) loop (only the allocations inside it).
      const cpuVars = new Map<string, { span: Span; within: Span | null }>();
      for (const c of calls) {
        const a = c.name === 'cpu_to_node' ? c.args[0] : c.name === 'per_cpu' ? c.args[1] : undefined;
        if (a?.k === 'id') cpuVars.set(a.name, { span: c.nameSpan, within: null });
      }
      for (const p of fn.params)
        if (/^(cpu|cpu_id|cpunum)$/.test(p.name) && /int/.test(p.type) && !cpuVars.has(p.name)) cpuVars.set(p.name, { span: p.span, within: null });
      for (const s of statementsOf(fn)) {
        if (s.k !== 'loop') continue;
        const m = CPU_LOOP.exec(facts.text.slice(s.span.start, s.span.start + 80));
        if (m) cpuVars.set(m[2], { span: { start: s.span.start, end: s.span.start + m[1].length }, within: s.span });
      }
      // A variable holding the current CPU is no hint: alloc_pages() already prefers the caller's node.
      for (const a of assigns) if (cpuVars.has(a.name) && a.value.k === 'call' && CURRENT_CPU.test(a.value.name)) cpuVars.delete(a.name);
      for (const call of calls) {
        if (call.name !== 'alloc_pages' || call.args.length !== 2) continue;
        const v = call.assignTo ? squash(call.assignTo) : null;
        let related: Related[] = [];
        let node: string | null = null;
        let why = '';
        if (v && /^\w+$/.test(v)) {
          const names = new Set([v]);
          for (const a of assigns) if (a.span.start > call.span.end && /^\w+$/.test(a.name) && [...names].some((n) => mentions(a.value, n))) names.add(a.name);
          const refers = (e: Expr) => [...names].some((n) => mentions(e, n));
          const map = calls.find(
            (c) => c.span.start > call.span.end && DEVICE_MAPS[c.name] && c.args[DEVICE_MAPS[c.name].mem] && refers(c.args[DEVICE_MAPS[c.name].mem]),
          );
          if (map) {
            const devArg = map.args[DEVICE_MAPS[map.name].dev];
            const devText = devArg ? textOf(facts, devArg.span) : 'dev';
            const isPci = map.name.startsWith('pci_');
            node = isPci ? `pcibus_to_node(${devText}->bus)` : `dev_to_node(${devText})`;
            why = `the page is mapped for DMA by ${devText} (${map.name}())`;
            related = [{ message: `bound to device ${devText} here`, span: map.nameSpan }];
          }
        }
        if (!node) {
          // Inside a per-CPU loop or a function about one CPU.
          const cpu = [...cpuVars.keys()].find((name) => {
            const w = cpuVars.get(name)!.within;
            return !w || contains(w, call.span);
          });
          if (cpu) {
            node = `cpu_to_node(${cpu})`;
            why = `it is set up for CPU ${cpu}`;
            related = [{ message: `CPU ${cpu} comes from here`, span: cpuVars.get(cpu)!.span }];
          }
        }
        if (!node) continue;
        const gfp = textOf(facts, call.args[0].span);
        const order = textOf(facts, call.args[1].span);
        const fixes: Fix[] = node.startsWith('cpu_to_node')
          ? [
              {
                title: `Allocate on the CPU's node: alloc_pages_node(${node}, …)`,
                edits: [{ start: call.span.start, end: call.span.end, newText: `alloc_pages_node(${node}, ${gfp}, ${order})` }],
              },
            ]
          : [];
        out.push({
          message:
            `alloc_pages() allocates on the node of the CPU that runs this code, but ${why}. On NUMA systems, allocate on that node explicitly: ` +
            `alloc_pages_node(${node}, ${gfp}, ${order})` +
            (node.startsWith('cpu_to_node') ? '.' : ` (pcibus_to_node() in 2.6-era kernels, dev_to_node() in later ones; check what your target kernel has).`),
          span: call.nameSpan,
          tags: [],
          related,
          fixes,
        });
      }
    });
    return out;
  },
});
