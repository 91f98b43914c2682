import type { FileFacts } from '../facts/file-facts';
import { isNonCode } from '../facts/syntax';
import type { Rule } from './types';

/** The page-level allocator API that 2.6 declares in <linux/gfp.h>. */
export const PAGE_API = [
  'alloc_pages',
  'alloc_page',
  'alloc_pages_node',
  '__get_free_pages',
  '__get_free_page',
  'get_zeroed_page',
  'free_pages',
  '__free_pages',
  'free_page',
  'free_hot_page',
  'free_cold_page',
  '__free_page',
  '__get_dma_pages',
] as const;

/**
 * Headers through which <linux/gfp.h> is reachable in 2.6 (2.6.0–2.6.11 include graph), with the path.
 * Deliberately absent, since they do not pull gfp.h in on every architecture: linux/vmalloc.h
 * (spinlock.h, asm/page.h), linux/mempool.h (list.h, wait.h), linux/fs.h, linux/sched.h, linux/swap.h,
 * linux/pci.h and linux/dma-mapping.h (only through some architectures' asm/ headers).
 */
export const GFP_PROVIDERS: Readonly<Record<string, string>> = {
  'linux/gfp.h': 'linux/gfp.h',
  'linux/mm.h': 'linux/mm.h → linux/gfp.h',
  'linux/slab.h': 'linux/slab.h → linux/gfp.h',
  'linux/highmem.h': 'linux/highmem.h → linux/mm.h → linux/gfp.h',
  'linux/pagemap.h': 'linux/pagemap.h → linux/mm.h → linux/gfp.h',
  'linux/mman.h': 'linux/mman.h → linux/mm.h → linux/gfp.h',
  'linux/skbuff.h': 'linux/skbuff.h → linux/mm.h → linux/gfp.h',
  'linux/bio.h': 'linux/bio.h → linux/highmem.h → linux/mm.h → linux/gfp.h',
  'linux/blkdev.h': 'linux/blkdev.h → linux/pagemap.h → linux/mm.h → linux/gfp.h',
};

/**
 * True in a file with syntax errors when an `#include` line (text at a line start) is neither one of the
 * includes tree-sitter recognized nor in a comment or string: the include list is then incomplete.
 */
function hasUnparsedInclude(facts: FileFacts): boolean {
  const root = facts.file.root;
  if (!root.hasError) return false;
  for (const m of facts.text.matchAll(/(?:^|[\r\n])[ \t]*#[ \t]*include\b/g)) {
    const at = m.index! + m[0].indexOf('#');
    if (facts.includes.some((i) => i.lineSpan.start <= at && at < i.lineSpan.end)) continue;
    const node = root.descendantForIndex(at, at + 1);
    if (node && isNonCode(node)) continue;
    return true;
  }
  return false;
}

export const gfpHeader: Rule = {
  id: 'gfp-header',
  severity: 'info',
  deprecated: false,
  summary: 'page allocation functions used without <linux/gfp.h> reachable',
  triggers: PAGE_API,
  usesContext: false,
  check({ facts }) {
    if (facts.includes.some((i) => GFP_PROVIDERS[i.path] !== undefined)) return [];
    // A file that defines one of these names itself is not using the kernel's.
    const own = new Set(facts.functions.map((f) => f.name));
    if (PAGE_API.some((n) => own.has(n)) || facts.defines.some((d) => (PAGE_API as readonly string[]).includes(d.name))) return [];
    const text = facts.text;
    const uses = facts.tokens(PAGE_API).filter((t) => {
      if (facts.isDeclaratorName(t.span)) return false;
      let i = t.span.end;
      while (i < text.length && /\s/.test(text[i])) i++;
      if (text[i] !== '(') return false;
      let j = t.span.start;
      while (j > 0 && /\s/.test(text[j - 1])) j--;
      return text[j - 1] !== '.' && text.slice(j - 2, j) !== '->';
    });
    if (uses.length === 0) return [];
    // An #include that tree-sitter's error recovery swallowed may be the one that reaches gfp.h: unknown.
    if (hasUnparsedInclude(facts)) return [];
    const first = uses[0];
    const names = [...new Set(uses.map((u) => u.name))];
    // The new line goes after the last include that ends its line (a directive followed by other text on
    // its line would leave the new one mid-line, where tree-sitter does not see a directive), in that
    // include's line ending; else at the top of the file, ending in \r\n if the file's first line does,
    // else \n. Not in a lone \r there: tree-sitter-c ends a directive at a lone \r only when what follows
    // parses, so `#include <linux/gfp.h>\r` before a broken first line merges into its ERROR and the
    // include is not seen (after an anchor, the same line ending was already seen to end a directive).
    const whole = facts.includes.filter((i) => i.lineSpan.end === text.length || /[\r\n]$/.test(text.slice(i.lineSpan.start, i.lineSpan.end)));
    const linux = whole.filter((i) => i.path.startsWith('linux/'));
    const anchor = linux.length ? linux[linux.length - 1] : whole[whole.length - 1];
    const at = anchor ? anchor.lineSpan.end : 0;
    const anchorLine = anchor ? text.slice(anchor.lineSpan.start, anchor.lineSpan.end) : /\r\n?|\n/.exec(text)?.[0] === '\r\n' ? '\r\n' : '\n';
    const needsNewline = anchor && !/[\r\n]$/.test(anchorLine);
    const eol = /\r\n$/.test(anchorLine) ? '\r\n' : /\r$/.test(anchorLine) ? '\r' : '\n';
    const local = facts.includes.filter((i) => !i.system);
    return [
      {
        message:
          `${names.map((n) => `${n}()`).join(', ')} ${names.length > 1 ? 'are' : 'is'} declared in <linux/gfp.h> in 2.6, and none of this file's includes reaches it ` +
          `(<linux/mm.h>, <linux/slab.h>, <linux/highmem.h>, <linux/pagemap.h> would). Include <linux/gfp.h>.` +
          (local.length ? ` Local headers (${local.map((l) => `"${l.path}"`).join(', ')}) were not followed.` : ''),
        span: first.span,
        tags: [],
        related: uses.slice(1, 20).map((u) => ({ message: `${u.name}() is used here too`, span: u.span })),
        fixes: [
          {
            title: 'Add #include <linux/gfp.h>',
            edits: [{ start: at, end: at, newText: `${needsNewline ? eol : ''}#include <linux/gfp.h>${eol}` }],
            preferred: true,
          },
        ],
      },
    ];
  },
};
