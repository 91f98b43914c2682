// Runs the extension-host mocha suite in a VS Code downloaded by @vscode/test-electron.
// Exit 0 passed, 1 failed, 3 "no VS Code download possible here" (probed with a 20 s limit so CI never hangs).
//   node run-electron.mjs SUITE_INDEX_JS EXTENSION_DIR WORKSPACE
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';

const [testsPath, extensionPath, workspace] = process.argv.slice(2);
try {
  const r = await fetch('https://update.code.visualstudio.com/api/releases/stable', { signal: AbortSignal.timeout(20_000) });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
} catch (e) {
  console.error(`no VS Code download possible: update.code.visualstudio.com unreachable (${e?.cause?.code ?? e?.message ?? e})`);
  process.exit(3);
}
try {
  const vscodeExecutablePath = await downloadAndUnzipVSCode({ version: 'stable', timeout: 60_000 });
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: extensionPath,
    extensionTestsPath: testsPath,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
  process.exit(0);
} catch (e) {
  console.error(`extension-host suite failed: ${e?.message ?? e}`);
  process.exit(1);
}
