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

/** Removes a[i], the later items moving down one (splice would allocate the array of what it removed). */
function removeAt(a: number[], i: number): void {
  for (let j = i + 1; j < a.length; j++) a[j - 1] = a[j];
  a.pop();
}

/**
 * One order's free list (free_area[order].free_list): block-head pfns in the order they were added, as a Set keeps
 * them (rmqueue takes the first), in a plain array. A zone has tens to hundreds of free blocks; an array is copied
 * (every run and every fork starts from a copy) with one small allocation where a Set rebuilds a hash table.
 */
export class BlockList {
  constructor(readonly items: number[] = []) {}
  get size(): number {
    return this.items.length;
  }
  has(pfn: number): boolean {
    return this.items.indexOf(pfn) >= 0;
  }
  /** As Set.add: a pfn already listed keeps its place. */
  add(pfn: number): this {
    if (this.items.indexOf(pfn) < 0) this.items.push(pfn);
    return this;
  }
  delete(pfn: number): boolean {
    const i = this.items.indexOf(pfn);
    if (i < 0) return false;
    removeAt(this.items, i);
    return true;
  }
  values(): IterableIterator<number> {
    return this.items.values();
  }
  [Symbol.iterator](): IterableIterator<number> {
    return this.items.values();
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
  /** free_area[order].free_list: block-head pfns (insertion order = deterministic). */
  readonly freeLists: BlockList[] = [];
  /** free_area[order].nr_free */
  readonly nrFree = new Int32Array(MAX_ORDER);
  /**
   * The order of each free block by its head's (pfn - start), read from the free lists (checkInvariants, tests):
   * a block is free at order o when its head is on freeLists[o], so no second record is kept in step with them.
   */
  get freeOrder(): Map<number, number> {
    const m = new Map<number, number>();
    for (let o = 0; o < MAX_ORDER; o++) for (const pfn of this.freeLists[o].items) m.set(pfn - this.start, o);
    return m;
  }
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
      for (let o = 0; o < MAX_ORDER; o++) this.freeLists.push(new BlockList());
      return;
    }
    // The copies keep the order: rmqueue takes the same first block as in `from`.
    for (let o = 0; o < MAX_ORDER; o++) this.freeLists.push(new BlockList(from.freeLists[o].items.slice()));
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
    // A free block is on one list once (checkInvariants): no Set-like look-up first.
    this.freeLists[order].items.push(pfn);
    this.nrFree[order]++;
    this.freePages += 1 << order;
  }

  private remove(pfn: number, order: number): void {
    this.freeLists[order].delete(pfn);
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
      const pfn = this.freeLists[o].items[0];
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
      if (!this.freeLists[order].has(buddy)) break;
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
      const pfn = this.freeLists[o].items[0];
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
