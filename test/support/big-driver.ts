/**
 * Ours: a generated 2.4-style driver over 256 KiB (a big document opens staged in the editor): card_ioctl()
 * holds a spinlock around card_refill(), whose kmalloc(GFP_KERNEL) therefore sleeps in atomic context;
 * card_dispatch() calls card_ioctl(); card_refill() calls card_fill() (inlined by the simulator); and
 * `fillers` functions that none of them names.
 */
export function bigDriver(fillers = 850): { text: string; functions: number } {
  const parts = [
    '#include <linux/slab.h>',
    '#include <linux/spinlock.h>',
    '',
    'static spinlock_t card_lock = SPIN_LOCK_UNLOCKED;',
    'static char *card_ring;',
    '',
    'static void card_fill(char *p, int len)',
    '{',
    '\twhile (len-- > 0)',
    '\t\t*p++ = 0x5a;',
    '}',
    '',
    'static void card_refill(int len)',
    '{',
    '\tcard_ring = kmalloc(len, GFP_KERNEL);',
    '\tif (card_ring)',
    '\t\tcard_fill(card_ring, len);',
    '}',
    '',
    'static int card_ioctl(int cmd, int len)',
    '{',
    '\tunsigned long flags;',
    '',
    '\tspin_lock_irqsave(&card_lock, flags);',
    '\tif (cmd == 1)',
    '\t\tcard_refill(len);',
    '\tspin_unlock_irqrestore(&card_lock, flags);',
    '\treturn 0;',
    '}',
    '',
    'int card_dispatch(int cmd)',
    '{',
    '\treturn card_ioctl(cmd, 512);',
    '}',
    '',
  ];
  for (let i = 0; i < fillers; i++)
    parts.push(
      `static int card_stat_${i}(int *regs, int n)`,
      '{',
      '\tint v = 0, k;',
      '',
      `\t/* statistics register bank ${i}: summed, clipped, scaled */`,
      '\tfor (k = 0; k < n; k++) {',
      `\t\tv += regs[k] & 0x${(i * 37 + 11).toString(16)};`,
      `\t\tif (v > ${1000 + i})`,
      `\t\t\tv -= ${500 + (i % 97)};`,
      '\t}',
      '\tswitch (v & 3) {',
      '\tcase 0:',
      '\t\tv <<= 1;',
      '\t\tbreak;',
      '\tcase 1:',
      '\t\tv >>= 1;',
      '\t\tbreak;',
      '\tdefault:',
      `\t\tv ^= ${i};`,
      '\t}',
      `\tregs[${i % 16}] = v;`,
      '\treturn v;',
      '}',
      '',
    );
  return { text: `${parts.join('\n')}\n`, functions: 4 + fillers };
}

/** The position of the first occurrence of `needle` on a line containing `lineHas`. */
export function positionOf(text: string, lineHas: string, needle: string): { line: number; character: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(lineHas));
  return { line, character: lines[line].indexOf(needle) + 1 };
}
