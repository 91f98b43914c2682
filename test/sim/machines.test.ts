/** The machines a porter simulates on: presets and memory sizes give i386 zones, watermarks and scenarios in proportion. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MACHINE, resolveMachine, SCENARIOS, simulate, zonePagesFor } from '../../core/sim';

test('memory sizes become i386 zones: DMA is the first 16 MiB, Normal up to 896 MiB, HighMem above', () => {
  assert.deepEqual(zonePagesFor(32), [4096, 4096, 0]);
  assert.deepEqual(zonePagesFor(512), [4096, 126976, 0]);
  assert.deepEqual(zonePagesFor(2048), [4096, 225280, 294912]);
});

test('presets and sizes resolve; the default pc-256m is the 256 MiB size as 2.6.11 lays it out; bad values fall back with a problem', () => {
  assert.equal(resolveMachine(undefined).machine.config, DEFAULT_MACHINE);
  assert.equal(resolveMachine('pc-256m').machine.scenarios, SCENARIOS);
  // A size is the i386 layout: 256 MiB has no HighMem; the default preset is that machine, numbers and scenarios alike.
  assert.deepEqual(
    resolveMachine(256).machine.config.zones.map((z) => z.pages),
    [4096, 61440, 0],
  );
  assert.deepEqual(resolveMachine(256).machine.config, DEFAULT_MACHINE);
  assert.deepEqual(resolveMachine('256 MiB').machine.scenarios, SCENARIOS);
  assert.equal(resolveMachine('pc-256m').machine.label, resolveMachine(256).machine.label);
  assert.equal(resolveMachine(256).machine.label, '256 MiB, 1 CPU');
  assert.equal(resolveMachine('embedded-32m').machine.label, '32 MiB, 1 CPU');
  assert.equal(resolveMachine('512 MiB').machine.label, '512 MiB, 1 CPU');
  assert.equal(resolveMachine(4096).machine.label, '4 GiB, 1 CPU');
  for (const bad of ['huge', 7, -1, 1e6, '1.5']) {
    const r = resolveMachine(bad);
    assert.equal(r.machine.config, DEFAULT_MACHINE);
    assert.match(r.problem ?? '', /is not one of pc-256m, embedded-32m, server-2g or a memory size/);
  }
});

test("each machine's scenarios keep their meaning: pressure between the atomic reserve and pages_min, exhausted below the reserve", () => {
  for (const id of ['pc-256m', 'embedded-32m', 'server-2g', '1024']) {
    const { config, scenarios } = resolveMachine(id).machine;
    config.zones.forEach((z, i) => {
      if (!z.pages) return assert.deepEqual([scenarios.normal.free[i], scenarios.pressure.free[i], scenarios.exhausted.free[i]], [0, 0, 0]);
      // GFP_ATOMIC may go down to min - min/2 - min/4 (2.6.11 zone_watermark_ok with ALLOC_HARDER|ALLOC_HIGH).
      const atomicFloor = z.min - Math.floor(z.min / 2) - Math.floor(z.min / 4);
      assert.ok(scenarios.normal.free[i] > z.high, `${id} ${z.name}: normal above pages_high`);
      assert.ok(
        scenarios.pressure.free[i] < z.min && scenarios.pressure.free[i] > atomicFloor,
        `${id} ${z.name}: pressure ${scenarios.pressure.free[i]} between ${atomicFloor} and ${z.min}`,
      );
      assert.ok(scenarios.exhausted.free[i] < atomicFloor, `${id} ${z.name}: exhausted below the atomic floor`);
    });
  }
});

test('the same sequence runs out on a 32 MiB board where a 256 MiB PC serves it: 200 atomic 128 KiB blocks', () => {
  const ops = Array.from({ length: 200 }, (_, i) => ({ op: 'get_free_pages', gfp: 'GFP_ATOMIC', order: 5, ref: `p${i}` }));
  const served = (id: string) => {
    const m = resolveMachine(id).machine;
    return simulate(ops, { scenario: m.scenarios.normal, machine: m.config }).steps.filter((s) => s.outcome.kind === 'ok').length;
  };
  assert.equal(served('pc-256m'), 200);
  const small = served('embedded-32m');
  assert.ok(small < 200 && small > 150, `32 MiB board served ${small} of 200`);
});

test("setup (module init) runs in normal memory of the machine simulated on: HighMem is free during a 2 GiB server's setup", () => {
  const m = resolveMachine('server-2g').machine;
  const r = simulate([{ op: 'free_pages', ref: 'h' }], {
    machine: m.config,
    scenario: m.scenarios.pressure,
    setup: [{ op: 'alloc_pages', gfp: 'GFP_HIGHUSER', order: 0, ref: 'h' }],
  });
  assert.equal(r.setup?.[0].outcome.page?.zone, 'HighMem', r.setup?.[0].outcome.message);
  assert.equal(r.steps[0].outcome.kind, 'ok');
});

test("a scenario given by name is the machine's own: 'exhausted' on a 2 GiB server leaves its HighMem nearly empty, not the default machine's (which has none)", () => {
  const m = resolveMachine('server-2g').machine;
  const byName = simulate([], { machine: m.config, scenario: 'exhausted' });
  const byState = simulate([], { machine: m.config, scenario: m.scenarios.exhausted });
  assert.deepEqual(byName.final, byState.final);
  assert.equal(byName.scenario, 'exhausted');
  const highmem = byName.final?.zones.find((z) => z.name === 'HighMem');
  assert.ok(highmem && highmem.free < m.config.zones.find((z) => z.name === 'HighMem')!.pages / 10, JSON.stringify(highmem));
});
