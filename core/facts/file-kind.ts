import type { FileFacts } from './file-facts';

/**
 * Which replacement fits this file: filesystem code must not recurse into the filesystem
 * (GFP_NOFS); block drivers and swap paths must not start I/O (GFP_NOIO). Scored from the file's
 * includes and the kernel types it uses; ties go to GFP_NOIO, the more restrictive of the two.
 */
const FS_TYPES = ['super_operations', 'address_space_operations', 'inode_operations', 'file_system_type', 'super_block'];
const BLOCK_NAMES = ['request_queue', 'bio', 'blk_init_queue', 'make_request_fn'];

export function fileKind(facts: FileFacts): { kind: 'filesystem' | 'block'; why: string } {
  const inc = new Set(facts.includes.map((i) => i.path));
  // One scan for every signal name.
  const used = new Set(facts.tokens([...FS_TYPES, ...BLOCK_NAMES]).map((t) => t.name));
  const fsSignals = [
    facts.path.includes('/fs/') ? 'it lives under fs/' : '',
    ...FS_TYPES.filter((t) => used.has(t)).map((t) => `it uses struct ${t}`),
    inc.has('linux/buffer_head.h') || inc.has('linux/pagemap.h') ? 'it includes page-cache headers' : '',
  ].filter(Boolean);
  const blockSignals = [
    /\/drivers\/(block|scsi|ide|md)\//.test(facts.path) ? 'it lives under a block driver directory' : '',
    ...['linux/blkdev.h', 'linux/bio.h', 'linux/genhd.h', 'linux/swap.h'].filter((h) => inc.has(h)).map((h) => `it includes <${h}>`),
    ...BLOCK_NAMES.filter((t) => used.has(t)).map((t) => `it uses ${t}`),
  ].filter(Boolean);
  if (fsSignals.length > blockSignals.length) return { kind: 'filesystem', why: fsSignals.slice(0, 2).join(', ') };
  return { kind: 'block', why: blockSignals.length ? blockSignals.slice(0, 2).join(', ') : 'no filesystem signals, so the more restrictive flag' };
}
