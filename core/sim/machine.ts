// Machine configuration, the default 256 MiB box, and the memory scenarios.

export type ZoneName = 'DMA' | 'Normal' | 'HighMem';
export const ZONE_NAMES: readonly ZoneName[] = ['DMA', 'Normal', 'HighMem'];
export const MAX_ORDER = 11; // orders 0..10

export interface PcpConfig {
  low: number;
  high: number;
  batch: number;
}

export interface ZoneConfig {
  name: ZoneName;
  pages: number;
  min: number;
  low: number;
  high: number;
  hot: PcpConfig;
  cold: PcpConfig;
  /**
   * lowmem_reserve[classzone]: pages this zone keeps back from allocations whose zonelist starts in a
   * higher zone (2.6.11 setup_per_zone_lowmem_reserve). Computed from the zone sizes when absent.
   */
  lowmemReserve?: [number, number, number];
}

export interface MachineConfig {
  pageSize: number;
  zones: [ZoneConfig, ZoneConfig, ZoneConfig];
  /** Pages direct reclaim frees per call per zone: with __GFP_IO|__GFP_FS, with __GFP_IO only, with neither. */
  reclaimPerCall: { fsio: number; io: number; none: number };
}

/** A memory state: what the rest of the system holds when the simulated code runs. */
export interface ScenarioState {
  name: string;
  /** Free (buddy) pages per zone [DMA, Normal, HighMem]. */
  free: [number, number, number];
  /** Pages direct reclaim can still free per zone (clean/dirty page cache, anon pages). */
  reclaimable: [number, number, number];
  /** Tasks the OOM killer can kill that free memory, and the pages each kill frees per zone. */
  oomVictims: number;
  oomVictimPages: [number, number, number];
}

export type ScenarioName = 'normal' | 'pressure' | 'exhausted';
export const SCENARIO_NAMES: readonly ScenarioName[] = ['normal', 'pressure', 'exhausted'];

/** 2.6.0 free_area_init_core: batch = min(pages/1024, 256KiB/PAGE_SIZE)/4, >= 1. */
export function pcpFor(pages: number, pageSize = 4096): { hot: PcpConfig; cold: PcpConfig } {
  let batch = Math.floor(pages / 1024);
  if (batch * pageSize > 256 * 1024) batch = Math.floor((256 * 1024) / pageSize);
  batch = Math.floor(batch / 4);
  if (batch < 1) batch = 1;
  return { hot: { low: 2 * batch, high: 6 * batch, batch }, cold: { low: 0, high: 2 * batch, batch } };
}

/**
 * Watermarks as 2.6.11 computes them (mm/page_alloc.c init_per_zone_pages_min, setup_per_zone_pages_min):
 * min_free_kbytes = int_sqrt(lowmem_kbytes * 16) clamped to [128, 65536], split between the lowmem zones
 * by size; HighMem gets pages/1024 clamped to [SWAP_CLUSTER_MAX = 32, 128]; pages_low = pages_min * 5 / 4,
 * pages_high = pages_min * 6 / 4 (2.6.0 had 2x and 3x).
 */
export function watermarksFor(pages: [number, number, number], pageSize = 4096): Array<{ min: number; low: number; high: number }> {
  const lowmem = pages[0] + pages[1];
  const minFreeKb = Math.min(65536, Math.max(128, Math.floor(Math.sqrt(((lowmem * pageSize) / 1024) * 16))));
  const minPagesTotal = Math.floor(minFreeKb / (pageSize / 1024));
  return pages.map((p, i) => {
    let min: number;
    if (i === 2) min = p ? Math.min(128, Math.max(32, Math.floor(p / 1024))) : 0;
    else min = lowmem > 0 ? Math.floor((minPagesTotal * p) / lowmem) : 0;
    return { min, low: Math.floor((min * 5) / 4), high: Math.floor((min * 6) / 4) };
  });
}

/** 2.6.11 sysctl_lowmem_reserve_ratio: DMA keeps 1/256, Normal 1/32 of the zones above it. */
export const LOWMEM_RESERVE_RATIO = [256, 32] as const;

/**
 * 2.6.11 setup_per_zone_lowmem_reserve: for an allocation whose zonelist starts in zone j, each lower zone
 * i keeps back (pages of zones i+1..j) / ratio[i] pages on top of its watermark.
 */
export function lowmemReserveFor(pages: readonly number[]): [number, number, number][] {
  const reserve: [number, number, number][] = pages.map(() => [0, 0, 0]);
  for (let j = 0; j < pages.length; j++) {
    let present = pages[j];
    for (let i = j - 1; i >= 0; i--) {
      reserve[i][j] = Math.floor(present / LOWMEM_RESERVE_RATIO[i]);
      present += pages[i];
    }
  }
  return reserve;
}

export function makeMachine(pages: [number, number, number], pageSize = 4096): MachineConfig {
  const wm = watermarksFor(pages, pageSize);
  const reserve = lowmemReserveFor(pages);
  const zones = ZONE_NAMES.map((name, i) => ({
    name,
    pages: pages[i],
    ...wm[i],
    ...pcpFor(pages[i], pageSize),
    lowmemReserve: reserve[i],
  })) as MachineConfig['zones'];
  return { pageSize, zones, reclaimPerCall: { fsio: 32, io: 16, none: 8 } };
}

function isNat(n: unknown, max = 1 << 24): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max;
}

/** Validate a user machine; returns an error message or null. */
export function validateMachine(m: unknown): string | null {
  if (m === null || typeof m !== 'object') return 'machine must be an object';
  const mc = m as Partial<MachineConfig>;
  if (!isNat(mc.pageSize) || mc.pageSize < 512) return 'machine.pageSize must be an integer >= 512';
  if (!Array.isArray(mc.zones) || mc.zones.length !== 3) return 'machine.zones must list DMA, Normal, HighMem';
  let total = 0;
  for (let i = 0; i < 3; i++) {
    const z = mc.zones[i] as Partial<ZoneConfig> | undefined;
    if (!z || typeof z !== 'object') return `zone ${i} missing`;
    if (!isNat(z.pages)) return `zone ${ZONE_NAMES[i]}: pages must be a non-negative integer`;
    if (!isNat(z.min) || !isNat(z.low) || !isNat(z.high) || !(z.min <= z.low && z.low <= z.high)) {
      return `zone ${ZONE_NAMES[i]}: need integers pages_min <= pages_low <= pages_high`;
    }
    for (const l of [z.hot, z.cold]) {
      if (!l || !isNat(l.low) || !isNat(l.high) || !isNat(l.batch) || l.batch < 1) return `zone ${ZONE_NAMES[i]}: bad per-CPU list config`;
    }
    total += z.pages;
  }
  if (total > 1 << 22) return 'machine too large to simulate (more than 4M pages)';
  const r = mc.reclaimPerCall;
  if (!r || !isNat(r.fsio) || !isNat(r.io) || !isNat(r.none)) return 'machine.reclaimPerCall must give fsio/io/none page counts';
  return null;
}

export function validateScenario(s: unknown): string | null {
  if (s === null || typeof s !== 'object') return 'scenario must be a name or a state object';
  const st = s as Partial<ScenarioState>;
  const tri = (a: unknown) => Array.isArray(a) && a.length === 3 && a.every((x) => isNat(x));
  if (!tri(st.free)) return 'scenario.free must be [dma, normal, highmem] page counts';
  if (!tri(st.reclaimable)) return 'scenario.reclaimable must be [dma, normal, highmem] page counts';
  if (!isNat(st.oomVictims, 1000) || !tri(st.oomVictimPages)) return 'scenario.oomVictims/oomVictimPages malformed';
  return null;
}

/**
 * The machines a porter can simulate on (setting `simulation.machine`): i386 zones as 2.6.11 sizes them —
 * DMA is the first 16 MiB, Normal the rest of the first 896 MiB, HighMem above.
 */
export const MACHINE_PRESETS = {
  'pc-256m': { label: '256 MiB, 1 CPU', describe: 'a 256 MiB i386 PC (the default)', mib: 256 },
  'embedded-32m': { label: '32 MiB, 1 CPU', describe: 'a small embedded board with 32 MiB and no HighMem', mib: 32 },
  'server-2g': { label: '2 GiB, 1 CPU', describe: 'a 2 GiB i386 server (1,152 MiB of HighMem)', mib: 2048 },
} as const;
export type MachinePreset = keyof typeof MACHINE_PRESETS;

/** i386 zone sizes in 4 KiB pages for `mib` of memory: [DMA, Normal, HighMem]. */
export function zonePagesFor(mib: number): [number, number, number] {
  const pages = Math.floor((mib * 1024) / 4);
  const dma = Math.min(pages, 4096);
  const normal = Math.min(pages - dma, 229376 - 4096);
  return [dma, normal, pages - dma - normal];
}

/**
 * The three scenarios on a machine, in proportion to its zones: normal memory has three quarters of each zone
 * free; pressure sits between the atomic reserve and pages_min (2/3 of pages_min); exhausted memory is below
 * the atomic reserve (a tenth of pages_min), with nothing to reclaim or kill.
 */
export function scenariosFor(machine: MachineConfig): Record<ScenarioName, ScenarioState> {
  const z = machine.zones;
  const each = (f: (zone: ZoneConfig) => number) => z.map(f) as [number, number, number];
  return {
    normal: {
      name: 'normal',
      free: each((x) => Math.floor((x.pages * 3) / 4)),
      reclaimable: each((x) => Math.floor(x.pages / 8)),
      oomVictims: 4,
      oomVictimPages: each((x) => (x.name === 'DMA' ? 0 : Math.min(512, Math.floor(x.pages / 64)))),
    },
    pressure: {
      name: 'pressure',
      free: each((x) => Math.floor((x.min * 2) / 3)),
      reclaimable: each((x) => Math.floor((x.min * 8) / 5)),
      oomVictims: 1,
      oomVictimPages: each((x) => (x.name === 'DMA' ? 0 : Math.min(256, Math.floor(x.pages / 128)))),
    },
    exhausted: { name: 'exhausted', free: each((x) => Math.floor(x.min / 10)), reclaimable: [0, 0, 0], oomVictims: 0, oomVictimPages: [0, 0, 0] },
  };
}

/**
 * Default: a 256 MiB i386 PC with 4 KiB pages, as 2.6.11 lays it out (zonePagesFor): DMA 16 MiB (4,096 pages),
 * Normal 240 MiB (61,440), no HighMem (below 896 MiB all memory is lowmem; build_zonelists_node,
 * mm/page_alloc.c:1298-1323, leaves the empty zone out of every zonelist). Watermarks (min/low/high): DMA
 * 32/40/48, Normal 480/600/720 (min_free_kbytes = int_sqrt(262144 * 16) = 2048 KiB = 512 pages, split by size,
 * mm/page_alloc.c:2001-2046, 2072-2086). lowmem_reserve: DMA keeps 61440/256 = 240 pages from Normal-class
 * allocations (mm/page_alloc.c:1974-1995). Per-CPU lists (one CPU, mm/page_alloc.c:1669-1690): DMA batch 1
 * (hot 2/6/1, cold 0/2/1), Normal batch 15 (hot 30/90/15, cold 0/30/15) (low/high/batch).
 */
export const DEFAULT_MACHINE: MachineConfig = makeMachine(zonePagesFor(256));

/** The default machine's scenarios: the proportions every machine gets (scenariosFor). */
export const SCENARIOS: Readonly<Record<ScenarioName, ScenarioState>> = scenariosFor(DEFAULT_MACHINE);

/** A machine the simulation runs on, as a setting names it, with its scenarios and a label for verdicts. */
export interface SimulatedMachine {
  /** The setting's value: a preset name or "<n> MiB". */
  id: string;
  label: string;
  config: MachineConfig;
  scenarios: Record<ScenarioName, ScenarioState>;
}

export const DEFAULT_SIMULATED_MACHINE: SimulatedMachine = {
  id: 'pc-256m',
  label: MACHINE_PRESETS['pc-256m'].label,
  config: DEFAULT_MACHINE,
  scenarios: SCENARIOS,
};

/**
 * The machine for a setting: a preset name, or a memory size in MiB (a number or "512" / "512 MiB").
 * Anything else: the default, and the problem to report.
 */
export function resolveMachine(setting: unknown): { machine: SimulatedMachine; problem?: string } {
  if (setting === undefined || setting === null || setting === '' || setting === 'pc-256m') return { machine: DEFAULT_SIMULATED_MACHINE };
  const preset = typeof setting === 'string' && setting in MACHINE_PRESETS ? MACHINE_PRESETS[setting as MachinePreset] : null;
  const mib = preset
    ? preset.mib
    : typeof setting === 'number'
      ? setting
      : typeof setting === 'string' && /^\s*\d+\s*(MiB)?\s*$/i.test(setting)
        ? parseInt(setting, 10)
        : NaN;
  if (!Number.isInteger(mib) || mib < 16 || mib > 16384) {
    return {
      machine: DEFAULT_SIMULATED_MACHINE,
      problem: `simulation machine "${String(setting)}" is not one of ${Object.keys(MACHINE_PRESETS).join(', ')} or a memory size from 16 to 16384 MiB: using pc-256m`,
    };
  }
  if (preset && setting === 'pc-256m') return { machine: DEFAULT_SIMULATED_MACHINE };
  const config = makeMachine(zonePagesFor(mib));
  const label = preset ? preset.label : `${mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`}, 1 CPU`;
  return { machine: { id: preset ? (setting as string) : `${mib} MiB`, label, config, scenarios: scenariosFor(config) } };
}

/** The kernel configuration that decides what a sleep in atomic context shows (core/simulation/observed.ts). */
export interface KernelConfig {
  /** CONFIG_PREEMPT: spinlocks raise preempt_count, so in_atomic() sees them. */
  preempt: boolean;
  /** CONFIG_DEBUG_SPINLOCK_SLEEP: might_sleep() checks every sleeping call. */
  debugSleep: boolean;
}

/** The distributions' 2.6.11-era kernels: not preemptible, no sleep debugging. */
export const DISTRIBUTION_KERNEL: KernelConfig = { preempt: false, debugSleep: false };
