/** The hover on a name of the allocation API gives its timeline over the releases of the knowledge base, over the real server. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Hover } from 'vscode-languageserver-protocol';
import { fileUri, ROOT, startServer, type LspSession } from '../support/lsp-client';

const URI = fileUri(`${ROOT}/examples/kb-hover.c`);
const TEXT = [
  '#include <linux/slab.h>',
  '#define RX_FLAGS (GFP_KERNEL | __GFP_COLD)',
  'static kmem_cache_t *rx_cache;',
  'static void *rx_get(int n)',
  '{',
  '\treturn kmalloc(n, __GFP_REPEAT | GFP_KERNEL);',
  '}',
  '',
].join('\n');
const LINES = TEXT.split('\n');
let s: LspSession;

before(async () => {
  s = await startServer({ initializationOptions: { indexWorkspace: false } });
  await s.open(URI, TEXT);
});
after(async () => s.close());

async function hoverOn(line: number, needle: string): Promise<string> {
  const h = (await s.conn.sendRequest('textDocument/hover', {
    textDocument: { uri: URI },
    position: { line, character: LINES[line].indexOf(needle) + 2 },
  })) as Hover | null;
  assert.ok(h, `a hover on ${needle}`);
  return (h.contents as { value: string }).value;
}

test('a GFP flag in a #define: its mask table, then the releases that declare it and its removal', async () => {
  const md = await hoverOn(1, '__GFP_COLD');
  assert.match(md, /\*\*GFP mask\*\* `__GFP_COLD`/);
  const last = md.split('\n').at(-1)!;
  assert.match(
    last,
    /^`__GFP_COLD`: 2\.6\.0 – 4\.4 \(of the releases kport knows: 2\.4\.22, 2\.6\.0, .*, 6\.1\); removed in 4\.15 \(gone from 4\.19\): drop it — /,
  );
});

test("a flag inside an allocator's mask argument, and a type the table knows", async () => {
  assert.match(await hoverOn(5, '__GFP_REPEAT'), /\n`__GFP_REPEAT`: 2\.6\.0 – 4\.4 .*removed in 4\.13 \(gone from 4\.19\): use `__GFP_RETRY_MAYFAIL`/);
  assert.equal(
    await hoverOn(2, 'kmem_cache_t'),
    '`kmem_cache_t`: 2.4.22 – 2.6.11 (of the releases kport knows: 2.4.22, 2.6.0, 2.6.11, 2.6.32, 3.10, 4.4, 4.19, 5.10, 6.1); removed in 2.6.20 (gone from 2.6.32): use `struct kmem_cache` — the typedef of struct kmem_cache_s went; the type is struct kmem_cache.',
  );
});

test('an allocator call: the simulation first, the timeline last', async () => {
  const md = await hoverOn(5, 'kmalloc');
  assert.match(md, /runs in process context/);
  assert.match(md.split('\n').at(-1)!, /^`kmalloc`: 2\.4\.22 – 6\.1 \(of the releases kport knows: /);
});
