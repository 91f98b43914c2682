/** GFP flag values of 2.6 include/linux/gfp.h (2.6.0–2.6.11), the single source for rules, hover and simulator. */
export const GFP_BITS = {
  __GFP_DMA: 0x01,
  __GFP_HIGHMEM: 0x02,
  __GFP_WAIT: 0x10,
  __GFP_HIGH: 0x20,
  __GFP_IO: 0x40,
  __GFP_FS: 0x80,
  __GFP_COLD: 0x100,
  __GFP_NOWARN: 0x200,
  __GFP_REPEAT: 0x400,
  __GFP_NOFAIL: 0x800,
  __GFP_NORETRY: 0x1000,
  __GFP_NO_GROW: 0x2000,
  __GFP_COMP: 0x4000,
  __GFP_ZERO: 0x8000,
} as const;

export type GfpBitName = keyof typeof GFP_BITS;

const B = GFP_BITS;

export const GFP_MASKS = {
  GFP_ATOMIC: B.__GFP_HIGH,
  GFP_NOIO: B.__GFP_WAIT,
  GFP_NOFS: B.__GFP_WAIT | B.__GFP_IO,
  GFP_KERNEL: B.__GFP_WAIT | B.__GFP_IO | B.__GFP_FS,
  GFP_USER: B.__GFP_WAIT | B.__GFP_IO | B.__GFP_FS,
  GFP_HIGHUSER: B.__GFP_WAIT | B.__GFP_IO | B.__GFP_FS | B.__GFP_HIGHMEM,
  GFP_DMA: B.__GFP_DMA,
} as const;

export type GfpMaskName = keyof typeof GFP_MASKS;

/** Bits that 2.6.0 defines; anything else in a mask is unknown. */
export const KNOWN_BITS = Object.values(GFP_BITS).reduce((a, b) => a | b, 0);

/** Names that exist only in 2.4. GFP_BUFFER was removed in 2.4.6; in 2.4 it could sleep. */
export const GONE_IN_26: Record<string, { advice: string; valueFor24: number }> = {
  GFP_BUFFER: {
    advice: 'GFP_BUFFER is gone (removed in 2.4.6): use GFP_NOIO (may sleep, starts no I/O) or GFP_NOFS (may start I/O, no filesystem calls)',
    valueFor24: B.__GFP_WAIT | B.__GFP_HIGH,
  },
};

export const ZONE_BITS = B.__GFP_DMA | B.__GFP_HIGHMEM;

export function gfpValueOf(name: string): number | undefined {
  return (GFP_BITS as Record<string, number>)[name] ?? (GFP_MASKS as Record<string, number>)[name];
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
