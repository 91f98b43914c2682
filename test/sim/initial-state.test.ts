/** Runs start from a copy of the machine's state in their scenario, built once: the same state, shared by nothing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, initialEngine, initialStateCounts } from '../../core/sim/engine';
import { DEFAULT_MACHINE, makeMachine, SCENARIOS, scenariosFor, type MachineConfig, type ScenarioState } from '../../core/sim/machine';
import { simulate } from '../../core/sim/simulate';
import { checkInvariants, Simulator } from '../../core/sim/index';

/** Every piece of a zone's state, the free lists in their order (rmqueue takes the first block). */
function zoneState(e: Engine) {
  return e.zones.map((z) => ({
    freeLists: z.freeLists.map((s) => [...s]),
    freeOrder: [...z.freeOrder],
    nrFree: [...z.nrFree],
    freePages: z.freePages,
    pcp: z.pcp.map((l) => ({ list: [...l.list], low: l.low, high: l.high, batch: l.batch })),
    allocated: z.allocated,
    bg: [z.bgRanges, z.bgPos, z.bgOff, z.background, z.reclaimable, z.oomPages],
    marks: [z.min, z.low, z.high, z.lowmemReserve],
  }));
}

const small = makeMachine([1024, 4096, 4096]);
const tight: ScenarioState = { name: 'tight', free: [60, 150, 40], reclaimable: [20, 60, 40], oomVictims: 1, oomVictimPages: [0, 30, 30] };
const cases: Array<[string, MachineConfig, ScenarioState]> = [
  ...Object.values(SCENARIOS).map((s): [string, MachineConfig, ScenarioState] => [`default ${s.name}`, DEFAULT_MACHINE, s]),
  ...Object.values(scenariosFor(small)).map((s): [string, MachineConfig, ScenarioState] => [`small ${s.name}`, small, s]),
  ['small tight', small, tight],
];

test('a copied initial state is the state new Engine + applyScenario builds', () => {
  for (const [what, machine, scenario] of cases) {
    const built = new Engine(machine, scenario, 'process', true);
    built.applyScenario(scenario);
    // Twice: the first builds the kept state, the second copies it.
    for (let i = 0; i < 2; i++) {
      const copied = initialEngine(machine, scenario, 'process', true, true);
      assert.deepEqual(zoneState(copied), zoneState(built), what);
      assert.equal(copied.oomVictims, built.oomVictims, what);
      assert.equal(copied.scenario, scenario);
      assert.deepEqual(copied.zonelists, built.zonelists);
      assert.equal(copied.totalPages, built.totalPages);
    }
  }
});

test('runs on one machine and scenario build its initial state once, and no run changes it', () => {
  const scenario: ScenarioState = { name: 'once', free: [100, 900, 300], reclaimable: [10, 50, 20], oomVictims: 2, oomVictimPages: [0, 40, 40] };
  const ops = [
    { op: 'kmalloc', size: 3000, gfp: 0xd0, ref: 'a' },
    { op: 'alloc_pages', order: 3, gfp: 0x20, ref: 'b' },
    { op: 'alloc_pages', order: 9, gfp: 0xd0, ref: 'c' },
  ];
  const before = { ...initialStateCounts };
  const first = simulate(ops, { machine: small, scenario, snapshots: 'all' });
  const second = simulate(ops, { machine: small, scenario: { ...scenario, name: 'again' }, snapshots: 'all' });
  assert.equal(initialStateCounts.built - before.built, 1, 'built once for two runs');
  assert.equal(initialStateCounts.copied - before.copied, 2);
  // The first run took pages; the second starts where the first did.
  assert.equal(JSON.stringify(second.steps), JSON.stringify(first.steps));
  assert.ok(first.steps.some((s) => s.outcome.kind === 'ok'));
  const sim = new Simulator({ machine: small, scenario });
  assert.deepEqual(checkInvariants(sim), []);
});
