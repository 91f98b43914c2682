/**
 * Real-VS Code harness: installs the packaged .vsix into a throw-away code-server profile, starts code-server on
 * loopback for a temp copy of examples/, and drives it with Debian's Chromium through playwright-core.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test', 'artifacts', 'e2e');

export interface Tools {
  dir: string;
  node: string;
  codeServerEntry: string;
  chromium: string;
  key: string;
}

/** test/e2e/setup.mjs in a child process (it may run npm installs for minutes the first time). */
export function ensureTools(): Tools {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'setup.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  if (r.status !== 0) throw new Error(`e2e tools could not be installed (test/e2e/setup.mjs exit ${r.status}); see the messages above`);
  const tools = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Tools;
  if (!fs.existsSync(tools.chromium)) throw new Error(`Chromium not found at ${tools.chromium} (apt-get install -y chromium)`);
  return tools;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Session {
  tmp: string;
  workspace: string;
  userSettings: string;
  port: number;
  server: ChildProcess;
  browser: Browser;
  page: Page;
  log: () => string;
  /**
   * PIDs of this session's kport language servers, from the OS process list (/proc): the processes whose command
   * line runs dist/server.js of the kport extension installed in this session's extensions dir (the extension host
   * forks it over IPC). Zombies have an empty command line and are not listed.
   */
  serverPids(): number[];
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

const BASE_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'window.restoreWindows': 'none',
  'editor.hover.delay': 200,
  'editor.minimap.enabled': false,
  'editor.codeLens': true,
  'files.autoSave': 'off',
  'problems.autoReveal': false,
  'workbench.editor.enablePreview': false,
};

export async function writeUserSettings(file: string, extra: Record<string, unknown> = {}): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...BASE_SETTINGS, ...extra }, null, 2));
}

export async function start(
  tools: Tools,
  vsix: string,
  opts: {
    files: string[] /** More user settings. */;
    settings?: Record<string, unknown> /** Adds files to the workspace folder. */;
    populate?: (workspace: string) => void;
  },
): Promise<Session> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-e2e-'));
  const workspace = path.join(tmp, 'examples');
  fs.mkdirSync(workspace);
  for (const f of opts.files) fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(workspace, f));
  opts.populate?.(workspace);
  const userData = path.join(tmp, 'user-data');
  const extensions = path.join(tmp, 'extensions');
  const userSettings = path.join(userData, 'User', 'settings.json');
  await writeUserSettings(userSettings, opts.settings);
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  const cs = (args: string[]) => [tools.codeServerEntry, '--user-data-dir', userData, '--extensions-dir', extensions, ...args];
  const env = { ...process.env, PATH: `${path.dirname(tools.node)}${path.delimiter}${process.env.PATH}`, CS_DISABLE_GETTING_STARTED_OVERRIDE: '1' };
  const inst = spawnSync(tools.node, cs(['--install-extension', vsix, '--force']), { encoding: 'utf8', env, timeout: 120_000 });
  if (inst.status !== 0) throw new Error(`code-server --install-extension failed: ${inst.stdout}\n${inst.stderr}`);
  const listed = spawnSync(tools.node, cs(['--list-extensions', '--show-versions']), { encoding: 'utf8', env, timeout: 120_000 });
  if (!/^kport\.kport@/m.test(listed.stdout)) throw new Error(`kport.kport not installed: ${listed.stdout}\n${listed.stderr}`);

  const port = await freePort();
  let out = '';
  const server = spawn(
    tools.node,
    cs([
      '--config',
      path.join(tmp, 'config.yaml'),
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      workspace,
    ]),
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  server.stdout!.on('data', (d) => (out += d));
  server.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 60_000;
  while (!/HTTP server listening/.test(out)) {
    if (server.exitCode !== null) throw new Error(`code-server exited (${server.exitCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`code-server did not start within 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const browser = await chromium.launch({ executablePath: tools.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1500 } });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  let n = 0;
  return {
    tmp,
    workspace,
    userSettings,
    port,
    server,
    browser,
    page,
    log: () => out,
    serverPids() {
      const bundle = path.join('dist', 'server.js');
      const pids: number[] = [];
      for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        let cmdline: string;
        try {
          cmdline = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
        } catch {
          continue; // exited meanwhile
        }
        if (cmdline.split('\0').some((a) => a.startsWith(path.join(extensions, 'kport.kport-')) && a.endsWith(bundle))) pids.push(Number(d));
      }
      return pids;
    },
    async shot(name: string) {
      const file = path.join(ARTIFACTS, `${String(++n).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      await browser.close().catch(() => undefined);
      server.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      if (server.exitCode === null) server.kill('SIGKILL');
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
