/**
 * GFP flags as the rules and hovers see them. The 2.6.0 values come from the simulator's table
 * (core/sim/gfp.ts), the single source, with 2.6.11's __GFP_NO_GROW, __GFP_COMP and __GFP_ZERO.
 */
import { nameTable } from '../kernel/name-table';
import * as sim from '../sim/gfp';

export const GFP_BITS = {
  __GFP_DMA: sim.__GFP_DMA,
  __GFP_HIGHMEM: sim.__GFP_HIGHMEM,
  __GFP_WAIT: sim.__GFP_WAIT,
  __GFP_HIGH: sim.__GFP_HIGH,
  __GFP_IO: sim.__GFP_IO,
  __GFP_FS: sim.__GFP_FS,
  __GFP_COLD: sim.__GFP_COLD,
  __GFP_NOWARN: sim.__GFP_NOWARN,
  __GFP_REPEAT: sim.__GFP_REPEAT,
  __GFP_NOFAIL: sim.__GFP_NOFAIL,
  __GFP_NORETRY: sim.__GFP_NORETRY,
  __GFP_NO_GROW: sim.__GFP_NO_GROW,
  __GFP_COMP: sim.__GFP_COMP,
  __GFP_ZERO: sim.__GFP_ZERO,
} as const;

export type GfpBitName = keyof typeof GFP_BITS;

const B = GFP_BITS;

export const GFP_MASKS = {
  GFP_ATOMIC: sim.GFP_ATOMIC,
  GFP_NOIO: sim.GFP_NOIO,
  GFP_NOFS: sim.GFP_NOFS,
  GFP_KERNEL: sim.GFP_KERNEL,
  GFP_USER: sim.GFP_USER,
  GFP_HIGHUSER: sim.GFP_HIGHUSER,
  GFP_DMA: sim.GFP_DMA,
} as const;

export type GfpMaskName = keyof typeof GFP_MASKS;

/** Bits that 2.6.0 defines; anything else in a mask is unknown. */
export const KNOWN_BITS = Object.values(GFP_BITS).reduce((a, b) => a | b, 0);

/** Names that exist only in 2.4. GFP_BUFFER was removed in 2.4.6; in 2.4 it could sleep. */
export const GONE_IN_26: Readonly<Record<string, { advice: string; valueFor24: number }>> = nameTable({
  GFP_BUFFER: {
    advice: sim.GFP_BUFFER_ADVICE,
    valueFor24: B.__GFP_WAIT | B.__GFP_HIGH,
  },
});

export const ZONE_BITS = B.__GFP_DMA | B.__GFP_HIGHMEM;

/** Value of a flag or mask name, including the slab aliases of the time (SLAB_KERNEL…). */
export function gfpValueOf(name: string): number | undefined {
  // Own properties only: a C name like `valueOf` must not find Object.prototype's.
  if (Object.hasOwn(GFP_BITS, name)) return (GFP_BITS as Record<string, number>)[name];
  return Object.hasOwn(sim.GFP_NAMES, name) ? sim.GFP_NAMES[name] : undefined;
}

export interface GfpMeaning {
  bits: GfpBitName[];
  /** The GFP_* names whose value equals the mask without zone and modifier bits, if any. */
  base: string | null;
  canSleep: boolean;
  canStartIO: boolean;
  canCallFS: boolean;
  usesReserves: boolean;
  zones: ('HighMem' | 'Normal' | 'DMA')[];
  unknownBits: number;
}

const MODIFIERS = B.__GFP_COLD | B.__GFP_NOWARN | B.__GFP_REPEAT | B.__GFP_NOFAIL | B.__GFP_NORETRY | B.__GFP_NO_GROW | B.__GFP_COMP | B.__GFP_ZERO | ZONE_BITS;

export function decodeGfp(mask: number): GfpMeaning {
  const bits = (Object.keys(GFP_BITS) as GfpBitName[]).filter((k) => (mask & GFP_BITS[k]) !== 0);
  const core = mask & ~MODIFIERS;
  const base = (['GFP_KERNEL', 'GFP_NOFS', 'GFP_NOIO', 'GFP_ATOMIC'] as const).find((n) => GFP_MASKS[n] === core) ?? (core === 0 ? null : null);
  return {
    bits,
    base: base ?? null,
    canSleep: (mask & B.__GFP_WAIT) !== 0,
    canStartIO: (mask & B.__GFP_IO) !== 0,
    canCallFS: (mask & B.__GFP_FS) !== 0,
    usesReserves: (mask & B.__GFP_HIGH) !== 0 || (mask & B.__GFP_WAIT) === 0,
    zones: mask & B.__GFP_DMA ? ['DMA'] : mask & B.__GFP_HIGHMEM ? ['HighMem', 'Normal', 'DMA'] : ['Normal', 'DMA'],
    unknownBits: mask & ~KNOWN_BITS,
  };
}

/** `GFP_KERNEL | __GFP_DMA`: the shortest spelling of a mask with the names a driver would write. */
export function formatGfp(mask: number): string {
  const zoneAndMods = mask & MODIFIERS;
  const core = mask & ~MODIFIERS;
  const parts: string[] = [];
  let rest = zoneAndMods;
  const base = (['GFP_KERNEL', 'GFP_NOFS', 'GFP_NOIO', 'GFP_ATOMIC'] as const).find((n) => GFP_MASKS[n] === core);
  if (base) parts.push(base);
  else if (core) {
    for (const k of Object.keys(GFP_BITS) as GfpBitName[]) if (core & GFP_BITS[k]) parts.push(k);
  }
  for (const k of Object.keys(GFP_BITS) as GfpBitName[]) if (rest & GFP_BITS[k]) parts.push(k);
  rest = 0;
  return parts.length ? parts.join(' | ') : '0';
}
