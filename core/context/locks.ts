/** Calls that make the current context atomic (spinlocks, rwlocks, irqs/bh/preemption off) and their releases. */
import { nameTable } from '../kernel/name-table';

export type AtomicKind = 'spinlock' | 'rwlock' | 'irqs-off' | 'bh-off' | 'preempt-off';

/** One step of what a primitive does, in the order it does them. */
export type AtomicEffect =
  /** Takes or drops the lock named by argument `arg`. */
  | { does: 'lock' | 'unlock'; kind: 'spinlock' | 'rwlock'; arg: number }
  /** Turns a CPU-wide state off (irqs, bottom halves, preemption) or back on. */
  | { does: 'off' | 'on'; kind: 'irqs-off' | 'bh-off' | 'preempt-off' }
  /** Saves the interrupt state into the flags variable `arg` (`save_flags(flags)`), or restores it from there. */
  | { does: 'save-irqs' | 'restore-irqs'; arg: number };

export interface AtomicPrimitive {
  effects: readonly AtomicEffect[];
  /** Kernel versions that define it, and where (read in 2.4.22 and 2.6.11; "2.6.17+" for later additions). */
  versions: readonly string[];
  source: string;
}

const lock = (kind: 'spinlock' | 'rwlock'): AtomicEffect => ({ does: 'lock', kind, arg: 0 });
const unlock = (kind: 'spinlock' | 'rwlock'): AtomicEffect => ({ does: 'unlock', kind, arg: 0 });
const IRQS_OFF: AtomicEffect = { does: 'off', kind: 'irqs-off' };
const IRQS_ON: AtomicEffect = { does: 'on', kind: 'irqs-off' };
const BH_OFF: AtomicEffect = { does: 'off', kind: 'bh-off' };
const BH_ON: AtomicEffect = { does: 'on', kind: 'bh-off' };
const save = (arg: number): AtomicEffect => ({ does: 'save-irqs', arg });
const restore = (arg: number): AtomicEffect => ({ does: 'restore-irqs', arg });

const BOTH = ['2.4.22', '2.6.11'];
const SPINLOCK_H = '2.4.22 include/linux/spinlock.h (spin_lock_irqsave = local_irq_save + spin_lock, …); 2.6.11 include/linux/spinlock.h';
const SYSTEM_H_24 = '2.4.22 include/asm-i386/system.h';
const SYSTEM_H = `${SYSTEM_H_24}; 2.6.11 include/asm-i386/system.h`;
// 2.6.11 keeps cli()/sti()/save_flags()/restore_flags()/save_and_cli() for uniprocessor builds only, deprecated.
const OLD_IRQ_API = `${SYSTEM_H_24}; 2.6.11 include/linux/interrupt.h (!CONFIG_SMP, __deprecated)`;

const table: Record<string, AtomicPrimitive> = Object.create(null);
const add = (names: string[], effects: AtomicEffect[], versions: readonly string[], source: string) =>
  names.forEach((n) => (table[n] = { effects, versions, source }));

for (const [prefix, kind] of [
  ['spin', 'spinlock'],
  ['read', 'rwlock'],
  ['write', 'rwlock'],
] as const) {
  add([`${prefix}_lock`], [lock(kind)], BOTH, SPINLOCK_H);
  add([`${prefix}_lock_irq`], [IRQS_OFF, lock(kind)], BOTH, SPINLOCK_H);
  add([`${prefix}_lock_irqsave`], [save(1), IRQS_OFF, lock(kind)], BOTH, SPINLOCK_H);
  add([`${prefix}_lock_bh`], [BH_OFF, lock(kind)], BOTH, SPINLOCK_H);
  add([`${prefix}_unlock`], [unlock(kind)], BOTH, SPINLOCK_H);
  add([`${prefix}_unlock_irq`], [unlock(kind), IRQS_ON], BOTH, SPINLOCK_H);
  add([`${prefix}_unlock_irqrestore`], [unlock(kind), restore(1)], BOTH, SPINLOCK_H);
  add([`${prefix}_unlock_bh`], [unlock(kind), BH_ON], BOTH, SPINLOCK_H);
}
for (const p of ['_raw_spin', 'raw_spin']) {
  add([`${p}_lock`], [lock('spinlock')], p === 'raw_spin' ? ['2.6.33+'] : BOTH, SPINLOCK_H);
  add([`${p}_unlock`], [unlock('spinlock')], p === 'raw_spin' ? ['2.6.33+'] : BOTH, SPINLOCK_H);
}
add(['raw_spin_lock_irq'], [IRQS_OFF, lock('spinlock')], ['2.6.33+'], 'include/linux/spinlock.h');
add(['raw_spin_lock_irqsave'], [save(1), IRQS_OFF, lock('spinlock')], ['2.6.33+'], 'include/linux/spinlock.h');
add(['raw_spin_lock_bh'], [BH_OFF, lock('spinlock')], ['2.6.33+'], 'include/linux/spinlock.h');
add(['raw_spin_unlock_irq'], [unlock('spinlock'), IRQS_ON], ['2.6.33+'], 'include/linux/spinlock.h');
add(['raw_spin_unlock_irqrestore'], [unlock('spinlock'), restore(1)], ['2.6.33+'], 'include/linux/spinlock.h');
add(['raw_spin_unlock_bh'], [unlock('spinlock'), BH_ON], ['2.6.33+'], 'include/linux/spinlock.h');
add(['spin_lock_nested'], [lock('spinlock')], ['2.6.17+'], 'include/linux/spinlock.h');
add(['spin_lock_irqsave_nested'], [save(1), IRQS_OFF, lock('spinlock')], ['2.6.19+'], 'include/linux/spinlock.h');

// Interrupts, CPU-local: 2.4 `__cli()`, `local_irq_*`; 2.4's global `cli()` also turns them off on this CPU.
add(['__cli', 'local_irq_disable'], [IRQS_OFF], ['2.4.22', '2.6.11 (local_irq_disable only)'], SYSTEM_H);
add(['__sti', 'local_irq_enable'], [IRQS_ON], ['2.4.22', '2.6.11 (local_irq_enable only)'], SYSTEM_H);
add(['__save_flags', 'local_save_flags'], [save(0)], ['2.4.22 (__save_flags)', '2.6.11 (local_save_flags)'], SYSTEM_H);
add(['__restore_flags', 'local_irq_restore'], [restore(0)], ['2.4.22', '2.6.11 (local_irq_restore only)'], SYSTEM_H);
add(['__save_and_cli', 'local_irq_save'], [save(0), IRQS_OFF], ['2.4.22', '2.6.11 (local_irq_save only)'], SYSTEM_H);
add(['__save_and_sti', 'local_irq_set'], [save(0), IRQS_ON], ['2.4.22'], SYSTEM_H_24);
add(['cli'], [IRQS_OFF], BOTH, OLD_IRQ_API);
add(['sti'], [IRQS_ON], BOTH, OLD_IRQ_API);
add(['save_flags'], [save(0)], BOTH, OLD_IRQ_API);
add(['restore_flags'], [restore(0)], BOTH, OLD_IRQ_API);
add(['save_and_cli'], [save(0), IRQS_OFF], BOTH, OLD_IRQ_API);
add(['save_and_sti'], [save(0), IRQS_ON], ['2.4.22'], SYSTEM_H_24);
add(['local_bh_disable'], [BH_OFF], BOTH, '2.4.22 include/asm-i386/softirq.h; 2.6.11 include/linux/interrupt.h');
add(['local_bh_enable'], [BH_ON], BOTH, '2.4.22 include/asm-i386/softirq.h; 2.6.11 include/linux/interrupt.h');
add(['preempt_disable', 'get_cpu'], [{ does: 'off', kind: 'preempt-off' }], ['2.6.11'], '2.6.11 include/linux/preempt.h, include/linux/smp.h');
add(
  ['preempt_enable', 'put_cpu', 'preempt_enable_no_resched'],
  [{ does: 'on', kind: 'preempt-off' }],
  ['2.6.11'],
  '2.6.11 include/linux/preempt.h, include/linux/smp.h',
);

/** Every primitive the lock-state flow follows, by name. */
export const ATOMIC_PRIMITIVES: Readonly<Record<string, AtomicPrimitive>> = table;

export interface LockOp {
  kind: AtomicKind;
  acquire: boolean;
  /** Argument index naming the lock; -1 for the CPU-wide states (irqs, bh, preemption). */
  lockArg: number;
}

/**
 * The primitives as one acquire or release each (the simulation's view: a context switch per call):
 * the lock where there is one, else the CPU-wide state; a restore counts as turning interrupts back on.
 */
export const LOCK_OPS: Readonly<Record<string, LockOp>> = nameTable(
  Object.fromEntries(
    Object.entries(table).flatMap(([name, p]): [string, LockOp][] => {
      const l = p.effects.find((e): e is Extract<AtomicEffect, { does: 'lock' | 'unlock' }> => e.does === 'lock' || e.does === 'unlock');
      if (l) return [[name, { kind: l.kind, acquire: l.does === 'lock', lockArg: l.arg }]];
      const s = p.effects.find((e): e is Extract<AtomicEffect, { does: 'off' | 'on' }> => e.does === 'off' || e.does === 'on');
      if (s) return [[name, { kind: s.kind, acquire: s.does === 'off', lockArg: -1 }]];
      // save_flags() alone changes nothing.
      return p.effects.some((e) => e.does === 'restore-irqs') ? [[name, { kind: 'irqs-off', acquire: false, lockArg: -1 }]] : [];
    }),
  ),
);

/** `spin_trylock(&l)` acquires only on the branch where it returned true. */
export const TRYLOCKS = new Set(['spin_trylock', 'spin_trylock_irqsave', 'spin_trylock_bh', 'read_trylock', 'write_trylock', 'spin_trylock_irq']);

/** Tests of the current context; code under `if (in_interrupt())` knows where it runs. */
export const CONTEXT_TESTS: Readonly<Record<string, 'atomic-if-true'>> = nameTable({
  in_interrupt: 'atomic-if-true',
  in_atomic: 'atomic-if-true',
  in_irq: 'atomic-if-true',
  in_softirq: 'atomic-if-true',
  irqs_disabled: 'atomic-if-true',
});

export function describeKind(kind: AtomicKind): string {
  return {
    spinlock: 'a spinlock is held',
    rwlock: 'a read/write spinlock is held',
    'irqs-off': 'interrupts are disabled',
    'bh-off': 'bottom halves are disabled',
    'preempt-off': 'preemption is disabled',
  }[kind];
}
