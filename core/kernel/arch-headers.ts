/**
 * `<asm/…>` headers that only some architectures have, in Linux 2.4.22 (from the file names of
 * include/asm-<arch>/): a file that includes one is built for those architectures alone. Only the headers
 * of architectures on which a SLEEPING_APIS entry does not sleep are listed (m68k, parisc, s390,
 * s390x, sparc64: request_irq() allocates from a static pool or with GFP_ATOMIC there).
 */
import { nameTable } from './name-table';

const byArches: [arches: string[], headers: string[]][] = [
  [['m68k'], ['adb.h', 'adb_iop.h', 'adb_mouse.h', 'apollodma.h', 'apollohw.h', 'atafd.h', 'atafdreg.h', 'atari_SCCserial.h', 'atari_SLM.h', 'atari_acsi.h', 'atari_joystick.h', 'atari_stdma.h', 'atari_stram.h', 'atarihw.h', 'atariints.h', 'atarikb.h', 'blinken.h', 'bvme6000hw.h', 'dsp56k.h', 'dvma.h', 'entry.h', 'hwtest.h', 'intersil.h', 'mac_asc.h', 'mac_baboon.h', 'mac_iop.h', 'mac_mouse.h', 'mac_oss.h', 'mac_psc.h', 'mac_via.h', 'machw.h', 'macintosh.h', 'macints.h', 'math-emu.h', 'motorola_pgalloc.h', 'motorola_pgtable.h', 'movs.h', 'mvme147hw.h', 'mvme16xhw.h', 'nubus.h', 'page_offset.h', 'q40_keyboard.h', 'q40_master.h', 'q40ints.h', 'raw_io.h', 'shm.h', 'sun3-head.h', 'sun3_pgalloc.h', 'sun3_pgtable.h', 'sun3ints.h', 'sun3mmu.h', 'sun3x.h', 'sun3xflop.h', 'sun3xprom.h', 'swim_iop.h', 'virtconvert.h']],
  [['sparc64'], ['apb.h', 'bbc.h', 'chafsr.h', 'chmctrl.h', 'dcr.h', 'dcu.h', 'display7seg.h', 'envctrl.h', 'estate.h', 'fhc.h', 'fpumacro.h', 'isa.h', 'lsu.h', 'ns87303.h', 'pil.h', 'psrcompat.h', 'pstate.h', 'sab82532.h', 'spitfire.h', 'starfire.h', 'ttable.h', 'uctx.h', 'upa.h', 'utrap.h', 'visasm.h', 'watchdog.h']],
  [['parisc'], ['asmregs.h', 'assembly.h', 'eisa_bus.h', 'eisa_eeprom.h', 'grfioctl.h', 'gsc.h', 'led.h', 'parport_gsc.h', 'pdc.h', 'pdc_chassis.h', 'perf.h', 'psw.h', 'rmap.h', 'rt_sigframe.h', 'runway.h', 'som.h', 'spinlock_t.h', 'superio.h', 'system_irqsave.h']],
  [['s390', 's390x'], ['ccwcache.h', 'chandev.h', 'cpcmd.h', 'dasd.h', 'ebcdic.h', 'idals.h', 'lowcore.h', 'qdio.h', 'queue.h', 's390_ext.h', 's390dyn.h', 's390io.h', 's390mach.h', 'sigp.h', 'todclk.h', 'vtoc.h']],
  [['s390'], ['mathemu.h']],
];

/** Header (as written after `asm/`) → the architectures that have it. */
export const ARCH_ONLY_HEADERS: Readonly<Record<string, readonly string[]>> = nameTable(Object.fromEntries(byArches.flatMap(([arches, headers]) => headers.map((h) => [h, arches]))));

/** The architectures a file can be built for, as its `<asm/…>` includes say; null when any. */
export function archesOf(includes: readonly { path: string }[]): readonly string[] | null {
  let arches: string[] | null = null;
  for (const inc of includes) {
    const only = inc.path.startsWith('asm/') ? ARCH_ONLY_HEADERS[inc.path.slice(4)] : undefined;
    if (only) arches = arches ? arches.filter((a) => only.includes(a)) : [...only];
  }
  return arches;
}
