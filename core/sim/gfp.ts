// GFP masks with the Linux 2.6 values (include/linux/gfp.h, 2.6.0–2.6.11; __GFP_NO_GROW, __GFP_COMP and
// __GFP_ZERO as 2.6.11 include/linux/gfp.h:46-48 defines them).
// Pure: no node imports.

export const __GFP_DMA = 0x01;
export const __GFP_HIGHMEM = 0x02;
export const __GFP_WAIT = 0x10;
export const __GFP_HIGH = 0x20;
export const __GFP_IO = 0x40;
export const __GFP_FS = 0x80;
export const __GFP_COLD = 0x100;
export const __GFP_NOWARN = 0x200;
export const __GFP_REPEAT = 0x400;
export const __GFP_NOFAIL = 0x800;
export const __GFP_NORETRY = 0x1000;
/** Slab: do not grow the cache (cache_grow returns 0). */
export const __GFP_NO_GROW = 0x2000;
/** Compound page (prep_compound_page for order > 0). */
export const __GFP_COMP = 0x4000;
/** Zeroed page (buffered_rmqueue → prep_zero_page); not a slab flag. */
export const __GFP_ZERO = 0x8000;

export const GFP_ATOMIC = __GFP_HIGH;
export const GFP_NOIO = __GFP_WAIT;
export const GFP_NOFS = __GFP_WAIT | __GFP_IO;
export const GFP_KERNEL = __GFP_WAIT | __GFP_IO | __GFP_FS;
export const GFP_USER = __GFP_WAIT | __GFP_IO | __GFP_FS;
export const GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
export const GFP_DMA = __GFP_DMA;

/** Every bit 2.6.11 defines (__GFP_BITS_SHIFT 16; 0x04 and 0x08 are unused). Anything else is an unknown bit. */
export const GFP_VALID_MASK = 0xfff3;
/** 2.6.11 GFP_ZONEMASK (include/linux/mmzone.h:82): the bits that index node_zonelists. */
export const GFP_ZONEMASK = __GFP_DMA | __GFP_HIGHMEM;
/**
 * 2.6.11 mm/slab.c:1811 cache_grow: `flags & ~(SLAB_DMA|SLAB_LEVEL_MASK|SLAB_NO_GROW)` → BUG();
 * SLAB_LEVEL_MASK is GFP_LEVEL_MASK (include/linux/gfp.h:54), which has neither __GFP_HIGHMEM nor __GFP_ZERO.
 */
export const SLAB_GROW_MASK =
  __GFP_DMA |
  __GFP_WAIT |
  __GFP_HIGH |
  __GFP_IO |
  __GFP_FS |
  __GFP_COLD |
  __GFP_NOWARN |
  __GFP_REPEAT |
  __GFP_NOFAIL |
  __GFP_NORETRY |
  __GFP_NO_GROW |
  __GFP_COMP;

export const GFP_FLAGS: ReadonlyArray<readonly [string, number]> = [
  ['__GFP_DMA', __GFP_DMA],
  ['__GFP_HIGHMEM', __GFP_HIGHMEM],
  ['__GFP_WAIT', __GFP_WAIT],
  ['__GFP_HIGH', __GFP_HIGH],
  ['__GFP_IO', __GFP_IO],
  ['__GFP_FS', __GFP_FS],
  ['__GFP_COLD', __GFP_COLD],
  ['__GFP_NOWARN', __GFP_NOWARN],
  ['__GFP_REPEAT', __GFP_REPEAT],
  ['__GFP_NOFAIL', __GFP_NOFAIL],
  ['__GFP_NORETRY', __GFP_NORETRY],
  ['__GFP_NO_GROW', __GFP_NO_GROW],
  ['__GFP_COMP', __GFP_COMP],
  ['__GFP_ZERO', __GFP_ZERO],
];

const COMPOSITES: ReadonlyArray<readonly [string, number]> = [
  ['GFP_HIGHUSER', GFP_HIGHUSER],
  ['GFP_KERNEL', GFP_KERNEL],
  ['GFP_NOFS', GFP_NOFS],
  ['GFP_NOIO', GFP_NOIO],
  ['GFP_ATOMIC', GFP_ATOMIC],
];

/** Name → value for every name a mask expression may use. */
export const GFP_NAMES: Readonly<Record<string, number>> = Object.freeze({
  ...Object.fromEntries(GFP_FLAGS),
  GFP_ATOMIC,
  GFP_NOIO,
  GFP_NOFS,
  GFP_KERNEL,
  GFP_USER,
  GFP_HIGHUSER,
  GFP_DMA,
  // slab aliases of the time (include/linux/slab.h)
  SLAB_ATOMIC: GFP_ATOMIC,
  SLAB_NOIO: GFP_NOIO,
  SLAB_NOFS: GFP_NOFS,
  SLAB_KERNEL: GFP_KERNEL,
  SLAB_USER: GFP_USER,
  SLAB_DMA: GFP_DMA,
});

export const GFP_BUFFER_ADVICE =
  'GFP_BUFFER is gone in 2.6 (removed in 2.4.6). Use GFP_NOIO (may sleep, starts no I/O) ' +
  'or GFP_NOFS (may sleep and start I/O, but no filesystem operations) instead.';

export type ZoneIndex = 0 | 1 | 2; // DMA, Normal, HighMem

export interface GfpInfo {
  mask: number;
  /** Flag names set in the mask, in bit order. */
  bits: string[];
  /** Readable form, composites first: "GFP_KERNEL|__GFP_DMA". */
  text: string;
  canSleep: boolean; // __GFP_WAIT
  canIO: boolean; // __GFP_IO
  canFS: boolean; // __GFP_FS
  usesReserves: boolean; // __GFP_HIGH
  cold: boolean;
  nowarn: boolean;
  repeat: boolean;
  nofail: boolean;
  noretry: boolean;
  zero: boolean;
  noGrow: boolean;
  /** Both zone bits: 2.6.11 indexes node_zonelists[3], past its 3 entries (undefined behaviour). */
  bothZoneBits: boolean;
  /** Zone fallback list (build_zonelists, 2.6): index by gfp & GFP_ZONEMASK. */
  zones: ZoneIndex[];
  unknownBits: number;
}

export function gfpText(mask: number): string {
  if (mask === 0) return '0';
  let rem = mask;
  const parts: string[] = [];
  for (const [name, v] of COMPOSITES) {
    if ((rem & v) === v) {
      parts.push(name);
      rem &= ~v;
    }
  }
  for (const [name, v] of GFP_FLAGS) {
    if (rem & v) {
      parts.push(name);
      rem &= ~v;
    }
  }
  if (rem) parts.push('0x' + rem.toString(16));
  return parts.join('|');
}

/**
 * 2.6.11 build_zonelists (mm/page_alloc.c:1448-1489) builds node_zonelists[0..2]: index 1 (__GFP_DMA) is DMA,
 * 2 (__GFP_HIGHMEM) is HighMem, Normal, DMA, 0 is Normal, DMA. Both bits (index 3) have no zonelist
 * (GFP_ZONETYPES = 3, include/linux/mmzone.h:91): the simulator refuses such a page allocation as undefined
 * (`bothZoneBits`); the [0] returned for it here is never used to allocate.
 */
export function zonelistFor(mask: number): ZoneIndex[] {
  if (mask & __GFP_DMA) return [0];
  if (mask & __GFP_HIGHMEM) return [2, 1, 0];
  return [1, 0];
}

const cache: (GfpInfo | undefined)[] = [];

/** Decode a numeric mask. Cached for masks made of known bits. */
export function decodeGfp(mask: number): GfpInfo {
  const known = mask >= 0 && mask <= GFP_VALID_MASK && (mask & ~GFP_VALID_MASK) === 0;
  if (known) {
    const c = cache[mask];
    if (c) return c;
  }
  const bits: string[] = [];
  for (const [name, v] of GFP_FLAGS) if (mask & v) bits.push(name);
  const info: GfpInfo = {
    mask,
    bits,
    text: gfpText(mask),
    canSleep: (mask & __GFP_WAIT) !== 0,
    canIO: (mask & __GFP_IO) !== 0,
    canFS: (mask & __GFP_FS) !== 0,
    usesReserves: (mask & __GFP_HIGH) !== 0,
    cold: (mask & __GFP_COLD) !== 0,
    nowarn: (mask & __GFP_NOWARN) !== 0,
    repeat: (mask & __GFP_REPEAT) !== 0,
    nofail: (mask & __GFP_NOFAIL) !== 0,
    noretry: (mask & __GFP_NORETRY) !== 0,
    zero: (mask & __GFP_ZERO) !== 0,
    noGrow: (mask & __GFP_NO_GROW) !== 0,
    bothZoneBits: (mask & GFP_ZONEMASK) === GFP_ZONEMASK,
    zones: zonelistFor(mask),
    unknownBits: mask & ~GFP_VALID_MASK,
  };
  if (known) cache[mask] = info;
  return info;
}

export type GfpInput = number | string | string[] | { unknown: true; text?: string };

export type ParsedGfp = { ok: true; mask: number } | { ok: false; kind: 'unknown' | 'error'; code: string; message: string; advice?: string };

function parseToken(tok: string): number | 'buffer' | undefined {
  const t = tok.replace(/[()\s]/g, '');
  if (t === 'GFP_BUFFER' || t === 'SLAB_BUFFER') return 'buffer';
  if (Object.hasOwn(GFP_NAMES, t)) return GFP_NAMES[t];
  if (/^(0x[0-9a-fA-F]+|[0-9]+)[uUlL]*$/.test(t)) return Number(t.replace(/[uUlL]+$/, ''));
  return undefined;
}

/**
 * Parse a gfp operand: a number, a mask expression ("GFP_KERNEL | __GFP_DMA"), a list of names,
 * or `{unknown: true}`. Never throws.
 */
export function parseGfp(input: unknown): ParsedGfp {
  let mask = 0;
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 0 || input > 0x7fffffff) {
      return { ok: false, kind: 'error', code: 'bad-mask', message: `gfp mask ${String(input)} is not a non-negative integer` };
    }
    mask = input;
  } else if (typeof input === 'string' || Array.isArray(input)) {
    const toks = typeof input === 'string' ? input.split('|') : input;
    if (toks.length === 0) return { ok: false, kind: 'unknown', code: 'unknown-mask', message: 'empty gfp mask expression' };
    for (const tok of toks) {
      if (typeof tok !== 'string') return { ok: false, kind: 'error', code: 'bad-mask', message: 'gfp name list contains a non-string' };
      const v = parseToken(tok);
      if (v === 'buffer') {
        return { ok: false, kind: 'error', code: 'gfp-buffer', message: 'GFP_BUFFER does not exist in 2.6', advice: GFP_BUFFER_ADVICE };
      }
      if (v === undefined) {
        return { ok: false, kind: 'unknown', code: 'unknown-mask', message: `unknown mask "${tok.trim()}": cannot simulate this step` };
      }
      mask |= v;
    }
  } else if (input !== null && typeof input === 'object' && (input as { unknown?: unknown }).unknown === true) {
    const text = (input as { text?: unknown }).text;
    return {
      ok: false,
      kind: 'unknown',
      code: 'unknown-mask',
      message: `unknown mask${typeof text === 'string' ? ' "' + text + '"' : ''}: cannot simulate this step`,
    };
  } else {
    return { ok: false, kind: 'error', code: 'bad-mask', message: 'missing or malformed gfp mask' };
  }
  const unknown = mask & ~GFP_VALID_MASK;
  if (unknown) {
    return {
      ok: false,
      kind: 'error',
      code: 'unknown-bits',
      message: `gfp mask 0x${mask.toString(16)} has bits 0x${unknown.toString(16)} that 2.6 does not define`,
      advice: 'Use the 2.6 names (GFP_KERNEL, GFP_ATOMIC, GFP_NOIO, GFP_NOFS, __GFP_*); 2.4 numeric values differ.',
    };
  }
  return { ok: true, mask };
}
