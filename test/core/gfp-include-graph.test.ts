/** The bundled 2.6.11 include graph of gfp-header: every row leads to <linux/gfp.h> and says where it comes from. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GFP_INCLUDE_GRAPH_VERSION, GFP_INCLUDE_STEPS } from '../../core/kernel/gfp-include-graph';
import { gfpIncludePath } from '../../core/rules/gfp-header';

test('every header of the graph reaches linux/gfp.h through rows of the graph, each step from an #include line', () => {
  assert.equal(GFP_INCLUDE_GRAPH_VERSION, '2.6.11');
  for (const [header, step] of Object.entries(GFP_INCLUDE_STEPS)) {
    const file = header.replace(/^asm\//, 'asm-i386/');
    assert.match(step.source, new RegExp(`^include/${file.replace(/[.+]/g, '\\$&')}:\\d+$`), `${header}: the step is one of its own #include lines`);
    const path = gfpIncludePath(header);
    assert.equal(path[path.length - 1], 'linux/gfp.h', `${header} → ${path.join(' → ')}`);
    assert.equal(new Set(path).size, path.length, `${header}: no cycle`);
  }
});

test('the headers a 2.4 driver names: which reach gfp.h in 2.6.11 and which do not', () => {
  for (const h of ['linux/slab.h', 'linux/mm.h', 'linux/sched.h', 'linux/module.h', 'linux/fs.h', 'linux/highmem.h', 'linux/pagemap.h'])
    assert.ok(Object.hasOwn(GFP_INCLUDE_STEPS, h), h);
  for (const h of ['linux/kernel.h', 'linux/init.h', 'linux/vmalloc.h', 'linux/mempool.h', 'linux/gfp.h']) assert.ok(!Object.hasOwn(GFP_INCLUDE_STEPS, h), h);
  assert.deepEqual(gfpIncludePath('linux/sched.h'), ['linux/sched.h', 'linux/percpu.h', 'linux/slab.h', 'linux/gfp.h']);
});
