/**
 * What a porter would observe when an allocation sleeps in atomic context on Linux 2.6.11, by kernel
 * configuration. From the 2.6.11 code:
 * - `might_sleep()` (kernel/sched.c `__might_sleep`, CONFIG_DEBUG_SPINLOCK_SLEEP only) warns "Debug: sleeping
 *   function called from invalid context" when `in_atomic() || irqs_disabled()`, on every call, whatever memory
 *   holds (rate-limited to one a second);
 * - `schedule()` prints "scheduling while atomic" (and a stack) when `in_atomic()`, that is when
 *   `preempt_count()` is non-zero: always in an interrupt handler or softirq, or with bottom halves off
 *   (`local_bh_disable()` adds SOFTIRQ_OFFSET); under a spinlock or preempt_disable() only with CONFIG_PREEMPT
 *   (without it `spin_lock()` does not touch preempt_count, include/linux/spinlock.h);
 * - otherwise the sleep is silent: the lock stays held while the task sleeps (another CPU or an interrupt
 *   handler that takes it spins forever), or schedule() re-enables the interrupts the caller had disabled.
 */
import { DISTRIBUTION_KERNEL, type ContextKind, type KernelConfig } from '../sim';

export { DISTRIBUTION_KERNEL, type KernelConfig };

export type AtomicCause = 'hardirq' | 'softirq' | 'bh-off' | 'irqs-off' | 'lock' | 'lock-irqs-off' | 'preempt-off' | 'unknown';

/** The cause of an atomic context, from the context analysis' reason ("a spinlock is held (spin_lock_irqsave(…))"). */
export function atomicCause(kind: ContextKind, reason: string | null): AtomicCause {
  const r = reason ?? '';
  if (kind === 'interrupt' || /interrupt handler/.test(r)) return 'hardirq';
  if (/softirq|tasklet|timer function|bottom half\b/.test(r)) return 'softirq';
  if (/bottom halves are disabled/.test(r)) return 'bh-off';
  if (/spinlock is held/.test(r)) return /_irq(save)?\(/.test(r) ? 'lock-irqs-off' : 'lock';
  if (/interrupts are disabled/.test(r)) return 'irqs-off';
  if (/preemption is disabled/.test(r)) return 'preempt-off';
  return 'unknown';
}

/** Whether 2.6.11's in_atomic() is true there on this kernel. */
function inAtomic(cause: AtomicCause, k: KernelConfig): boolean {
  return (
    cause === 'hardirq' ||
    cause === 'softirq' ||
    cause === 'bh-off' ||
    (k.preempt && (cause === 'lock' || cause === 'lock-irqs-off' || cause === 'preempt-off'))
  );
}

/** The kernel in words, for the line under a verdict. */
export function kernelWords(k: KernelConfig): string {
  const base = `${k.preempt ? 'a preemptible kernel (CONFIG_PREEMPT)' : 'a non-preemptible kernel'}${k.debugSleep ? ' with CONFIG_DEBUG_SPINLOCK_SLEEP' : ' without sleep debugging'}`;
  return k.preempt === DISTRIBUTION_KERNEL.preempt && k.debugSleep === DISTRIBUTION_KERNEL.debugSleep ? `${base}, as distributions built 2.6.11` : base;
}

/**
 * What happens at a sleeping call in atomic context: `sleeps` when the scenario makes it sleep (direct
 * reclaim), else it does not sleep now (memory plentiful) and only a check could tell.
 */
export function observedSleep(cause: AtomicCause, k: KernelConfig, sleeps: boolean): string {
  const warns = k.debugSleep && (inAtomic(cause, k) || cause === 'irqs-off' || cause === 'lock-irqs-off');
  if (!sleeps) {
    return warns
      ? 'it does not sleep now (memory is plentiful), but might_sleep() warns "sleeping function called from invalid context" on every call'
      : 'it does not sleep now (memory is plentiful), and nothing warns on this kernel: the bug shows only when memory runs short';
  }
  if (inAtomic(cause, k)) {
    return `it sleeps in direct reclaim and schedule() prints "scheduling while atomic"${cause === 'hardirq' ? ': in an interrupt handler the interrupted task is switched away, a crash or hang to follow' : ''}`;
  }
  if (cause === 'lock-irqs-off')
    return 'it sleeps in direct reclaim with the lock held and interrupts off, silently on this kernel: schedule() turns interrupts back on, and whoever takes the lock next spins forever';
  if (cause === 'irqs-off')
    return 'it sleeps in direct reclaim with interrupts disabled, silently on this kernel: schedule() turns them back on, so the region they protected is no longer protected';
  if (cause === 'lock')
    return 'it sleeps in direct reclaim with the lock held, silently on this kernel: whoever takes the lock next (another CPU, an interrupt handler) spins forever';
  return 'it sleeps in direct reclaim in atomic context';
}

/**
 * 2.6.11 mm/slab.c:1834 cache_grow: `if (local_flags & __GFP_WAIT) local_irq_enable();` — a slab allocation that
 * grows its cache turns interrupts on inside the call, whatever the caller disabled; null when the caller had
 * not disabled them.
 */
export function irqsEnabledInsideClause(cause: AtomicCause): string | null {
  if (cause === 'lock-irqs-off')
    return 'cache_grow() turns interrupts back on inside the allocation (mm/slab.c:1834): an interrupt handler that takes the same lock deadlocks';
  if (cause === 'irqs-off')
    return 'cache_grow() turns interrupts back on inside the allocation (mm/slab.c:1834): an interrupt can run inside the region they protected';
  return null;
}
