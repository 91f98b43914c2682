/** Local headers (`#include "x.h"`, relative to the including file): their #defines, macros and includes, cached by mtime. */
import fs from 'node:fs';
import path from 'node:path';
import type { AnalysisEnv, FileFacts, HeaderDefine } from '../../core';
import { scanDefines, scanIncludes, scanMacros, type ScannedDefine, type ScannedMacro } from '../../core/facts/header-defines';
import { decode } from './text-file';

interface HeaderEntry {
  mtimeMs: number;
  text: string;
  defines: Map<string, ScannedDefine>;
  macros?: Map<string, ScannedMacro>;
  includes?: { path: string; system: boolean }[];
}

const cache = new Map<string, HeaderEntry>();

function readHeader(file: string): HeaderEntry | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 4 * 1024 * 1024) return undefined;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs) return hit;
    const { text } = decode(fs.readFileSync(file));
    const entry: HeaderEntry = { mtimeMs: st.mtimeMs, defines: scanDefines(text), text };
    cache.set(file, entry);
    return entry;
  } catch {
    return undefined;
  }
}

function localFiles(facts: FileFacts, filePath: string): string[] {
  const dir = path.dirname(filePath);
  return facts.includes.filter((i) => !i.system).map((i) => path.resolve(dir, i.path));
}

/** A resolver over the local headers `facts` includes (one level deep, the common driver layout). */
export function headerResolver(facts: FileFacts, filePath: string): ((name: string) => HeaderDefine | undefined) | undefined {
  const files = localFiles(facts, filePath);
  if (files.length === 0) return undefined;
  return (name) => {
    for (const f of files) {
      const h = readHeader(f);
      const d = h?.defines.get(name);
      if (d && h) {
        const line = h.text.slice(0, d.start).split('\n').length;
        return { value: d.value, file: f, span: { start: d.start, end: d.start + name.length }, line };
      }
    }
    return undefined;
  };
}

/** Function-like macros of the local headers `facts` includes (one level deep, as headerResolver). */
export function headerMacroResolver(facts: FileFacts, filePath: string): AnalysisEnv['headerMacro'] {
  const files = localFiles(facts, filePath);
  if (files.length === 0) return undefined;
  return (name) => {
    for (const f of files) {
      const h = readHeader(f);
      if (!h) continue;
      h.macros ??= scanMacros(h.text);
      const m = h.macros.get(name);
      if (m) return { params: m.params, body: m.body, file: f };
    }
    return undefined;
  };
}

/** Quoted includes followed as the compiler does: relative to the directory of the file that includes them. */
export function localHeaderResolver(filePath: string): NonNullable<AnalysisEnv['localHeader']> {
  const dir = path.dirname(filePath);
  return (include, from) => {
    const file = path.resolve(from ? path.dirname(from) : dir, include);
    const h = readHeader(file);
    if (!h) return undefined;
    h.includes ??= scanIncludes(h.text);
    return { id: file, includes: h.includes };
  };
}

/** Per directory, each .c file's quoted includes of .c files, kept while the file's mtime holds. */
const cIncludes = new Map<string, { mtimeMs: number; names: string[] }>();

/**
 * The .c files of `filePath`'s directory that `#include` it by its name. Asked only where a finding depends on
 * it (rare), so it lists the directory each time; a sibling is read again only when its mtime changed.
 */
export function includersOf(filePath: string): string[] {
  const dir = path.dirname(filePath);
  const name = path.basename(filePath);
  const out: string[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry === name || !entry.endsWith('.c')) continue;
    const file = path.join(dir, entry);
    try {
      const st = fs.statSync(file);
      if (!st.isFile() || st.size > 4 * 1024 * 1024) continue;
      let hit = cIncludes.get(file);
      if (!hit || hit.mtimeMs !== st.mtimeMs) {
        const { text } = decode(fs.readFileSync(file));
        // A quoted include of a .c file holds `.c"`: most siblings have none, and their directives are not scanned.
        const names = text.includes('.c"') ? scanIncludes(text).flatMap((i) => (!i.system && i.path.endsWith('.c') ? [path.basename(i.path)] : [])) : [];
        hit = { mtimeMs: st.mtimeMs, names };
        cIncludes.set(file, hit);
      }
      if (hit.names.includes(name)) out.push(file);
    } catch {
      // unreadable sibling: it includes nothing we can know of
    }
  }
  return out;
}

/** Everything an analysis of the file at `filePath` can know from the disk around it. */
export function diskEnv(facts: FileFacts, filePath: string): AnalysisEnv {
  return {
    headerDefine: headerResolver(facts, filePath),
    headerMacro: headerMacroResolver(facts, filePath),
    localHeader: localHeaderResolver(filePath),
    includedBy: () => includersOf(filePath),
  };
}
