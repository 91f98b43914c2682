/** Resolves #defines from a file's local headers (`#include "x.h"`, relative to the file), cached by mtime. */
import fs from 'node:fs';
import path from 'node:path';
import type { FileFacts, HeaderDefine } from '../../core';
import { scanDefines, type ScannedDefine } from '../../core/facts/header-defines';
import { decode } from './text-file';

const cache = new Map<string, { mtimeMs: number; defines: Map<string, ScannedDefine>; text: string }>();

function headerDefines(file: string): { defines: Map<string, ScannedDefine>; text: string } | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 4 * 1024 * 1024) return undefined;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs) return hit;
    const { text } = decode(fs.readFileSync(file));
    const entry = { mtimeMs: st.mtimeMs, defines: scanDefines(text), text };
    cache.set(file, entry);
    return entry;
  } catch {
    return undefined;
  }
}

/** A resolver over the local headers `facts` includes (one level deep, the common driver layout). */
export function headerResolver(facts: FileFacts, filePath: string): ((name: string) => HeaderDefine | undefined) | undefined {
  const local = facts.includes.filter((i) => !i.system);
  if (local.length === 0) return undefined;
  const dir = path.dirname(filePath);
  const files = local.map((i) => path.resolve(dir, i.path));
  return (name) => {
    for (const f of files) {
      const h = headerDefines(f);
      const d = h?.defines.get(name);
      if (d && h) {
        const line = h.text.slice(0, d.start).split('\n').length;
        return { value: d.value, file: f, span: { start: d.start, end: d.start + name.length }, line };
      }
    }
    return undefined;
  };
}
