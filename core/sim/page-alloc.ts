// __alloc_pages (2.6 mm/page_alloc.c), per-CPU lists, direct reclaim and the OOM killer model.

import { __GFP_HIGHMEM, __GFP_WAIT, type GfpInfo } from './gfp';
import type { Engine } from './engine';
import type { Zone } from './zone';

export const NULL_PAGE = -1;
export const NEVER = -2;
/** The call hit a BUG()/BUG_ON(); e.bugWhy says which. */
export const ALLOC_BUG = -3;

const MARK_NAMES = ['pages_low', 'pages_min', 'pages_high'];

function effectiveMin(mark: number, canTryHarder: boolean, gfpHigh: boolean): number {
  let min = mark;
  if (gfpHigh) min -= Math.floor(min / 2);
  if (canTryHarder) min -= Math.floor(min / 4);
  return min;
}

/**
 * zone_watermark_ok (2.6.11): order-aware; the zone keeps lowmem_reserve[classzone] pages back from
 * allocations whose zonelist starts in a higher zone; each lower order's free pages stop counting, min halves.
 */
export function watermarkOk(z: Zone, order: number, mark: number, canTryHarder: boolean, gfpHigh: boolean, classzone: number): boolean {
  let min = effectiveMin(mark, canTryHarder, gfpHigh);
  let free = z.freePages - (1 << order) + 1;
  if (free <= min + z.lowmemReserve[classzone]) return false;
  for (let o = 0; o < order; o++) {
    free -= z.nrFree[o] << o;
    min >>= 1;
    if (free <= min) return false;
  }
  return true;
}

/** buffered_rmqueue: order 0 through the per-CPU hot (or cold) list, else __rmqueue. */
function bufferedRmqueue(e: Engine, z: Zone, order: number, cold: boolean): number {
  if (order === 0) {
    const pcp = z.pcp[cold ? 1 : 0];
    if (pcp.list.length <= pcp.low) {
      let got = 0;
      for (; got < pcp.batch; got++) {
        const p = z.rmqueue(0);
        if (p < 0) break;
        pcp.list.push(p);
      }
      if (e.verbose && got > 0) {
        e.tr(
          'pcp.refill',
          `${z.name} ${cold ? 'cold' : 'hot'} list count ${pcp.list.length - got} <= low ${pcp.low}: ` +
            `rmqueue_bulk moves ${got} page(s) from the buddy lists (batch ${pcp.batch})`,
        );
      }
    }
    if (pcp.list.length > 0) {
      const p = pcp.list.pop() as number;
      z.allocated++;
      if (e.verbose)
        e.tr(
          cold ? 'pcp.take-cold' : 'pcp.take-hot',
          `page pfn ${p} from the ${z.name} per-CPU ${cold ? 'cold (__GFP_COLD)' : 'hot'} list (count now ${pcp.list.length})`,
        );
      return p;
    }
  }
  const p = z.rmqueue(order);
  if (p >= 0) {
    z.allocated += 1 << order;
    if (e.verbose) {
      const split = z.lastSplitFrom > order ? `, split from an order-${z.lastSplitFrom} block (expand)` : '';
      e.tr('buddy.rmqueue', `${z.name}: order-${order} block at pfn ${p} from the buddy lists${split}`);
    }
  }
  return p;
}

function tryZones(
  e: Engine,
  g: GfpInfo,
  zl: readonly number[],
  order: number,
  which: 0 | 1 | 2,
  canTryHarder: boolean,
  gfpHigh: boolean,
  rule: string,
): number {
  // classzone_idx: the zone the zonelist starts with; lower zones keep their lowmem_reserve from it.
  const classzone = zl[0];
  for (let i = 0; i < zl.length; i++) {
    const z = e.zones[zl[i]];
    const mark = which === 0 ? z.low : which === 1 ? z.min : z.high;
    const ok = watermarkOk(z, order, mark, canTryHarder, gfpHigh, classzone);
    if (e.verbose) {
      const eff = effectiveMin(mark, canTryHarder, gfpHigh);
      const adj = eff !== mark ? ` lowered to ${eff}${gfpHigh ? ' (__GFP_HIGH: half)' : ''}${canTryHarder ? ' (cannot sleep: a further quarter)' : ''}` : '';
      const reserve = z.lowmemReserve[classzone]
        ? ` + lowmem_reserve ${z.lowmemReserve[classzone]} (kept from ${e.zones[classzone].name}-class allocations)`
        : '';
      e.tr(rule, `${z.name}: free ${z.freePages} ${ok ? 'passes' : 'fails'} the order-${order} check against ${MARK_NAMES[which]} ${mark}${adj}${reserve}`);
    }
    if (!ok) continue;
    const p = bufferedRmqueue(e, z, order, g.cold);
    if (p >= 0) {
      e.lastZone = z.idx;
      return p;
    }
    if (e.verbose) e.tr(rule, `${z.name}: no free block of order >= ${order} (fragmented)`);
  }
  return NULL_PAGE;
}

/** 2.6.11 include/linux/swap.h:111: the reclaim batch, and try_to_free_pages' bar for "progress". */
export const SWAP_CLUSTER_MAX = 32;

/**
 * try_to_free_pages model: frees background pages per zone of the zonelist, by mask and scenario budget, and says
 * whether 2.6.11 counts that as progress. 2.6.11 mm/vmscan.c:907-921 returns 1 only when one priority pass
 * reclaimed SWAP_CLUSTER_MAX pages (`sc.nr_reclaimed >= SWAP_CLUSTER_MAX`, counted afresh each pass); pages freed
 * by passes that fell short stay free, but did_some_progress is 0. Each zone gives at most SWAP_CLUSTER_MAX per
 * pass (shrink_zone's nr_to_reclaim, vmscan.c:812), the model's `per` for __GFP_IO|__GFP_FS: a call that frees
 * fewer than 32 then had fewer than 32 pages left in the whole zonelist, so no later pass can do better and the
 * model's one pass decides as 2.6.11's thirteen would. For the masks the model caps below 32 per zone (`per` of
 * io/none, stand-ins for the dirty and mapped pages those masks may not touch) the bar scales with the cap: one
 * full capped batch (README "Reclaim progress").
 */
function reclaim(e: Engine, g: GfpInfo, zl: readonly number[]): { freed: number; progress: boolean } {
  const r = e.machine.reclaimPerCall;
  const per = g.canIO && g.canFS ? r.fsio : g.canIO ? r.io : r.none;
  let freed = 0;
  for (const zi of zl) {
    const z = e.zones[zi];
    const n = Math.min(per, z.reclaimable, z.background);
    if (n <= 0) continue;
    const k = z.releaseBackground(n);
    z.reclaimable -= k;
    freed += k;
  }
  const bar = Math.min(SWAP_CLUSTER_MAX, per);
  const progress = freed > 0 && freed >= bar;
  if (e.verbose) {
    const how =
      g.canIO && g.canFS
        ? 'may write dirty pages and call into filesystems'
        : g.canIO
          ? 'no __GFP_FS: no filesystem writeback'
          : 'no __GFP_IO: only clean, unmapped pages';
    const verdict = progress
      ? `did_some_progress = 1 (${freed} >= ${bar})`
      : freed > 0
        ? `did_some_progress = 0: ${freed} < ${bar} (sc.nr_reclaimed < SWAP_CLUSTER_MAX in every priority pass); the pages stay free`
        : 'did_some_progress = 0';
    e.tr(
      'reclaim.try_to_free_pages',
      `direct reclaim (${how}, up to ${per} pages per zone): freed ${freed} page(s) in scenario "${e.scenario.name}": ${verdict}`,
    );
  }
  return { freed, progress };
}

/** out_of_memory model: kills a victim if the scenario has one; its exit frees oomVictimPages per zone. */
function outOfMemory(e: Engine): number {
  if (e.oomVictims <= 0) {
    if (e.verbose) e.tr('oom.nothing-to-free', `out_of_memory(): in scenario "${e.scenario.name}" no task's death frees memory: 0 pages freed`);
    return 0;
  }
  e.oomVictims--;
  let freed = 0;
  for (const z of e.zones) freed += z.releaseBackground(z.oomPages);
  if (e.verbose) e.tr('oom.kill', `out_of_memory(): kills a task; its exit frees ${freed} page(s) (${e.oomVictims} victim(s) left)`);
  return freed;
}

function warn(e: Engine, g: GfpInfo, order: number): void {
  if (!e.verbose) return;
  if (g.nowarn) e.tr('alloc_pages.nowarn', '__GFP_NOWARN: failure is silent');
  else e.tr('alloc_pages.warn', `printk: "page allocation failure. order:${order}, mode:0x${g.mask.toString(16)}" + dump_stack()`);
}

const QUIET_AFTER = 3;

/**
 * __alloc_pages(gfp, order) as 2.6.11 runs it (mm/page_alloc.c): returns the pfn (zone in e.lastZone),
 * NULL_PAGE, or NEVER (e.neverWhy says why it loops). Order must already be validated (0..10).
 *
 * After direct reclaim makes no progress, a mask with __GFP_FS and without __GFP_NORETRY calls
 * out_of_memory() and goes back to `restart` whatever the OOM killer did; otherwise `do_retry` (order <= 3,
 * __GFP_REPEAT at any order, __GFP_NOFAIL; never with __GFP_NORETRY) goes back to `rebalance`.
 */
export function allocPages(e: Engine, g: GfpInfo, order: number): number {
  const p = alloc(e, g, order);
  // 2.6.11 mm/page_alloc.c:653-654,607 buffered_rmqueue → prep_zero_page:
  // BUG_ON((gfp_flags & (__GFP_WAIT | __GFP_HIGHMEM)) == __GFP_HIGHMEM), on the page it got, whatever its zone.
  if (p >= 0 && g.zero && (g.mask & (__GFP_WAIT | __GFP_HIGHMEM)) === __GFP_HIGHMEM) {
    e.bugCode = 'zero-highmem';
    e.bugWhy = 'BUG_ON in prep_zero_page: __GFP_ZERO with __GFP_HIGHMEM and without __GFP_WAIT';
    if (e.verbose) e.tr('alloc_pages.zero-highmem-bug', e.bugWhy);
    // The oops kills the caller; the simulator gives the page back so the accounting stays whole.
    freeBlock(e, e.lastZone, p, order, false);
    return ALLOC_BUG;
  }
  return p;
}

function alloc(e: Engine, g: GfpInfo, order: number): number {
  const wait = g.canSleep;
  if (wait) e.noteMaySleep(`allocation with ${g.text}`);
  // build_zonelists_node (mm/page_alloc.c:1298-1323) leaves zones without pages out: no HighMem below 896 MiB.
  const zl = e.zonelists[g.zones[0]];
  if (e.verbose) {
    const empty = g.zones.filter((i) => !zl.includes(i)).map((i) => e.zones[i].name);
    const left = empty.length ? ` (${empty.join(', ')}: no pages on this machine, not in the zonelist)` : '';
    e.tr('alloc_pages.zonelist', `zonelist for ${g.text}: ${zl.map((i) => e.zones[i].name).join(', ') || 'empty'}${left}`);
  }
  // mm/page_alloc.c:737-740: an empty zonelist returns NULL at once.
  if (zl.length === 0) return NULL_PAGE;
  // can_try_harder = rt_task && !in_interrupt || !wait (no real-time tasks modelled)
  const canTryHarder = !wait;
  const savedQuiet = e.quiet;
  let rounds = 0;
  const never = (why: string): number => {
    e.quiet = savedQuiet;
    e.neverWhy = why;
    if (e.verbose) e.tr('alloc_pages.never-returns', why);
    return NEVER;
  };
  try {
    // restart:
    for (;;) {
      let p = tryZones(e, g, zl, order, 0, false, false, 'alloc_pages.step1-low-watermark');
      if (p >= 0) return p;
      if (e.verbose) e.tr('alloc_pages.step2-wake-kswapd', 'wakeup_kswapd() on each zone of the zonelist (background reclaim; no effect on this call)');
      p = tryZones(e, g, zl, order, 1, canTryHarder, g.usesReserves, 'alloc_pages.step3-min-watermark');
      if (p >= 0) return p;
      if (!wait) {
        if (e.verbose) e.tr('alloc_pages.step4-no-wait-fail', `no __GFP_WAIT: cannot reclaim, returns NULL`);
        warn(e, g, order);
        return NULL_PAGE;
      }
      // rebalance:
      let restart = false;
      while (!restart) {
        rounds++;
        if (rounds > QUIET_AFTER) e.quiet = 1;
        e.sleep('__alloc_pages direct reclaim');
        if (e.verbose) e.tr('alloc_pages.step5-direct-reclaim', 'cond_resched(); try_to_free_pages() (the caller sleeps)');
        const { freed, progress } = reclaim(e, g, zl);
        if (progress) {
          p = tryZones(e, g, zl, order, 1, canTryHarder, g.usesReserves, 'alloc_pages.step5-retry-min');
          if (p >= 0) return p;
        } else if (g.canFS && !g.noretry) {
          p = tryZones(e, g, zl, order, 2, canTryHarder, g.usesReserves, 'alloc_pages.step5-high-watermark');
          if (p >= 0) return p;
          // Budgets only shrink: a round where neither reclaim nor the OOM killer freed a page repeats forever.
          if (outOfMemory(e) === 0 && freed === 0)
            return never(
              `out_of_memory() then goto restart, whatever it freed (2.6.11): in scenario "${e.scenario.name}" no task's death frees memory, ` +
                'so the kernel keeps killing tasks and the call never returns (or the kernel panics when nothing is left to kill)',
            );
          if (e.verbose) e.tr('alloc_pages.step5-oom-restart', 'the OOM killer ran: goto restart');
          restart = true;
          continue;
        }
        const retry = !g.noretry && (order <= 3 || g.repeat || g.nofail);
        if (!retry) {
          if (e.verbose) {
            e.tr(
              'alloc_pages.step6-fail',
              g.noretry ? '__GFP_NORETRY: no retry, returns NULL' : `order ${order} > 3 without __GFP_REPEAT/__GFP_NOFAIL: no retry, returns NULL`,
            );
          }
          warn(e, g, order);
          return NULL_PAGE;
        }
        const why = g.nofail ? '__GFP_NOFAIL' : g.repeat ? '__GFP_REPEAT' : `order ${order} <= 3`;
        if (freed === 0)
          // Without __GFP_FS no OOM kill can come: reclaim is exhausted in this scenario and nothing will change.
          return never(
            `${why}: __alloc_pages retries forever (do_retry: goto rebalance), but in scenario "${e.scenario.name}" reclaim frees nothing: the call never returns`,
          );
        e.sleep('blk_congestion_wait');
        if (e.verbose) e.tr('alloc_pages.step6-retry', `${why}: blk_congestion_wait(), goto rebalance`);
      }
    }
  } finally {
    if (e.quiet !== savedQuiet) {
      e.quiet = savedQuiet;
      if (e.verbose) e.tr('alloc_pages.rounds', `${rounds} reclaim round(s) in total (trace of rounds after the ${QUIET_AFTER}rd elided)`);
    }
  }
}

/** free_hot_cold_page: push on the per-CPU list; give `batch` pages back when count >= high. */
export function freeHotCold(e: Engine, z: Zone, pfn: number, cold: boolean): void {
  const pcp = z.pcp[cold ? 1 : 0];
  if (pcp.list.length >= pcp.high) {
    const n = Math.min(pcp.batch, pcp.list.length);
    const out = pcp.list.splice(0, n);
    for (let i = 0; i < out.length; i++) z.freeBlock(out[i], 0);
    if (e.verbose)
      e.tr('pcp.drain', `${z.name} ${cold ? 'cold' : 'hot'} list count >= high ${pcp.high}: free_pages_bulk returns ${n} page(s) to the buddy lists`);
  }
  pcp.list.push(pfn);
  if (e.verbose)
    e.tr(cold ? 'pcp.free-cold' : 'pcp.free-hot', `page pfn ${pfn} onto the ${z.name} per-CPU ${cold ? 'cold' : 'hot'} list (count now ${pcp.list.length})`);
}

/** __free_pages: order 0 → free_hot_page (or cold), larger → __free_pages_ok to the buddy lists. */
export function freeBlock(e: Engine, zi: number, pfn: number, order: number, cold: boolean): void {
  const z = e.zones[zi];
  z.allocated -= 1 << order;
  if (order === 0) {
    freeHotCold(e, z, pfn, cold);
    return;
  }
  z.freeBlock(pfn, order);
  if (e.verbose)
    e.tr('buddy.free', `${z.name}: order-${order} block at pfn ${pfn} back to the buddy lists${z.lastMerges ? `, coalesced ${z.lastMerges} time(s)` : ''}`);
}
