/**
 * Kernel functions outside a driver that may sleep on every ordinary call: they allocate with
 * GFP_KERNEL or take a semaphore. A call to one in atomic context is a sleep-in-atomic finding whose
 * message gives the reason. Each fact was read in the source named beside it (2.4.22 and 2.6.11); a
 * function that sleeps only on rare paths is not here, and a condition a reason depends on is said.
 * The allocators themselves (kmalloc, vmalloc, kmem_cache_create…) are in alloc-api.ts.
 */
import { archesOf } from './arch-headers';
import { nameTable } from './name-table';

export interface SleepingApi {
  /** Why a call may sleep, as the finding says it (after "<name>() may sleep: "). */
  reason: string;
  /** The versions the reason was read in, with the file of each. */
  readIn: readonly { version: string; file: string }[];
  /**
   * Directories of drivers built only for an architecture whose version of the function does not sleep:
   * there a call is not reported.
   */
  notUnder?: readonly { dir: string; why: string }[];
  /** Architectures whose version does not sleep: a file whose `<asm/…>` includes build it for these alone is not reported. */
  notOn?: { arches: readonly string[]; why: string };
}

const PROC_CREATE: SleepingApi = {
  reason: 'it allocates the /proc entry with kmalloc(GFP_KERNEL) (proc_create() in fs/proc/generic.c, 2.4.22 and 2.6.11; with CONFIG_PROC_FS)',
  readIn: [
    { version: '2.4.22', file: 'fs/proc/generic.c' },
    { version: '2.6.11', file: 'fs/proc/generic.c' },
  ],
};
const PROC_CREATE_INLINE: SleepingApi = {
  ...PROC_CREATE,
  reason:
    'it calls create_proc_entry(), which allocates the /proc entry with kmalloc(GFP_KERNEL) (include/linux/proc_fs.h, fs/proc/generic.c, 2.4.22 and 2.6.11; with CONFIG_PROC_FS)',
  readIn: [...PROC_CREATE.readIn, { version: '2.4.22', file: 'include/linux/proc_fs.h' }],
};
const REQUEST_REGION: SleepingApi = {
  reason: 'it allocates its struct resource with kmalloc(GFP_KERNEL) (__request_region() in kernel/resource.c, 2.4.22 and 2.6.11)',
  readIn: [
    { version: '2.4.22', file: 'kernel/resource.c, include/linux/ioport.h' },
    { version: '2.6.11', file: 'kernel/resource.c, include/linux/ioport.h' },
  ],
};
const CHECK_REGION: SleepingApi = {
  reason: 'it calls __request_region(), which allocates a struct resource with kmalloc(GFP_KERNEL) (__check_region() in kernel/resource.c, 2.4.22 and 2.6.11)',
  readIn: REQUEST_REGION.readIn,
};
const DEVFS_ENTRY: SleepingApi = {
  reason: 'it allocates the devfs entry with kmalloc(GFP_KERNEL) (_devfs_alloc_entry() in fs/devfs/base.c, 2.4.22; with CONFIG_DEVFS_FS)',
  readIn: [{ version: '2.4.22', file: 'fs/devfs/base.c' }],
};

export const SLEEPING_APIS: Readonly<Record<string, SleepingApi>> = nameTable({
  request_irq: {
    reason:
      'it allocates its irqaction with kmalloc(GFP_KERNEL) in 2.4.22 (arch/i386/kernel/irq.c; likewise alpha, arm, ia64, mips, ppc, sh, sparc, x86_64). 2.6.11 allocates the irqaction with GFP_ATOMIC, but setup_irq() then creates the /proc/irq entries with proc_mkdir() (kmalloc(GFP_KERNEL)) for a new IRQ line or handler name (kernel/irq/manage.c, kernel/irq/proc.c)',
    readIn: [
      { version: '2.4.22', file: 'arch/{alpha,arm,i386,ia64,mips,ppc,sh,sparc,x86_64}/kernel/irq.c' },
      { version: '2.6.11', file: 'kernel/irq/manage.c, kernel/irq/proc.c' },
    ],
    notUnder: [
      { dir: 'drivers/s390/', why: "s390's request_irq() (s390_request_irq() in drivers/s390/s390io.c, 2.4.22) allocates nothing" },
      { dir: 'drivers/gsc/', why: "parisc's request_irq() (arch/parisc/kernel/irq.c, 2.4.22) allocates with GFP_ATOMIC" },
    ],
    notOn: {
      arches: ['m68k', 'parisc', 's390', 's390x', 'sparc64'],
      why: '2.4.22: m68k takes a node from a static pool (new_irq_node(), arch/m68k/kernel/ints.c); parisc and sparc64 kmalloc with GFP_ATOMIC (arch/{parisc,sparc64}/kernel/irq.c); s390 allocates nothing (drivers/s390/s390io.c)',
    },
  },
  request_region: REQUEST_REGION,
  request_mem_region: REQUEST_REGION,
  __request_region: REQUEST_REGION,
  check_region: CHECK_REGION,
  check_mem_region: CHECK_REGION,
  __check_region: CHECK_REGION,
  create_proc_entry: PROC_CREATE,
  proc_mkdir: PROC_CREATE,
  proc_mknod: PROC_CREATE,
  proc_symlink: PROC_CREATE,
  create_proc_read_entry: PROC_CREATE_INLINE,
  create_proc_info_entry: PROC_CREATE_INLINE,
  devfs_register: DEVFS_ENTRY,
  devfs_mk_dir: DEVFS_ENTRY,
  devfs_mk_symlink: {
    ...DEVFS_ENTRY,
    reason: 'it allocates the link and its devfs entry with kmalloc(GFP_KERNEL) (fs/devfs/base.c, 2.4.22; with CONFIG_DEVFS_FS)',
  },
  misc_register: {
    reason: 'it takes misc_sem with down() (drivers/char/misc.c, 2.4.22 and 2.6.11)',
    readIn: [
      { version: '2.4.22', file: 'drivers/char/misc.c' },
      { version: '2.6.11', file: 'drivers/char/misc.c' },
    ],
  },
  register_netdev: {
    reason:
      'it takes the RTNL semaphore with rtnl_lock() (down(&rtnl_sem)) (drivers/net/net_init.c and include/linux/rtnetlink.h in 2.4.22, net/core/dev.c in 2.6.11)',
    readIn: [
      { version: '2.4.22', file: 'drivers/net/net_init.c, include/linux/rtnetlink.h' },
      { version: '2.6.11', file: 'net/core/dev.c' },
    ],
  },
  alloc_etherdev: {
    reason: 'it allocates the net_device with kmalloc(GFP_KERNEL) (alloc_netdev() in drivers/net/net_init.c, 2.4.22; net/core/dev.c, 2.6.11)',
    readIn: [
      { version: '2.4.22', file: 'drivers/net/net_init.c' },
      { version: '2.6.11', file: 'net/ethernet/eth.c, net/core/dev.c' },
    ],
  },
  kmem_cache_destroy: {
    reason: 'it takes cache_chain_sem with down() (mm/slab.c, 2.4.22 and 2.6.11)',
    readIn: [
      { version: '2.4.22', file: 'mm/slab.c' },
      { version: '2.6.11', file: 'mm/slab.c' },
    ],
  },
});

export const SLEEPING_API_NAMES: readonly string[] = Object.keys(SLEEPING_APIS);

/**
 * Whether `name` sleeps in a file at `path` with these includes: not where only an architecture whose
 * version of it does not sleep builds the file (a driver directory of that architecture, or an
 * `<asm/…>` header only it has).
 */
export function sleepingApiAt(name: string, path: string, includes: readonly { path: string }[]): SleepingApi | null {
  const api = SLEEPING_APIS[name];
  if (!api) return null;
  const p = `/${path.replace(/\\/g, '/')}`;
  if (api.notUnder?.some((n) => p.includes(`/${n.dir}`))) return null;
  const arches = api.notOn && archesOf(includes);
  if (arches && arches.every((a) => api.notOn!.arches.includes(a))) return null;
  return api;
}
