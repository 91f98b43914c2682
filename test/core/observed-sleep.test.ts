/** What a sleep in atomic context shows on a 2.6.11 kernel, by the cause of the atomic context and the configuration. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atomicCause, DISTRIBUTION_KERNEL, irqsEnabledInsideClause, observedSleep } from '../../core/simulation/observed';

const PREEMPT_DEBUG = { preempt: true, debugSleep: true };

test('causes read from the context analysis: interrupt handler, softirq, spinlock with or without irqs off, cli()', () => {
  assert.equal(atomicCause('interrupt', '`x()` is an interrupt handler, registered with `request_irq()`'), 'hardirq');
  assert.equal(atomicCause('atomic', 'x() is a timer function (runs in softirq context)'), 'softirq');
  assert.equal(atomicCause('atomic', 'a spinlock is held (spin_lock(l) at line 4)'), 'lock');
  assert.equal(atomicCause('atomic', 'a spinlock is held (spin_lock_irqsave(sc->lock) at line 219)'), 'lock-irqs-off');
  assert.equal(atomicCause('atomic', 'interrupts are disabled (cli() at line 9)'), 'irqs-off');
  assert.equal(atomicCause('atomic', 'bottom halves are disabled (local_bh_disable() at line 3)'), 'bh-off');
});

test('a distribution kernel (no PREEMPT, no sleep debugging): a sleep under a spinlock or cli() is silent, in an interrupt handler it prints "scheduling while atomic"', () => {
  assert.match(observedSleep('lock', DISTRIBUTION_KERNEL, true), /silently on this kernel: whoever takes the lock next .* spins forever/);
  assert.match(observedSleep('irqs-off', DISTRIBUTION_KERNEL, true), /interrupts disabled, silently on this kernel: schedule\(\) turns them back on/);
  assert.match(observedSleep('hardirq', DISTRIBUTION_KERNEL, true), /schedule\(\) prints "scheduling while atomic": in an interrupt handler/);
  // local_bh_disable() raises preempt_count on every kernel: in_atomic() sees it.
  assert.match(observedSleep('bh-off', DISTRIBUTION_KERNEL, true), /prints "scheduling while atomic"/);
  assert.match(observedSleep('lock', DISTRIBUTION_KERNEL, false), /nothing warns on this kernel/);
});

test('CONFIG_PREEMPT makes a spinlock visible to in_atomic(); CONFIG_DEBUG_SPINLOCK_SLEEP warns whatever memory holds', () => {
  assert.match(observedSleep('lock', PREEMPT_DEBUG, true), /prints "scheduling while atomic"/);
  assert.match(observedSleep('lock', PREEMPT_DEBUG, false), /might_sleep\(\) warns "sleeping function called from invalid context" on every call/);
  // cli() alone does not raise preempt_count, even with PREEMPT: the debug check sees irqs_disabled().
  assert.doesNotMatch(observedSleep('irqs-off', PREEMPT_DEBUG, true), /scheduling while atomic/);
  assert.match(observedSleep('irqs-off', { preempt: false, debugSleep: true }, false), /might_sleep\(\) warns/);
  // Without the debug option, nothing warns under a plain spinlock even with PREEMPT until it really sleeps.
  assert.match(observedSleep('lock', { preempt: true, debugSleep: false }, false), /nothing warns/);
});

test('mm/slab.c:1834: the cache_grow clause is said where the caller disabled interrupts, and only there', () => {
  assert.match(irqsEnabledInsideClause('lock-irqs-off') ?? '', /an interrupt handler that takes the same lock deadlocks/);
  assert.match(irqsEnabledInsideClause('irqs-off') ?? '', /an interrupt can run inside the region they protected/);
  for (const cause of ['lock', 'hardirq', 'softirq', 'bh-off', 'preempt-off'] as const) assert.equal(irqsEnabledInsideClause(cause), null, cause);
});
