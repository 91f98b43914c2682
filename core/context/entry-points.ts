/**
 * Functions the kernel calls in interrupt context: IRQ handlers (registered with request_irq or
 * having the handler signature), timer functions, tasklets, bottom halves and softirqs.
 */
import type { FileFacts } from '../facts/file-facts';
import { allCalls, assignmentsOf, functionNameOf, type FunctionFacts } from '../facts/ir';
import { nameTable } from '../kernel/name-table';
import type { Span } from '../text/span';

export type EntryKind = 'irq-handler' | 'timer' | 'tasklet' | 'bottom-half' | 'softirq';

export interface EntryPoint {
  name: string;
  kind: EntryKind;
  /** How we know: "registered with request_irq()", "has the interrupt handler signature". */
  how: string;
  /** Where: the registration, or the function's name for signatures. */
  span: Span;
}

/** Registration calls: function name → argument index of the callback. */
export const REGISTRATIONS: Readonly<Record<string, { arg: number; kind: EntryKind }>> = nameTable({
  request_irq: { arg: 1, kind: 'irq-handler' },
  request_threaded_irq: { arg: 1, kind: 'irq-handler' },
  devm_request_irq: { arg: 2, kind: 'irq-handler' },
  setup_timer: { arg: 1, kind: 'timer' },
  timer_setup: { arg: 1, kind: 'timer' },
  tasklet_init: { arg: 1, kind: 'tasklet' },
  init_bh: { arg: 1, kind: 'bottom-half' },
  open_softirq: { arg: 1, kind: 'softirq' },
  DECLARE_TASKLET: { arg: 1, kind: 'tasklet' },
  DECLARE_TASKLET_DISABLED: { arg: 1, kind: 'tasklet' },
});

/** 2.4 `void h(int, void *, struct pt_regs *)` and 2.6 `irqreturn_t h(int, void *, struct pt_regs *)`. */
export function hasIrqHandlerSignature(fn: FunctionFacts): boolean {
  if (fn.params.length !== 3) return false;
  const [a, b, c] = fn.params.map((p) => p.type.replace(/\s+/g, ' '));
  const ret = fn.returnType.replace(/\b(static|inline|__inline__|extern)\b/g, '').trim();
  return /\bint\b/.test(a) && /void ?\*/.test(b) && /pt_regs ?\*/.test(c) && (ret === 'void' || ret === 'irqreturn_t');
}

export function findEntryPoints(facts: FileFacts): EntryPoint[] {
  const out: EntryPoint[] = [];
  const push = (name: string | null, kind: EntryKind, how: string, span: Span) => {
    if (name && !out.some((e) => e.name === name && e.kind === kind)) out.push({ name, kind, how, span });
  };
  for (const fn of facts.functions) for (const r of registrationsIn(fn)) push(r.name, r.kind, r.how, r.span);
  for (const g of facts.globalInits) {
    if (/\.function$/.test(g.name)) push(functionNameOf(g.value), 'timer', `set as a timer function (${g.name})`, g.span);
  }
  // File-level DECLARE_TASKLET(name, fn, data): tree-sitter sees a declaration-like macro call, so scan text.
  for (const t of facts.tokens(['DECLARE_TASKLET', 'DECLARE_TASKLET_DISABLED'])) {
    const m = /^\w+\s*\(\s*\w+\s*,\s*(\w+)/.exec(facts.text.slice(t.span.start, t.span.start + 200));
    if (m) push(m[1], 'tasklet', `declared with ${t.name}()`, t.span);
  }
  for (const fn of facts.functions) {
    if (hasIrqHandlerSignature(fn)) push(fn.name, 'irq-handler', 'with the interrupt handler signature (int, void *, struct pt_regs *)', fn.nameSpan);
  }
  return out;
}

const registrations = new WeakMap<FunctionFacts, { name: string | null; kind: EntryKind; how: string; span: Span }[]>();

/** Callbacks a function registers (request_irq, timers, tasklets…), memoized on its IR. */
export function registrationsIn(fn: FunctionFacts) {
  let list = registrations.get(fn);
  if (list) return list;
  list = [];
  for (const call of allCalls(fn)) {
    const reg = REGISTRATIONS[call.name];
    if (reg) list.push({ name: functionNameOf(call.args[reg.arg]), kind: reg.kind, how: `registered with ${call.name}()`, span: call.span });
  }
  for (const s of assignmentsOf(fn)) {
    if (/(\.|->)function$/.test(s.name)) list.push({ name: functionNameOf(s.value), kind: 'timer', how: `set as a timer function (${s.name})`, span: s.span });
  }
  registrations.set(fn, list);
  return list;
}
