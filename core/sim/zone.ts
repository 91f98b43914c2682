// One zone: buddy free lists (orders 0..10), per-CPU hot/cold lists, and the "background" pages
// the rest of the system holds (reclaim and the OOM killer give those back).

import { MAX_ORDER as MAX_ORDER_IMPORTED, type ZoneConfig, type ZoneName } from './machine';

// Local copy: under tsx (CJS) every access to an imported binding is a getter call.
const MAX_ORDER: number = MAX_ORDER_IMPORTED;

export class PcpList {
  /** Stack: the end of the array is list.next (most recently added). */
  list: number[] = [];
  constructor(
    public low: number,
    public high: number,
    public batch: number,
  ) {}
  get count(): number {
    return this.list.length;
  }
}

export class Zone {
  readonly idx: number;
  readonly name: ZoneName;
  readonly start: number;
  readonly end: number;
  readonly pages: number;
  readonly min: number;
  readonly low: number;
  readonly high: number;
  /** Pages kept back from allocations whose zonelist starts in a higher zone (by that zone's index). */
  readonly lowmemReserve: readonly number[];
  /** free_area[order].free_list: sets of block-head pfns (insertion order = deterministic). */
  readonly freeLists: Set<number>[] = [];
  /** free_area[order].nr_free */
  readonly nrFree = new Int32Array(MAX_ORDER);
  /**
   * Order of each free block by its head's (pfn - start). A map, not an array over every page: a zone has
   * tens to hundreds of free blocks, and a 64 KiB array filled per run was the hover's hottest line (a hover
   * runs the simulator 9–45 times).
   */
  readonly freeOrder: Map<number, number>;
  /** zone->free_pages: pages on the buddy lists (per-CPU pages are not counted, as in 2.6). */
  freePages = 0;
  readonly pcp: [PcpList, PcpList];
  /** Pages handed out by the allocator to simulated code (pages, slab pages, pool elements). */
  allocated = 0;
  /** Pages held by the rest of the system, as [start, len] ranges consumed from the front. */
  bgRanges: number[] = [];
  bgPos = 0;
  bgOff = 0;
  background = 0;
  reclaimable = 0;
  oomPages = 0;
  /** Scratch: results of the last rmqueue/free for traces. */
  lastSplitFrom = -1;
  lastMerges = 0;

  /** `from`: a zone of the same config whose state this one starts in (a copy; the two share nothing mutable). */
  constructor(idx: number, cfg: ZoneConfig, start: number, from?: Zone) {
    this.idx = idx;
    this.name = cfg.name;
    this.start = start;
    this.pages = cfg.pages;
    this.end = start + cfg.pages;
    this.min = cfg.min;
    this.low = cfg.low;
    this.high = cfg.high;
    this.lowmemReserve = cfg.lowmemReserve ?? [0, 0, 0];
    this.pcp = [new PcpList(cfg.hot.low, cfg.hot.high, cfg.hot.batch), new PcpList(cfg.cold.low, cfg.cold.high, cfg.cold.batch)];
    if (!from) {
      this.freeOrder = new Map();
      for (let o = 0; o < MAX_ORDER; o++) this.freeLists.push(new Set());
      return;
    }
    // Set and Map copies keep insertion order: rmqueue takes the same first block as in `from`.
    this.freeOrder = new Map(from.freeOrder);
    for (let o = 0; o < MAX_ORDER; o++) this.freeLists.push(new Set(from.freeLists[o]));
    this.nrFree.set(from.nrFree);
    this.freePages = from.freePages;
    this.pcp[0].list = from.pcp[0].list.slice();
    this.pcp[1].list = from.pcp[1].list.slice();
    this.allocated = from.allocated;
    this.bgRanges = from.bgRanges.slice();
    this.bgPos = from.bgPos;
    this.bgOff = from.bgOff;
    this.background = from.background;
    this.reclaimable = from.reclaimable;
    this.oomPages = from.oomPages;
    this.lastSplitFrom = from.lastSplitFrom;
    this.lastMerges = from.lastMerges;
  }

  private add(pfn: number, order: number): void {
    this.freeLists[order].add(pfn);
    this.freeOrder.set(pfn - this.start, order);
    this.nrFree[order]++;
    this.freePages += 1 << order;
  }

  private remove(pfn: number, order: number): void {
    this.freeLists[order].delete(pfn);
    this.freeOrder.delete(pfn - this.start);
    this.nrFree[order]--;
    this.freePages -= 1 << order;
  }

  /** Put [start, start+len) on the free lists as maximal aligned blocks (no coalescing needed). */
  addRange(start: number, len: number): void {
    while (len > 0) {
      let o = MAX_ORDER - 1;
      while (o > 0 && ((start & ((1 << o) - 1)) !== 0 || 1 << o > len)) o--;
      this.add(start, o);
      start += 1 << o;
      len -= 1 << o;
    }
  }

  /** __rmqueue: smallest order with a free block, split down (expand). Returns pfn or -1. */
  rmqueue(order: number): number {
    for (let o = order; o < MAX_ORDER; o++) {
      if (this.nrFree[o] === 0) continue;
      const pfn = this.freeLists[o].values().next().value as number;
      this.remove(pfn, o);
      this.lastSplitFrom = o;
      let size = 1 << o;
      let cur = o;
      while (cur > order) {
        cur--;
        size >>= 1;
        this.add(pfn + size, cur);
      }
      return pfn;
    }
    this.lastSplitFrom = -1;
    return -1;
  }

  /** __free_pages_bulk: return a block and coalesce with free buddies. */
  freeBlock(pfn: number, order: number): void {
    let merges = 0;
    while (order < MAX_ORDER - 1) {
      const buddy = pfn ^ (1 << order);
      if (buddy < this.start || buddy + (1 << order) > this.end) break;
      if (this.freeOrder.get(buddy - this.start) !== order) break;
      this.remove(buddy, order);
      pfn = pfn < buddy ? pfn : buddy;
      order++;
      merges++;
    }
    this.lastMerges = merges;
    this.add(pfn, order);
  }

  /** Take `need` free pages away for the rest of the system, largest blocks first. */
  grab(need: number): void {
    while (need > 0 && this.freePages > 0) {
      let o = MAX_ORDER - 1;
      while (this.nrFree[o] === 0) o--;
      const pfn = this.freeLists[o].values().next().value as number;
      const size = 1 << o;
      this.remove(pfn, o);
      const take = size <= need ? size : need;
      this.bgRanges.push(pfn, take);
      this.background += take;
      if (take < size) this.addRange(pfn + take, size - take);
      need -= take;
    }
  }

  /** Next background page given back (reclaim / OOM kill), or -1. */
  takeBackground(): number {
    if (this.background === 0) return -1;
    while (this.bgOff >= this.bgRanges[this.bgPos + 1]) {
      this.bgPos += 2;
      this.bgOff = 0;
    }
    const pfn = this.bgRanges[this.bgPos] + this.bgOff;
    this.bgOff++;
    this.background--;
    return pfn;
  }

  /** Free background pages straight to the buddy lists. Returns how many were freed. */
  releaseBackground(n: number): number {
    let k = 0;
    for (; k < n; k++) {
      const pfn = this.takeBackground();
      if (pfn < 0) break;
      this.freeBlock(pfn, 0);
    }
    return k;
  }

  pcpCount(): number {
    return this.pcp[0].list.length + this.pcp[1].list.length;
  }
}
