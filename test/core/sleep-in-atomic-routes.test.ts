/**
 * sleep-in-atomic names the route that makes a call atomic (the primitive and its line, the call chain)
 * and, for a kernel function that sleeps, the reason read in the kernel source. Through the real parser,
 * on the rule's fixtures.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { check } from '../support/core';
import { FIXTURES, lineOf } from '../support/fixtures';

async function messagesOf(fixture: string): Promise<Map<number, string>> {
  const text = fs.readFileSync(path.join(FIXTURES, 'sleep-in-atomic', fixture), 'latin1');
  const findings = await check(text, `drivers/char/${path.basename(fixture)}`);
  return new Map(findings.filter((f) => f.rule === 'sleep-in-atomic').map((f) => [lineOf(text, f.span.start), f.message]));
}

test('interrupts left off by a lock primitive, or brought back by a restore, are named with their line', async () => {
  const m = await messagesOf('irq-primitives.c');
  assert.match(m.get(16)!, /interrupts are disabled \(__cli\(\) at line 15\)/);
  // spin_unlock() alone: interrupts stay off since spin_lock_irqsave().
  assert.match(m.get(37)!, /interrupts are disabled \(spin_lock_irqsave\(card_lock\) at line 35\)/);
  // write_unlock_irqrestore() brings back the outer local_irq_save().
  assert.match(m.get(50)!, /interrupts are disabled \(local_irq_save\(\) at line 47\)/);
  assert.match(m.get(95)!, /bottom halves are disabled \(local_bh_disable\(\) at line 94\)/);
  // A helper's save/cli/restore keeps the context its only caller lends it.
  assert.match(m.get(112)!, /a spinlock is held \(spin_lock\(card_lock\) at line 117\) \(call chain card_locked_fill\(\) → card_fill\(\)\)/);
});

test('a kernel function that sleeps is reported with the reason read in the kernel, and no fix', async () => {
  const text = fs.readFileSync(path.join(FIXTURES, 'sleep-in-atomic', 'sleeping-apis.c'), 'latin1');
  const findings = (await check(text, 'drivers/char/sleeping-apis.c')).filter((f) => f.rule === 'sleep-in-atomic');
  const at = (line: number) => findings.find((f) => lineOf(text, f.span.start) === line)!;
  assert.match(at(26).message, /^request_irq\(\) may sleep: it allocates its irqaction with kmalloc\(GFP_KERNEL\) in 2\.4\.22 \(arch\/i386\/kernel\/irq\.c/);
  assert.match(at(26).message, /a spinlock is held \(spin_lock_irqsave\(tuner_lock\) at line 25\)/);
  assert.equal(text.slice(at(26).span.start, at(26).span.end), 'request_irq');
  assert.match(
    at(41).message,
    /^proc_mkdir\(\) may sleep: it allocates the \/proc entry with kmalloc\(GFP_KERNEL\).*interrupts are disabled \(cli\(\) at line 40\)/,
  );
  assert.match(at(50).message, /^request_region\(\) may sleep: .*tuner_poll\(\) is a timer function.*\(call chain tuner_poll\(\) → tuner_claim_ports\(\)\)/);
  assert.match(at(65).message, /^misc_register\(\) may sleep: it takes misc_sem with down\(\)/);
  for (const f of findings) if (!/^kmalloc/.test(f.message)) assert.deepEqual(f.fixes, [], `${f.message.slice(0, 30)}: no fix`);
});

test('request_irq() is not reported where only an architecture whose version does not sleep builds the file', async () => {
  const s390 = fs.readFileSync(path.join(FIXTURES, 'sleep-in-atomic', 'drivers', 's390', 'chan-probe.c'), 'latin1');
  const names = async (text: string, file: string) =>
    (await check(text, file)).filter((f) => f.rule === 'sleep-in-atomic').map((f) => f.message.slice(0, f.message.indexOf('(')));
  assert.deepEqual(await names(s390, 'drivers/s390/cio/chan-probe.c'), ['kmalloc']);
  // The same code in an ordinary driver directory: request_irq() sleeps there.
  assert.deepEqual(await names(s390, 'drivers/char/chan-probe.c'), ['request_irq', 'kmalloc']);
  const m68k = fs.readFileSync(path.join(FIXTURES, 'sleep-in-atomic', 'm68k-only.c'), 'latin1');
  assert.deepEqual(await names(m68k, 'drivers/char/m68k-only.c'), ['request_region']);
  assert.deepEqual(await names(m68k.replace('#include <asm/machw.h>\n', ''), 'drivers/char/m68k-only.c'), ['request_irq', 'request_region']);
});

test('a call chain goes through a function tree-sitter breaks up', async () => {
  const m = await messagesOf('broken-callee.c');
  assert.match(m.get(23)!, /a spinlock is held \(spin_lock\(mux_lock\) at line \d+\) \(call chain mux_setup\(\) → mux_table\(\)\)/);
  assert.match(m.get(70)!, /a spinlock is held \(spin_lock_irqsave\(mux_lock\) at line 69\)/);
});
