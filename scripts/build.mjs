// Bundles client, server and CLI into dist/ with esbuild and copies the wasm files and rule docs beside them.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(path.join(dist, 'docs', 'rules'), { recursive: true });

// web-tree-sitter's ESM/CJS build reads import.meta.url; give the CJS bundle a real one.
const importMeta = { define: { 'import.meta.url': 'importMetaUrl' }, banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" } };
const common = { ...importMeta, bundle: true, platform: 'node', target: 'node18', format: 'cjs', sourcemap: true, logLevel: 'warning', absWorkingDir: root };
await Promise.all([
  build({ ...common, entryPoints: ['client/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] }),
  build({ ...common, entryPoints: ['server/lsp/main.ts'], outfile: 'dist/server.js' }),
  build({ ...common, entryPoints: ['server/cli/main.ts'], outfile: 'dist/cli.js' }),
  build({ ...common, entryPoints: ['server/check/worker.ts'], outfile: 'dist/check-worker.js' }),
  build({ ...common, entryPoints: ['server/lsp/index-host.ts'], outfile: 'dist/index-host.js' }),
]);
fs.copyFileSync(require.resolve('web-tree-sitter/web-tree-sitter.wasm'), path.join(dist, 'web-tree-sitter.wasm'));
fs.copyFileSync(require.resolve('tree-sitter-c/tree-sitter-c.wasm'), path.join(dist, 'tree-sitter-c.wasm'));
for (const f of fs.readdirSync(path.join(root, 'core', 'rules'))) {
  if (f.endsWith('.md')) fs.copyFileSync(path.join(root, 'core', 'rules', f), path.join(dist, 'docs', 'rules', f));
}
