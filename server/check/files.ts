/**
 * Expands CLI paths into C files in a stable order: files as given, directories recursed for .c/.h,
 * and globs (`*`, `?`, `[...]`, `{a,b}`, `**`), matched against paths below the glob's literal prefix.
 */
import fs from 'node:fs';
import path from 'node:path';

const C_FILE = /\.[ch]$/;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.svn', '.hg']);
const GLOB_CHARS = /[*?[{]/;

export interface Expansion {
  files: string[];
  errors: string[];
}

export function isGlob(p: string): boolean {
  return GLOB_CHARS.test(p);
}

/** A glob as a RegExp over '/'-separated paths. `**` spans directories, `*` and `?` do not. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        i++;
        if (atSegmentStart && slashAfter) {
          i++;
          re += '(?:[^/]*/)*'; // `**/`: zero or more directories
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) re += '\\[';
      else {
        let cls = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (cls[0] === '!') cls = '^' + cls.slice(1);
        re += `[${cls}]`;
        i = close;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else if (c === '\\' && i + 1 < glob.length) re += '\\' + glob[++i];
    else re += c.replace(/[.+^$()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function walk(dir: string, errors: string[], visit: (file: string) => void): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    errors.push(`${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return;
  }
  entries.sort((a, b) => compare(a.name, b.name));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) walk(p, errors, visit);
    } else if (e.isFile()) visit(p);
  }
}

function expandGlob(pattern: string, files: string[], errors: string[]): void {
  const posix = pattern.split(path.sep).join('/');
  const segments = posix.split('/');
  const firstGlob = segments.findIndex((s) => isGlob(s));
  const base = segments.slice(0, firstGlob).join('/') || (posix.startsWith('/') ? '/' : '.');
  const re = globToRegExp(segments.slice(firstGlob).join('/'));
  if (!fs.existsSync(base)) {
    errors.push(`${pattern}: no such file or directory`);
    return;
  }
  const before = files.length;
  walk(base, errors, (file) => {
    const rel = path.relative(base, file).split(path.sep).join('/');
    // Globs select C sources only (`drivers/*` skips Makefiles); name other files directly.
    if (C_FILE.test(file) && re.test(rel)) files.push(base === '.' && !pattern.startsWith('./') ? rel : file);
  });
  if (files.length === before) errors.push(`${pattern}: no file matches`);
}

export function expandPaths(paths: readonly string[]): Expansion {
  const files: string[] = [];
  const errors: string[] = [];
  for (const p of paths) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(p);
    } catch (e) {
      if (isGlob(p)) {
        expandGlob(p, files, errors);
        continue;
      }
      errors.push(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
      continue;
    }
    if (st.isDirectory()) walk(p, errors, (f) => C_FILE.test(f) && files.push(f));
    else files.push(p);
  }
  return { files: [...new Set(files)], errors };
}
