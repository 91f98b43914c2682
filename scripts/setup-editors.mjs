#!/usr/bin/env node
// Installs everything the real-editor suites need, in one command (`npm run setup:editors`): the Debian
// packages (code-server's native build deps, Chromium, Neovim, Emacs + eglot; apt-get, as root or with
// sudo) and the cached Node 24 + code-server (test/e2e/setup.mjs). .ci/run runs this same script, so the
// README, CI and a developer's machine install the same things. Safe to run again: it skips what is there.
import { spawnSync } from 'node:child_process';
import { ALL_APT_PACKAGES, missingAptPackages } from '../test/support/editor-tools.mjs';
import { ensureTools } from '../test/e2e/setup.mjs';

function sh(cmd, args) {
  process.stderr.write(`[setup:editors] ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''})`);
}

const t0 = Date.now();
try {
  const missing = missingAptPackages(ALL_APT_PACKAGES);
  if (missing.length) {
    const root = process.getuid?.() === 0;
    const [cmd, pre] = root ? ['apt-get', []] : ['sudo', ['apt-get']];
    sh(cmd, [...pre, 'update', '-q']);
    sh(cmd, [...pre, 'install', '-y', '-q', ...missing]);
  } else process.stderr.write(`[setup:editors] Debian packages present: ${ALL_APT_PACKAGES.join(' ')}\n`);
  const tools = ensureTools();
  process.stderr.write(`[setup:editors] code-server and Node 24 ready in ${tools.dir}\n`);
  process.stderr.write(`[setup:editors] done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
} catch (e) {
  process.stderr.write(`[setup:editors] ${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
}
