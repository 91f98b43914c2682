import type { FileFacts } from '../facts/file-facts';
import { isNonCode } from '../facts/syntax';
import { GFP_INCLUDE_GRAPH_VERSION, GFP_INCLUDE_STEPS } from '../kernel/gfp-include-graph';
import type { AnalysisEnv } from './types';
import { defineRule } from './define';

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

/** Whether a 2.6 header reaches <linux/gfp.h>: itself, or a row of the generated include graph. */
function reachesGfp(path: string): boolean {
  return path === 'linux/gfp.h' || Object.hasOwn(GFP_INCLUDE_STEPS, path);
}

/** `linux/blkdev.h → linux/pagemap.h → linux/mm.h → linux/gfp.h`, each step from the 2.6 include graph. */
export function gfpIncludePath(path: string): string[] {
  const out = [path];
  for (let h = path; h !== 'linux/gfp.h' && out.length < 32; ) {
    h = GFP_INCLUDE_STEPS[h].next;
    out.push(h);
  }
  return out;
}

interface IncludeReach {
  /** The include of this file (and the local headers on the way) through which gfp.h is reached. */
  via: string[] | null;
  /** A quoted include that could not be read: whether it reaches gfp.h is unknown. */
  unread: string | null;
  /** The local headers read on the way. */
  followed: string[];
}

/**
 * Follows this file's includes to <linux/gfp.h>: system includes through the 2.6 include graph, quoted
 * ones through the local headers the adapter reads (their own includes, quoted ones again relative to
 * them). A quoted include that cannot be read is looked up in the 2.6 graph (`"linux/mm.h"` finds
 * include/linux/mm.h through -Iinclude); otherwise it is unknown.
 */
export function reachGfp(facts: FileFacts, env: AnalysisEnv): IncludeReach {
  const followed: string[] = [];
  const seen = new Set<string>();
  let unread: string | null = null;
  const stack = facts.includes
    .map((i) => ({ path: i.path, system: i.system, from: undefined as string | undefined, chain: [i.system ? `<${i.path}>` : `"${i.path}"`] }))
    .reverse();
  while (stack.length) {
    const inc = stack.pop()!;
    if (inc.system) {
      if (reachesGfp(inc.path)) return { via: inc.chain, unread: null, followed };
      continue;
    }
    const h = env.localHeader?.(inc.path, inc.from);
    if (!h) {
      if (reachesGfp(inc.path)) return { via: inc.chain, unread: null, followed };
      unread ??= inc.path;
      continue;
    }
    if (seen.has(h.id)) continue;
    seen.add(h.id);
    followed.push(inc.path);
    if (seen.size > MAX_LOCAL_HEADERS) {
      unread ??= inc.path;
      break;
    }
    for (let k = h.includes.length - 1; k >= 0; k--) {
      const i = h.includes[k];
      stack.push({ path: i.path, system: i.system, from: h.id, chain: [...inc.chain, i.system ? `<${i.path}>` : `"${i.path}"`] });
    }
  }
  return { via: null, unread, followed };
}

/** Local headers followed per file at most: past that, reaching gfp.h is left unknown. */
const MAX_LOCAL_HEADERS = 200;

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

export const gfpHeader = defineRule({
  id: 'gfp-header',
  severity: 'info',
  deprecated: false,
  summary: 'page allocation functions used where no include reaches <linux/gfp.h> in 2.6',
  matches: { calls: PAGE_API },
  fixable: 'code',
  check({ facts, env }) {
    // A header is compiled only as part of the files that include it, after their includes: whether a 2.6
    // build declares these names there is theirs to say, not the header's.
    if (/\.h$/i.test(facts.path)) return [];
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
    const reach = reachGfp(facts, env);
    // Reached, or a quoted include could not be read (it may be the one that reaches gfp.h): no finding.
    if (reach.via || reach.unread !== null) return [];
    // A .c file another one #includes (gdth.c: `#include "gdth_proc.c"` after its own includes) is likewise
    // compiled as part of it.
    if (env.includedBy?.().length) return [];
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
    return [
      {
        message:
          `${names.map((n) => `${n}()`).join(', ')} ${names.length > 1 ? 'are' : 'is'} declared in <linux/gfp.h> in 2.6, and no include of this file reaches it ` +
          `in ${GFP_INCLUDE_GRAPH_VERSION}'s include graph` +
          (reach.followed.length ? ` (local headers followed: ${reach.followed.map((l) => `"${l}"`).join(', ')})` : '') +
          `: a 2.6 build does not declare ${names.length > 1 ? 'them' : 'it'}. Include <linux/gfp.h> (<linux/slab.h> or <linux/mm.h> would also do).`,
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
});
