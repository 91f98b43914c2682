/**
 * The CLI's last step for findings in `#ifdef` branches of macros their own file does not define
 * (ReportFinding.deadUnless): once every file is read, such a finding is dead if no file of the run, no
 * header of the kernel tree it belongs to and no Makefile names one of its macros. Only the few names in
 * question are searched for, so a run without such findings reads nothing more.
 */
import fs from 'node:fs';
import path from 'node:path';
import { markDead } from '../../core';
import { atLineStart } from '../../core/text/lines';
import type { FileReport } from './process-file';

/** Makefiles whose flags can define a macro (`EXTRA_CFLAGS += -DNAME`): any mention of a name there counts. */
const MAKEFILE = /^(Makefile(\..*)?|Kbuild|Rules\.make|.*\.mk)$/;

/** The kernel trees the files belong to: an ancestor directory with `include/linux` (its headers are workspace too). */
function kernelRoots(files: readonly string[]): string[] {
  const roots = new Set<string>();
  const seen = new Set<string>();
  for (const f of files) {
    let dir = path.dirname(path.resolve(f));
    while (!seen.has(dir)) {
      seen.add(dir);
      if (fs.existsSync(path.join(dir, 'include', 'linux'))) {
        roots.add(dir);
        break;
      }
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return [...roots];
}

function headersUnder(dir: string, out: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) headersUnder(p, out);
    else if (e.isFile() && e.name.endsWith('.h')) out.push(p);
  }
}

/**
 * The Makefiles beside the files and in each directory up to their kernel tree's root, and the C files beside
 * the files that the run left out (`kport check one.c`: its neighbours can define what it tests).
 */
function besideTheRun(files: readonly string[], roots: readonly string[]): { makefiles: string[]; neighbours: string[] } {
  const run = new Set(files.map((f) => path.resolve(f)));
  const fileDirs = new Set([...run].map((f) => path.dirname(f)));
  const dirs = new Set<string>();
  for (const f of files) {
    let dir = path.dirname(path.resolve(f));
    const root = roots.find((r) => dir.startsWith(r + path.sep) || dir === r);
    while (!dirs.has(dir)) {
      dirs.add(dir);
      if (!root || dir === root) break;
      dir = path.dirname(dir);
    }
  }
  const out = { makefiles: [] as string[], neighbours: [] as string[] };
  for (const dir of dirs) {
    try {
      for (const name of fs.readdirSync(dir)) {
        const p = path.join(dir, name);
        if (MAKEFILE.test(name)) out.makefiles.push(p);
        else if (fileDirs.has(dir) && /\.[ch]$/i.test(name) && !run.has(p)) out.neighbours.push(p);
      }
    } catch {
      /* unreadable: it defines nothing we can see */
    }
  }
  return out;
}

/**
 * The files outside the run that can define a macro for it: the Makefiles beside it (any mention of a name
 * counts: `-DNAME`), then the C files beside it and its kernel tree's headers (a `#define` counts).
 */
function definingFilesBeside(files: readonly string[]): { makefiles: string[]; sources: string[] } {
  const roots = kernelRoots(files);
  const beside = besideTheRun(files, roots);
  const run = new Set(files.map((f) => path.resolve(f)));
  const sources = [...beside.neighbours];
  for (const root of roots) {
    const headers: string[] = [];
    headersUnder(path.join(root, 'include'), headers);
    for (const h of headers) if (!run.has(h)) sources.push(h);
  }
  return { makefiles: beside.makefiles, sources };
}

/** A `#define` of one of `names` (a regular-expression alternation), a mention in a Makefile. */
// From each `#`, its line start checked in `captured` (a multiline `^` is tried at every offset of every header).
const DEFINE = (names: string) => new RegExp(`#[ \\t]*define[ \\t]+(${names})\\b`, 'g');
const MENTION = (names: string) => new RegExp(`(?:\\b|-D)(${names})\\b`, 'g');
const ANY_NAME = '[A-Za-z_]\\w*';

/** The names `pattern` captures in `file`; none when it cannot be read (it defines nothing we can see). */
function* captured(file: string, pattern: RegExp): Generator<string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return;
  }
  const directive = pattern.source.startsWith('#');
  for (const m of text.matchAll(pattern)) if (!directive || atLineStart(text, m.index!)) yield m[1];
}

/**
 * Which of `names` some file of the run defines (FileReport.defines), a C file or Makefile beside them defines
 * or mentions, or a header of their kernel tree (not part of the run) defines.
 */
export function definedSomewhere(names: ReadonlySet<string>, reports: readonly Pick<FileReport, 'file' | 'defines'>[]): Set<string> {
  const found = new Set<string>();
  for (const r of reports) if (r.defines) for (const n of r.defines.split(' ')) if (names.has(n)) found.add(n);
  // One regular expression a file, over the names not found yet (few: those of the undecided findings).
  const scan = (file: string, pattern: (alternatives: string) => RegExp) => {
    const left = [...names].filter((n) => !found.has(n));
    if (left.length) for (const n of captured(file, pattern(left.join('|')))) found.add(n);
  };
  const beside = definingFilesBeside(reports.map((r) => r.file));
  for (const m of beside.makefiles) scan(m, MENTION);
  for (const f of beside.sources) scan(f, DEFINE);
  return found;
}

/**
 * Every macro name the run can define, for the editor's workspace index (which cannot know in advance which
 * names its documents will ask about): what definedSomewhere searches, all of it. One space-separated string,
 * duplicates left in: the asker searches it for the few names it needs (a set of 2.4.22's 191k names took
 * 210 ms to build; the string, ~5 ms).
 */
export function definedInRun(
  reports: readonly Pick<FileReport, 'file' | 'defines'>[],
  beside: readonly string[] = definedBeside(reports.map((r) => r.file)),
): string {
  const parts: string[] = [];
  for (const r of reports) if (r.defines) parts.push(r.defines);
  for (const n of beside) parts.push(n);
  return parts.join(' ');
}

/**
 * definedInRun's part that reads the disk: the names the Makefiles and sources beside `files` define. It needs the
 * file list only, so the index host reads them while its workers start (170 ms on 2.4.22), not after the passes.
 */
export function definedBeside(files: readonly string[]): string[] {
  const out: string[] = [];
  const beside = definingFilesBeside(files);
  for (const m of beside.makefiles) for (const n of captured(m, MENTION(ANY_NAME))) out.push(n);
  for (const f of beside.sources) for (const n of captured(f, DEFINE(ANY_NAME))) out.push(n);
  return out;
}

/**
 * Decides every report's `deadUnless` findings against the whole run (and its kernel tree), in place. Returns a
 * warning when findings were marked dead in files with no kernel tree above them (no `include/linux`): a macro
 * defined only in the kernel's headers then counts as undefined, and the user should know.
 */
export function decideDeadFindings(reports: FileReport[]): string | undefined {
  const names = new Set<string>();
  for (const r of reports) for (const f of r.findings) for (const n of f.deadUnless?.names ?? []) names.add(n);
  if (!names.size) return undefined;
  const defined = definedSomewhere(names, reports);
  const withoutTree: string[] = [];
  for (const r of reports) {
    r.findings = r.findings.map((f) => {
      if (!f.deadUnless) return f;
      const { deadUnless, ...rest } = f;
      if (deadUnless.names.some((n) => defined.has(n))) return rest;
      if (!kernelRoots([r.file]).length) withoutTree.push(r.file);
      return { ...markDead(rest, deadUnless.reason), dead: true };
    });
  }
  if (!withoutTree.length) return undefined;
  const files = new Set(withoutTree);
  return (
    `${withoutTree.length} finding${withoutTree.length === 1 ? '' : 's'} in ${files.size} file${files.size === 1 ? '' : 's'} ` +
    'marked dead code (#if of macros no file of the run defines) without a kernel tree to read: no include/linux ' +
    "directory above them, so macros defined only in the kernel's headers count as undefined. Check the files inside " +
    'their kernel tree (with its include/) to decide.'
  );
}
