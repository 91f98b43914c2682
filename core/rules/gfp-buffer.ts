import type { FileFacts } from '../facts/file-facts';
import type { Rule } from './types';

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

export const gfpBuffer: Rule = {
  id: 'gfp-buffer',
  severity: 'error',
  deprecated: true,
  summary: 'GFP_BUFFER is gone: use GFP_NOIO or GFP_NOFS',
  triggers: ['GFP_BUFFER'],
  usesContext: false,
  // fileKind() weighs struct and function names used anywhere in the file.
  readsWholeFile: true,
  check({ facts }) {
    const hits = facts.tokens(['GFP_BUFFER']);
    if (hits.length === 0) return [];
    const { kind, why } = fileKind(facts);
    const preferNofs = kind === 'filesystem';
    return hits.map((t) => ({
      message:
        'GFP_BUFFER is gone (removed in 2.4.6). Use GFP_NOIO (may sleep, starts no I/O: block-layer and swap paths) ' +
        `or GFP_NOFS (may sleep and start I/O, but makes no filesystem calls: filesystem code). This file looks like ${kind === 'filesystem' ? 'filesystem code' : 'a block-layer driver'} (${why}), so ${preferNofs ? 'GFP_NOFS' : 'GFP_NOIO'} is suggested.`,
      span: t.span,
      tags: ['deprecated' as const],
      related: [],
      fixes: [
        { title: 'Replace GFP_BUFFER with GFP_NOIO (no I/O: block and swap paths)', edits: [{ ...t.span, newText: 'GFP_NOIO' }], preferred: !preferNofs },
        { title: 'Replace GFP_BUFFER with GFP_NOFS (no filesystem calls: filesystem code)', edits: [{ ...t.span, newText: 'GFP_NOFS' }], preferred: preferNofs },
      ].sort((a, b) => Number(b.preferred) - Number(a.preferred)),
    }));
  },
};
