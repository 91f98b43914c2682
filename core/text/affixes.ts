/**
 * The common prefix and suffix of two versions of a text: where a keystroke changed it. Compared a chunk at a time,
 * large chunks then small ones (string equality runs natively), then a character at a time: on a 140 KiB file a
 * charCodeAt loop over both ends was ~1 ms of each keystroke, twice (neutralize's window and tree-sitter's edit).
 */
const CHUNKS = [4096, 64];

export interface Affixes {
  /** Characters equal at the start of both texts. */
  prefix: number;
  /** Characters equal at the end of both, after the prefix (the two never overlap). */
  suffix: number;
}

/**
 * `known`: affixes the caller knows to be common (a text rebuilt from the other's ends, an editor's change range):
 * the scans start past them, so the cost is that of the stretch between them. The answer is the longest, as without.
 */
export function commonAffixes(a: string, b: string, known?: Affixes): Affixes {
  const max = Math.min(a.length, b.length);
  let prefix = Math.min(known?.prefix ?? 0, max);
  for (const n of CHUNKS) while (prefix + n <= max && a.slice(prefix, prefix + n) === b.slice(prefix, prefix + n)) prefix += n;
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  const room = max - prefix;
  let suffix = Math.min(known?.suffix ?? 0, room);
  for (const n of CHUNKS)
    while (suffix + n <= room && a.slice(a.length - suffix - n, a.length - suffix) === b.slice(b.length - suffix - n, b.length - suffix)) suffix += n;
  while (suffix < room && a.charCodeAt(a.length - 1 - suffix) === b.charCodeAt(b.length - 1 - suffix)) suffix++;
  return { prefix, suffix };
}
