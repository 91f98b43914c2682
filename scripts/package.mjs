// `npm run package`: builds dist/ and packs the VS Code extension into kport-<version>.vsix with @vscode/vsce.
// dist/ is bundled (esbuild), so no node_modules ship (--no-dependencies). .vscodeignore whitelists the shipped
// files; this script checks `vsce ls` against the same whitelist and fails on anything else (dev files leaking).
//   node scripts/package.mjs [--no-build] [--out FILE]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const args = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const outIdx = args.indexOf('--out');
const out = path.resolve(root, outIdx >= 0 ? args[outIdx + 1] : `${pkg.name}-${pkg.version}.vsix`);
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
// No LICENSE file in the repository yet (package.json says MIT); README links stay relative (no public repository URL).
const packFlags = ['--no-dependencies', '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links'];

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`${path.basename(cmd)} ${argv.join(' ')} failed (exit ${r.status})`);
  }
  return r.stdout;
}

if (!args.includes('--no-build')) run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
for (const f of ['dist/client.js', 'dist/server.js', 'dist/tree-sitter-c.wasm', 'dist/web-tree-sitter.wasm']) {
  if (!fs.existsSync(path.join(root, f))) throw new Error(`${f} is missing: run npm run build`);
}

const listed = run(process.execPath, [vsce, 'ls', '--no-dependencies'])
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean);
const allowed = [
  /^package\.json$/,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  /^images\/icon\.png$/,
  /^syntaxes\/[^/]+\.json$/,
  /^dist\/(?!.*\.map$)(?!cli(-[\w-]+)?\.js$).+$/,
];
const stray = listed.filter((f) => !allowed.some((re) => re.test(f)));
if (stray.length) throw new Error(`files that should not ship (fix .vscodeignore):\n  ${stray.join('\n  ')}`);
// Every run-time file of dist/ must ship (a new bundle or webview asset needs a line in .vscodeignore).
const distFiles = fs
  .readdirSync(path.join(root, 'dist'), { recursive: true, withFileTypes: true })
  .filter((d) => d.isFile())
  .map((d) =>
    path
      .relative(root, path.join(d.parentPath ?? d.path, d.name))
      .split(path.sep)
      .join('/'),
  )
  .filter((f) => !f.endsWith('.map') && !/^dist\/cli(-[\w-]+)?\.js$/.test(f)); // the CLI bundles are not the extension's
for (const must of [...distFiles, 'images/icon.png', 'README.md', 'CHANGELOG.md']) {
  if (!listed.includes(must)) throw new Error(`${must} is not in the package (add it to .vscodeignore's whitelist)`);
}

run(process.execPath, [vsce, 'package', ...packFlags, '--out', out]);
const size = fs.statSync(out).size;
console.log(`${path.relative(process.cwd(), out) || out}: ${(size / 1024).toFixed(1)} KiB (${size} bytes), ${listed.length} files:`);
for (const f of listed) console.log(`  ${f}`);
