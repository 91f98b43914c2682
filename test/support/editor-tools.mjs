// Which real-editor suites can run on this machine, and what to do when one cannot.
//
// One place decides it for the three suites (code-server + Chromium, Neovim, Emacs + eglot) and for
// scripts/setup-editors.mjs, which installs what they need: the README, .ci/run and a developer's machine
// cannot drift apart. Outside CI a suite whose tools are missing is skipped with one line naming what is
// missing and the command that installs it; under CI=true it runs and fails on the missing tool, so a
// green CI always means the real editors were exercised.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { APT_PACKAGES as CODE_SERVER_APT, CHROMIUM, missingAptPackages, toolPaths } from '../e2e/setup.mjs';

export { missingAptPackages };

export const INSTALL_COMMAND = 'npm run setup:editors';

/** Debian packages each suite needs (code-server's native build deps and the browser for the VS Code one). */
export const SUITE_APT = {
  vscode: CODE_SERVER_APT,
  chromium: ['chromium'],
  nvim: ['neovim'],
  emacs: ['emacs-nox', 'elpa-eglot'],
};

export const ALL_APT_PACKAGES = [...new Set(Object.values(SUITE_APT).flat())];

function runs(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout : undefined;
}

/** What the suite needs and this machine lacks, as short phrases ([] = ready). */
export function missingFor(suite) {
  if (suite === 'vscode') {
    const out = missingAptPackages(SUITE_APT.vscode).map((p) => `Debian package ${p}`);
    const t = toolPaths();
    if (!fs.existsSync(`${t.dir}/.complete`) || !fs.existsSync(t.node) || !fs.existsSync(t.codeServerEntry))
      out.push(`code-server ${t.key.replace(/^.*code-server-/, '')} with Node 24 (cache ${t.dir})`);
    if (!fs.existsSync(t.chromium)) out.push(`Chromium at ${t.chromium}`);
    return [...new Set(out)];
  }
  if (suite === 'chromium') return fs.existsSync(CHROMIUM) ? [] : [`Chromium at ${CHROMIUM} (Debian package chromium)`];
  if (suite === 'nvim') {
    const v = runs('nvim', ['--version']);
    if (!v) return ['nvim (Debian package neovim)'];
    const [, major, minor] = /NVIM v(\d+)\.(\d+)/.exec(v) ?? [];
    return Number(major) > 0 || Number(minor) >= 7 ? [] : [`Neovim >= 0.7 (found ${v.split('\n')[0]})`];
  }
  if (suite === 'emacs') {
    const r = runs('emacs', ['--batch', '--eval', '(progn (package-initialize) (princ (if (require (quote eglot) nil t) "ok" "no")))']);
    if (r === undefined) return ['emacs (Debian packages emacs-nox elpa-eglot)'];
    return r.trim() === 'ok' ? [] : ['eglot (Debian package elpa-eglot)'];
  }
  throw new Error(`unknown suite ${suite}`);
}

const TITLES = {
  chromium: 'Chromium suite (the simulation view)',
  vscode: 'real VS Code suite (code-server + Chromium)',
  nvim: 'Neovim suite',
  emacs: 'Emacs + eglot suite',
};

/**
 * The gate of a suite: `skip` is the node:test skip reason (false: run it); `missing` what is absent.
 * Under CI=true nothing is skipped: the suite's first step asserts `missing` is empty (requireTools).
 */
export function suiteGate(suite, env = process.env) {
  const missing = missingFor(suite);
  const skip = missing.length && env.CI !== 'true' ? `${TITLES[suite]} skipped: missing ${missing.join(', ')}. Install with: ${INSTALL_COMMAND}` : false;
  return { skip, missing };
}

/** Throws (fails the test) when the suite's tools are missing: only reached under CI=true. */
export function requireTools(suite, gate) {
  if (gate.missing.length)
    throw new Error(`${TITLES[suite]} is required under CI=true, but this machine lacks: ${gate.missing.join(', ')}. Install with: ${INSTALL_COMMAND}`);
}
