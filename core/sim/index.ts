// kport allocator simulator: public API.
export { simulate, simulateScenarios, simulateShared, Simulator, resolveScenario } from './simulate';
export { checkInvariants } from './invariants';
export type { Engine } from './engine';
export * from './types';
export * from './gfp';
export {
  DEFAULT_MACHINE,
  DEFAULT_SIMULATED_MACHINE,
  DISTRIBUTION_KERNEL,
  MACHINE_PRESETS,
  resolveMachine,
  scenariosFor,
  zonePagesFor,
  SCENARIOS,
  SCENARIO_NAMES,
  ZONE_NAMES,
  MAX_ORDER,
  makeMachine,
  watermarksFor,
  pcpFor,
  lowmemReserveFor,
  type KernelConfig,
  type MachineConfig,
  type MachinePreset,
  type SimulatedMachine,
  type ZoneConfig,
  type PcpConfig,
  type ScenarioState,
  type ScenarioName,
  type ZoneName,
} from './machine';
export { KMALLOC_SIZES, KMALLOC_MAX } from './slab';
export { prng } from './prng';
