/** Calls that make the current context atomic (spinlocks, rwlocks, irqs/bh/preemption off) and their releases. */
import { nameTable } from '../kernel/name-table';

export type AtomicKind = 'spinlock' | 'rwlock' | 'irqs-off' | 'bh-off' | 'preempt-off';

export interface LockOp {
  kind: AtomicKind;
  acquire: boolean;
  /** Argument index naming the lock; -1 for the CPU-wide states (irqs, bh, preemption). */
  lockArg: number;
}

const table: Record<string, LockOp> = Object.create(null);
const add = (names: string[], op: LockOp) => names.forEach((n) => (table[n] = op));

for (const v of ['', '_irq', '_irqsave', '_bh', '_nested', '_irqsave_nested']) {
  add([`spin_lock${v}`, `_raw_spin_lock${v}`, `raw_spin_lock${v}`], { kind: 'spinlock', acquire: true, lockArg: 0 });
  add([`read_lock${v}`, `write_lock${v}`], { kind: 'rwlock', acquire: true, lockArg: 0 });
}
for (const v of ['', '_irq', '_irqrestore', '_bh']) {
  add([`spin_unlock${v}`, `_raw_spin_unlock${v}`, `raw_spin_unlock${v}`], { kind: 'spinlock', acquire: false, lockArg: 0 });
  add([`read_unlock${v}`, `write_unlock${v}`], { kind: 'rwlock', acquire: false, lockArg: 0 });
}
add(['local_irq_disable', 'local_irq_save', 'cli', 'save_and_cli'], { kind: 'irqs-off', acquire: true, lockArg: -1 });
add(['local_irq_enable', 'local_irq_restore', 'sti', 'restore_flags'], { kind: 'irqs-off', acquire: false, lockArg: -1 });
add(['local_bh_disable'], { kind: 'bh-off', acquire: true, lockArg: -1 });
add(['local_bh_enable'], { kind: 'bh-off', acquire: false, lockArg: -1 });
add(['preempt_disable', 'get_cpu'], { kind: 'preempt-off', acquire: true, lockArg: -1 });
add(['preempt_enable', 'put_cpu', 'preempt_enable_no_resched'], { kind: 'preempt-off', acquire: false, lockArg: -1 });

export const LOCK_OPS: Readonly<Record<string, LockOp>> = table;

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
  return { spinlock: 'a spinlock is held', rwlock: 'a read/write spinlock is held', 'irqs-off': 'interrupts are disabled', 'bh-off': 'bottom halves are disabled', 'preempt-off': 'preemption is disabled' }[kind];
}
