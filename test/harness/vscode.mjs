// A real VS Code for tests and the demo: the VS Code 1.100 server bundled in code-server, driven by
// headless Chromium (playwright-core + Debian's /usr/bin/chromium). No VS Code download is possible
// on our machines, so @vscode/test-electron cannot be used here (see README, "How the tests work").
//
// Everything lives in one temp dir (user data, server data, extensions, browser profile, TMPDIR,
// XDG_CONFIG_HOME) that stop() removes. Only 127.0.0.1 is bound.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTools } from './tools.mjs';

/** @returns {Promise<number>} a free TCP port on 127.0.0.1 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--window-size=1440,900',
];

const DEFAULT_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'update.mode': 'none',
  'window.commandCenter': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'extensions.ignoreRecommendations': true,
  // code-server saves edited files after a delay by default; tests that edit and then revert need VS Code's own default.
  'files.autoSave': 'off',
};

/**
 * Starts the VS Code server (and, unless `browser: false`, headless Chromium on the workbench).
 * @param {object} o
 * @param {string} o.workspace            folder to open, or a .code-workspace file (multi-root)
 * @param {string} [o.extensionDevelopmentPath]  load the extension from source (tests)
 * @param {string} [o.extensionTestsPath] mocha index run inside the extension host (tests)
 * @param {string} [o.vsix]               install this VSIX into the server's extensions dir first (demo)
 * @param {Record<string,string>} [o.env] extra environment for the server and its extension host
 * @param {Record<string,unknown>} [o.settings] user settings
 * @param {boolean} [o.trust]             false: workspace trust enabled and the folder left untrusted
 * @param {boolean} [o.browser]           open headless Chromium (default true)
 * @param {number} [o.port]
 * @param {(line: string) => void} [o.log]
 */
export async function startVSCode(o) {
  const tools = loadTools({ require: ['vscodeServerMain', 'chromium'] });
  const log = o.log ?? ((l) => console.error(l));
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-vscode-'));
  const paths = {
    user: join(dir, 'user'), server: join(dir, 'server'), ext: join(dir, 'ext'), tmp: join(dir, 'tmp'),
    xdg: join(dir, 'xdg'), profile: join(dir, 'chromium'), shots: join(dir, 'screenshots'),
  };
  for (const p of Object.values(paths)) mkdirSync(p, { recursive: true });
  mkdirSync(join(paths.user, 'User'), { recursive: true });
  const settings = { ...DEFAULT_SETTINGS, ...(o.settings ?? {}) };
  if (o.trust === false) {
    settings['security.workspace.trust.enabled'] = true;
    settings['security.workspace.trust.startupPrompt'] = 'never';
    settings['security.workspace.trust.emptyWindow'] = false;
  }
  writeFileSync(join(paths.user, 'User', 'settings.json'), JSON.stringify(settings, null, 2));

  const port = o.port ?? (await freePort());
  const env = { ...process.env, TMPDIR: paths.tmp, XDG_CONFIG_HOME: paths.xdg, RECONCILE_TEST_SCREENSHOTS: paths.shots, ...(o.env ?? {}) };
  delete env.ELECTRON_RUN_AS_NODE;
  const common = ['--user-data-dir', paths.user, '--server-data-dir', paths.server, '--extensions-dir', paths.ext];

  if (o.vsix) {
    log(`[vscode] installing ${o.vsix}`);
    await run(process.execPath, [tools.vscodeServerMain, ...common, '--accept-server-license-terms', '--install-extension', o.vsix, '--force'], env);
  }

  const args = [
    tools.vscodeServerMain, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token',
    // No --enable-smoke-test-driver: in that mode VS Code refuses every modal dialog, so Sync and Restore
    // could not ask. Extension tests still get no dialogs (VS Code skips them while extensionTestsPath
    // runs: they answer through the prompts seam); the demo and the dialog suite get the real ones.
    '--accept-server-license-terms', '--disable-telemetry', ...common,
  ];
  if (o.trust !== false) args.push('--disable-workspace-trust');
  const server = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let serverLog = '';
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  const serverExited = new Promise((r) => server.once('exit', r));

  let stopped = false;
  // Ctrl-C or a kill: clean up synchronously, then let the signal take its course (re-raised once
  // no other handler, such as the cluster's or the demo's, is left to decide what happens next).
  const onSignal = (/** @type {NodeJS.Signals} */ sig) => {
    stopSync();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => stopSync());
  function stopSync() {
    if (stopped) return;
    stopped = true;
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    try { server.kill('SIGKILL'); } catch {}
    for (const pid of chromiumPids()) try { process.kill(pid, 'SIGKILL'); } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
  /** Chromium processes of this run: the ones whose command line names our profile dir. */
  function chromiumPids() {
    const pids = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(paths.profile)) pids.push(Number(d));
      } catch {}
    }
    return pids;
  }

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`VS Code server exited early (${server.exitCode}):\n${serverLog.slice(-3000)}`);
    try {
      if ((await fetch(`${base}/version`)).ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`VS Code server not ready on ${base} after 60 s:\n${serverLog.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const authority = `127.0.0.1:${port}`;
  const payload = [];
  if (o.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', `vscode-remote://${authority}${o.extensionDevelopmentPath}`]);
  if (o.extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://${authority}${o.extensionTestsPath}`]);
  // A .code-workspace file opens a multi-root workspace; anything else is one folder.
  const open = o.workspace.endsWith('.code-workspace') ? 'workspace' : 'folder';
  const url = `${base}/?${open}=${encodeURIComponent(o.workspace)}${payload.length ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`;

  /** @type {import('playwright-core').BrowserContext | undefined} */ let context;
  /** @type {import('playwright-core').Page | undefined} */ let page;
  let resolveExit = (/** @type {number} */ _c) => {};
  const exited = new Promise((r) => (resolveExit = r));
  const consoleLines = [];
  if (o.browser !== false) {
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(paths.profile, {
      executablePath: tools.chromium, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1440, height: 900 },
      env: { ...process.env, TMPDIR: paths.tmp, XDG_CONFIG_HOME: paths.xdg },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => consoleLines.push(`${m.type()} ${m.text()}`));
    await page.exposeFunction('codeAutomationExit', (/** @type {number} */ code) => resolveExit(code));
    await page.goto(url);
  }

  async function stop() {
    if (stopped) return;
    stopped = true;
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    try { await context?.close(); } catch {}
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      const t = setTimeout(() => server.kill('SIGKILL'), 5000);
      await serverExited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  }

  return {
    url, port, dir, page, server,
    /** Resolves with the exit code the tests passed to codeAutomationExit. */
    waitForExit: (/** @type {number} */ timeoutMs) =>
      Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]),
    /** Serves screenshot requests written by tests into `dir/screenshots/<name>.req` (see test/integration/util.ts). */
    serveScreenshots: () => serveScreenshots(paths.shots, () => page),
    screenshotDir: paths.shots,
    serverLog: () => serverLog,
    consoleLog: () => consoleLines.join('\n'),
    serverExited,
    stop,
  };
}

function serveScreenshots(dir, getPage) {
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.req'))) {
        const name = f.slice(0, -4);
        const page = getPage();
        if (page) await page.screenshot({ path: join(dir, `${name}.png.tmp`), type: 'png' });
        rmSync(join(dir, f), { force: true });
        cpSync(join(dir, `${name}.png.tmp`), join(dir, `${name}.png`));
        rmSync(join(dir, `${name}.png.tmp`), { force: true });
      }
    } catch {} finally {
      busy = false;
    }
  }, 100);
  return () => clearInterval(timer);
}

function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${out}`))));
  });
}

