// checkInvariants: page conservation, buddy invariants, per-CPU bounds, mempool levels.

import type { Engine, Handle } from './engine';
import { MAX_ORDER } from './machine';
import { Simulator } from './simulator';

/** Returns a list of violations (empty when the state is consistent). */
export function checkInvariants(state: Simulator | Engine): string[] {
  const e: Engine = state instanceof Simulator ? state.e : state;
  const out: string[] = [];
  const cover = e.zones.map((z) => new Uint8Array(z.pages));
  const mark = (zi: number, pfn: number, order: number, what: string) => {
    const z = e.zones[zi];
    if (!z) {
      out.push(`${what}: bad zone ${zi}`);
      return;
    }
    const n = 1 << order;
    if (pfn < z.start || pfn + n > z.end) {
      out.push(`${what}: pfn ${pfn} order ${order} outside ${z.name}`);
      return;
    }
    for (let i = 0; i < n; i++) {
      const k = pfn - z.start + i;
      if (cover[zi][k]++) {
        out.push(`${what}: pfn ${pfn + i} in ${z.name} is owned twice`);
        return;
      }
    }
  };
  for (const z of e.zones) {
    let free = 0;
    const blocks = z.freeLists.reduce((n, l) => n + l.size, 0);
    if (z.freeOrder.size !== blocks) out.push(`${z.name}: ${z.freeOrder.size} block orders recorded for ${blocks} free blocks`);
    for (let o = 0; o < MAX_ORDER; o++) {
      if (z.freeLists[o].size !== z.nrFree[o]) out.push(`${z.name}: nr_free[${o}] ${z.nrFree[o]} != list size ${z.freeLists[o].size}`);
      for (const pfn of z.freeLists[o]) {
        free += 1 << o;
        if (pfn % (1 << o) !== 0) out.push(`${z.name}: free block pfn ${pfn} not aligned to order ${o}`);
        if (z.freeOrder.get(pfn - z.start) !== o) out.push(`${z.name}: freeOrder[${pfn}] != ${o}`);
        mark(z.idx, pfn, o, `${z.name} free block`);
        if (o < MAX_ORDER - 1) {
          const b = pfn ^ (1 << o);
          if (b >= z.start && b + (1 << o) <= z.end && z.freeLists[o].has(b)) out.push(`${z.name}: free buddies ${pfn} and ${b} of order ${o} not coalesced`);
        }
      }
    }
    if (free !== z.freePages) out.push(`${z.name}: free_pages ${z.freePages} != sum of free blocks ${free}`);
    for (const [i, l] of z.pcp.entries()) {
      if (l.list.length < 0 || l.list.length > Math.max(l.high, l.low + l.batch))
        out.push(`${z.name}: per-CPU ${i ? 'cold' : 'hot'} count ${l.list.length} out of bounds`);
      for (const p of l.list) mark(z.idx, p, 0, `${z.name} per-CPU page`);
    }
    // background pages not yet given back
    let bg = 0;
    for (let i = z.bgPos; i < z.bgRanges.length; i += 2) {
      const from = i === z.bgPos ? z.bgOff : 0;
      for (let k = from; k < z.bgRanges[i + 1]; k++) {
        mark(z.idx, z.bgRanges[i] + k, 0, `${z.name} background page`);
        bg++;
      }
    }
    if (bg !== z.background) out.push(`${z.name}: background count ${z.background} != ranges ${bg}`);
    if (z.freePages + z.pcpCount() + z.allocated + z.background !== z.pages) {
      out.push(`${z.name}: free ${z.freePages} + per-CPU ${z.pcpCount()} + allocated ${z.allocated} + background ${z.background} != total ${z.pages}`);
    }
  }
  // allocated blocks: pages handles (live refs, orphans, pool reserves/elements) and slab pages
  let allocated = e.zones.map(() => 0);
  const seen = new Set<Handle>();
  const page = (h: Handle | null, what: string) => {
    if (!h || seen.has(h)) return;
    seen.add(h);
    if (h.t === 'pages') {
      mark(h.zone, h.pfn, h.order, what);
      allocated[h.zone] += 1 << h.order;
    }
    if (h.t === 'elem') page(h.inner, what);
  };
  for (const h of e.orphans) page(h, 'orphan');
  for (const [, h] of e.refs) page(h, `ref ${h.ref}`);
  for (const p of e.pools) {
    if (p.reserve.length > p.minNr || p.reserve.length < 0) out.push(`pool ${p.ref}: curr_nr ${p.reserve.length} outside 0..${p.minNr}`);
    for (const h of p.reserve) page(h, `pool ${p.ref} reserve`);
  }
  for (const c of [...e.kmallocCaches.values(), ...e.userCaches]) {
    let inuse = 0;
    for (const s of c.slabs) {
      mark(s.zone, s.pfn, s.order, `slab of ${c.name}`);
      allocated[s.zone] += 1 << s.order;
      inuse += s.inuse;
    }
    if (inuse !== c.objects + c.ac.length) out.push(`cache ${c.name}: objects ${c.objects} + array ${c.ac.length} != slab inuse ${inuse}`);
  }
  allocated = allocated.map((n, i) => n - e.zones[i].allocated);
  allocated.forEach((d, i) => {
    if (d !== 0) out.push(`${e.zones[i].name}: allocated counter off by ${-d} vs reachable blocks`);
  });
  for (let zi = 0; zi < cover.length; zi++) {
    const idx = cover[zi].indexOf(0);
    if (idx >= 0) out.push(`${e.zones[zi].name}: pfn ${e.zones[zi].start + idx} owned by nobody`);
  }
  return out;
}
