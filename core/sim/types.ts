// Public types of the simulator.

import type { GfpInput } from './gfp';
import type { MachineConfig, ScenarioName, ScenarioState, ZoneName } from './machine';

export type ContextKind = 'process' | 'atomic' | 'interrupt';

/** Opaque source location echoed in results (the editor maps steps back to code). */
export interface SourceRef {
  line: number;
  text?: string;
}

/** How a mempool's alloc_fn allocates. */
export type AllocVia =
  | { kind: 'slab'; cache: string } // mempool_alloc_slab / mempool_free_slab on a kmem cache ref
  | { kind: 'kmalloc'; size: number } // kmalloc(size, gfp) / kfree
  | { kind: 'pages'; order: number }; // alloc_pages(gfp, order) / __free_pages

export type AllocFnSpec =
  | AllocVia
  /** A user function modelled as "allocates with mask M": fixed mask, or 'pass' = passes gfp_mask through. */
  | { kind: 'user'; gfp: GfpInput | 'pass'; via?: AllocVia; name?: string };

type OpBody =
  | { op: 'alloc_pages'; gfp: GfpInput; order: number; ref?: string }
  | { op: 'get_free_pages'; gfp: GfpInput; order: number; ref?: string }
  | { op: 'get_zeroed_page'; gfp: GfpInput; ref?: string }
  | { op: 'free_pages'; ref: string; order?: number }
  | { op: '__free_pages'; ref: string; order: number }
  | { op: 'free_hot_page'; ref: string }
  | { op: 'free_cold_page'; ref: string }
  | {
      op: 'kmalloc';
      size: number;
      gfp: GfpInput;
      ref?: string /** The size is a compile-time constant (`__builtin_constant_p`): the inline kmalloc picks the class at build time. */;
      constantSize?: boolean;
    }
  | { op: 'kfree'; ref: string }
  | { op: 'kmem_cache_create'; name: string; size: number; ref: string; dma?: boolean; hwcacheAlign?: boolean }
  | { op: 'kmem_cache_alloc'; cache: string; gfp: GfpInput; ref?: string }
  | { op: 'kmem_cache_free'; cache: string; ref: string }
  | { op: 'kmem_cache_destroy'; cache: string }
  | { op: 'mempool_create'; min_nr: number; allocFn: AllocFnSpec; ref: string }
  | { op: 'mempool_alloc'; pool: string; gfp: GfpInput; ref?: string }
  | { op: 'mempool_free'; pool: string; ref: string }
  | { op: 'mempool_destroy'; pool: string }
  | { op: 'mempool_resize'; pool: string; new_min_nr?: number; gfp?: GfpInput }
  | { op: 'context'; context: ContextKind; reason?: string }
  /** Two seconds pass: the events workqueue runs cache_reap (mm/slab.c:2795) on this CPU. */
  | { op: 'cache_reap' };

export type SimOp = OpBody & { source?: SourceRef };
export type SimOpName = SimOp['op'];

export type OutcomeKind = 'ok' | 'null' | 'slept' | 'never-returns' | 'bug' | 'sleep-in-atomic' | 'error' | 'leak' | 'unknown';

export interface PageInfo {
  zone: ZoneName;
  pfn: number;
  order: number;
}

export interface SimOutcome {
  kind: OutcomeKind;
  message: string;
  /** Machine-readable sub-kind, e.g. 'gfp-buffer', 'double-free', 'wrong-order', 'destroy-outstanding'. */
  code?: string;
  page?: PageInfo;
  object?: { cache: string; size: number };
  advice?: string;
  /** For 'sleep-in-atomic': what the call then did ('ok' | 'null' | 'never-returns' | 'waiting'). */
  result?: string;
  /** For 'leak': the ref still held. */
  ref?: string;
  /** For a mempool_alloc that slept: the step whose mempool_free woke it. */
  wokenBy?: number;
}

export interface TraceEntry {
  rule: string;
  detail: string;
  maySleep?: true;
}

export interface ZoneSnapshot {
  name: ZoneName;
  total: number;
  /** Buddy free pages (zone->free_pages). */
  free: number;
  /** nr_free blocks per order 0..10 (as /proc/buddyinfo). */
  freeBlocks: number[];
  hot: number;
  cold: number;
  allocated: number;
  background: number;
  reclaimable: number;
  min: number;
  low: number;
  high: number;
}

export interface Snapshot {
  context: ContextKind;
  zones: ZoneSnapshot[];
  pools: Array<{ ref: string; min_nr: number; curr_nr: number; waiters: number; outstanding: number }>;
  caches: Array<{ name: string; ref?: string; size: number; objects: number; slabs: number }>;
}

export interface StepResult {
  index: number;
  op: SimOp;
  outcome: SimOutcome;
  slept: boolean;
  /** The call may sleep (sleeping mask/call) even if it did not this time. */
  maySleep: boolean;
  trace: TraceEntry[];
  state?: Snapshot;
  source?: SourceRef;
  /** Set on steps after a step that never returns (other paths/contexts only). */
  afterNeverReturns?: true;
  /** cache_grow ran with __GFP_WAIT and turned interrupts on inside the call (2.6.11 mm/slab.c:1834). */
  irqsEnabledInside?: true;
}

export interface SimOptions {
  scenario?: ScenarioName | ScenarioState;
  context?: ContextKind;
  machine?: MachineConfig;
  /** Reserved for randomised machine states; the model itself is deterministic. */
  seed?: number;
  /**
   * Build traces (default true). `false` is the fast mode used by benchmarks. 'outcomes': the outcomes and their
   * messages as with `true`, and of the trace only the context entries (sleep in atomic context, may sleep) that
   * say why an outcome is what it is; for readers of verdicts (a hover), not of traces.
   */
  trace?: boolean | 'outcomes';
  snapshots?: 'all' | 'none' | 'end';
  /** Operations run under normal memory before the scenario applies (e.g. module init creating pools). */
  setup?: SimOp[];
  /** 'none' keeps no per-step results (benchmarks); leaks and the summary are still reported. */
  results?: 'all' | 'none';
}

export interface SimResult {
  scenario: string;
  steps: StepResult[];
  setup?: StepResult[];
  final?: Snapshot;
  summary: Record<OutcomeKind, number>;
  neverReturned: boolean;
}
