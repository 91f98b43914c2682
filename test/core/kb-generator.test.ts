/**
 * scripts/kb/generate.mjs on release trees written here (two invented releases with short headers in the
 * style of the kernel's), so that the generator is checked on every machine, not only where the real
 * release trees are.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { compareVersions, evaluate, generate } from '../../scripts/kb/generate.mjs';

function writeTree(root: string, version: string, files: Record<string, string>, extra: Record<string, string> = {}): void {
  const dir = path.join(root, version);
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), text);
  }
  fs.writeFileSync(
    path.join(dir, 'PROVENANCE.tsv'),
    Object.keys(files)
      .map((p) => `${p}\towner/tree-${version}\t${version}-commit\t${p}\n`)
      .join(''),
  );
  for (const [name, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), text);
}

const OLD_GFP = `#ifndef _GFP_H
#define _GFP_H
/* zone bits */
#define __GFP_DMA\t0x01
#define __GFP_WAIT\t0x10\t/* may sleep */
#define __GFP_IO\t0x40
#define __GFP_FS\t0x80
#define __GFP_COLD\t0x100
#define GFP_KERNEL\t(__GFP_WAIT | __GFP_IO | \\
\t\t\t __GFP_FS)
extern void FASTCALL(free_hot_page(struct page *page));
#endif
`;
const OLD_SLAB = `typedef struct kmem_cache_s kmem_cache_t;
#define SLAB_KERNEL GFP_KERNEL
// kmalloc(size, flags) is not a declaration in a comment
static inline void *kmalloc(size_t size, int flags)
{
\treturn __kmalloc(size, flags);
}
extern kmem_cache_t *kmem_cache_create(const char *, size_t, size_t, unsigned long,
\t\t\t\t       void (*)(void *, kmem_cache_t *, unsigned long),
\t\t\t\t       void (*)(void *, kmem_cache_t *, unsigned long));
`;
const NEW_GFP = `#define ___GFP_DMA\t\t0x01u
#define ___GFP_IO\t\t0x40u
#define ___GFP_FS\t\t0x80u
#define ___GFP_DIRECT_RECLAIM\t0x400u
#define ___GFP_KSWAPD_RECLAIM\t0x800u
#define __GFP_DMA\t((__force gfp_t)___GFP_DMA)
#define __GFP_IO\t((__force gfp_t)___GFP_IO)
#define __GFP_FS\t((__force gfp_t)___GFP_FS)
#define __GFP_DIRECT_RECLAIM\t((__force gfp_t)___GFP_DIRECT_RECLAIM)
#define __GFP_KSWAPD_RECLAIM\t((__force gfp_t)___GFP_KSWAPD_RECLAIM)
#define __GFP_RECLAIM ((__force gfp_t)(___GFP_DIRECT_RECLAIM|___GFP_KSWAPD_RECLAIM))
#define GFP_KERNEL\t(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
`;
const NEW_SLAB = `struct kmem_cache;
DEFINE_GUARD(kfree, void *, kfree(_T))
static __always_inline __alloc_size(1) void *kmalloc(size_t size, gfp_t flags)
{
\tif (size > 8) { return __kmalloc(size, flags); }
\treturn NULL;
}
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
\t\t\tslab_flags_t flags, void (*ctor)(void *));
`;
const MEMPOOL = `typedef struct mempool_s {
\tint min_nr;
} mempool_t;
extern int mempool_resize(mempool_t *pool, int new_min_nr);
`;

test("the generator reads each tree's headers: values through #define chains and casts, prototypes, typedefs, absent and unknown names, provenance", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-kb-trees-'));
  writeTree(
    root,
    '2.6.9',
    { 'include/linux/gfp.h': OLD_GFP, 'include/linux/slab.h': OLD_SLAB },
    { 'NOT_READ.txt': '# not found\ninclude/linux/mempool.h\n', 'RELEASE.txt': '2.6.9\n', 'NOTE.txt': 'invented\n' },
  );
  writeTree(root, '4.10', { 'include/linux/gfp.h': NEW_GFP, 'include/linux/slab.h': NEW_SLAB, 'include/linux/mempool.h': MEMPOOL });
  const kb = generate(root);
  assert.deepEqual(kb.versions, ['2.6.9', '4.10'], 'releases in numeric order');
  assert.deepEqual(
    kb.trees['2.6.9'].headers.map((h) => [h.path, h.source, h.revision]),
    [
      ['include/linux/gfp.h', 'owner/tree-2.6.9', '2.6.9-commit'],
      ['include/linux/slab.h', 'owner/tree-2.6.9', '2.6.9-commit'],
    ],
  );
  assert.equal(kb.trees['2.6.9'].release, '2.6.9');
  const at = (name: string, v: string) => kb.symbols[name].versions[v];

  assert.deepEqual(at('__GFP_WAIT', '2.6.9'), { status: 'present', file: 'include/linux/gfp.h', line: 5, decl: '#define __GFP_WAIT 0x10', value: '0x10' });
  assert.equal(at('GFP_KERNEL', '2.6.9').value, '0xd0', 'a continued #define resolved through other #defines');
  assert.equal(at('GFP_KERNEL', '2.6.9').line, 9);
  assert.equal(at('GFP_KERNEL', '4.10').value, '0xcc0', 'casts and ___GFP_ bits resolved');
  assert.equal(at('__GFP_RECLAIM', '4.10').value, '0xc00');
  assert.deepEqual(at('__GFP_WAIT', '4.10'), { status: 'absent' });
  assert.equal(at('SLAB_KERNEL', '2.6.9').value, '0xd0');

  assert.equal(at('free_hot_page', '2.6.9').decl, 'extern void FASTCALL(free_hot_page(struct page *page));');
  assert.equal(at('kmalloc', '2.6.9').decl, 'static inline void *kmalloc(size_t size, int flags) { ... }');
  assert.equal(at('kmalloc', '2.6.9').line, 4, 'the comment that names kmalloc is no declaration');
  assert.equal(
    at('kmalloc', '4.10').decl,
    'static __always_inline __alloc_size(1) void *kmalloc(size_t size, gfp_t flags) { ... }',
    'the macro call before it is cut off',
  );
  assert.match(
    at('kmem_cache_create', '2.6.9').decl!,
    /^extern kmem_cache_t \*kmem_cache_create\(const char \*, size_t, size_t, unsigned long, void \(\*\)\(void \*, kmem_cache_t \*, unsigned long\), void/,
  );
  assert.equal(at('kmem_cache_create', '4.10').line, 8);

  assert.equal(at('kmem_cache_t', '2.6.9').decl, 'typedef struct kmem_cache_s kmem_cache_t;');
  assert.equal(at('struct kmem_cache', '2.6.9').status, 'absent', 'struct kmem_cache_s is another struct');
  assert.equal(at('struct kmem_cache', '4.10').decl, 'struct kmem_cache;');
  assert.equal(at('mempool_t', '4.10').decl, 'typedef struct mempool_s { ... } mempool_t;');
  assert.deepEqual(
    at('mempool_t', '2.6.9'),
    { status: 'unknown', notRead: ['include/linux/mempool.h'] },
    'absent from what was read, but its header was not read',
  );
  assert.deepEqual(at('kzalloc', '2.6.9'), { status: 'absent' }, 'declared nowhere: absent, not unknown');
  assert.equal(at('include/linux/mempool.h', '4.10').status, 'present');
  assert.equal(at('include/linux/mempool.h', '2.6.9').status, 'unknown');
  assert.equal(JSON.stringify(generate(root)), JSON.stringify(kb), 'the output is stable');
  fs.rmSync(root, { recursive: true, force: true });
});

test('versions compare by number; #define arithmetic', () => {
  assert.ok(compareVersions('2.6.9', '2.6.11') < 0 && compareVersions('4.19', '5.10') < 0 && compareVersions('3.10', '3.10') === 0);
  const defs: Record<string, string> = { A: '0x10u', B: '(A << 2)', C: 'IS_ENABLED(CONFIG_X)' };
  const lookup = (n: string, seen: Set<string>): number | null => (n in defs ? evaluate(defs[n], lookup, seen) : null);
  assert.equal(evaluate('(A | B) & ~0x10', lookup), 0x40);
  assert.equal(evaluate('BIT(3) | A', lookup), 0x18);
  assert.equal(evaluate('A | C', lookup), null, 'a configuration-dependent value is unknown');
  assert.equal(evaluate('D', lookup), null);
});
