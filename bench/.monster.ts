import { analyze, FileFacts, simulateFunction } from '../core';
import { getParser } from '../test/support/core';
function ioctlMonster(cases: number): string {
  const body = Array.from({ length: cases }, (_, i) => `\tcase ${i}:\n\t\tif (arg & ${1 << i % 8}) {\n\t\t\tp = kmalloc(${16 + i}, GFP_KERNEL);\n\t\t\tif (!p)\n\t\t\t\tgoto fail;\n\t\t\tspin_lock(&l);\n\t\t\tif (x > ${i}) { spin_unlock(&l); goto out; }\n\t\t\tspin_unlock(&l);\n\t\t} else if (arg & 2) {\n\t\t\tkfree(p);\n\t\t\tgoto out;\n\t\t}\n\t\tbreak;`).join('\n');
  return `#include <linux/slab.h>\nstatic spinlock_t l;\nint monster_ioctl(int cmd, unsigned long arg, int x)\n{\n\tvoid *p = NULL;\n\tswitch (cmd) {\n${body}\n\t}\nout:\n\tkfree(p);\n\treturn 0;\nfail:\n\treturn -ENOMEM;\n}\n`;
}
(async () => {
  const p = await getParser();
  const parsed = p.parse(ioctlMonster(300));
  const facts = new FileFacts(parsed, 'monster.c');
  const { shared } = analyze(facts, { simulate: false });
  const t = performance.now();
  const sim = simulateFunction(shared, 0);
  console.log('ms', (performance.now() - t).toFixed(0), 'calls', sim.calls.length, 'paths', sim.paths.length);
})();
