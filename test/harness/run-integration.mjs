#!/usr/bin/env node
// Runs the mocha suites of test/integration inside a real VS Code (the VS Code 1.100 server from
// code-server + headless Chromium) against a real kube-apiserver started for this run.
//   node test/harness/run-integration.mjs [--grep PATTERN] [--session NAME,…] [--keep]
// Prints every test, then `N passed, N failed`. On failure, a screenshot and the logs go to test-results/.
import { execFileSync } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from './cluster.mjs';
import { startVSCode } from './vscode.mjs';
import { loadTools } from './tools.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const grep = args.includes('--grep') ? args[args.indexOf('--grep') + 1] : process.env.RECONCILE_TEST_GREP;
// --session NAME[,NAME…]: run only these sessions (trusted, untrusted, multiroot, broken, dialogs).
const only = args.includes('--session') ? args[args.indexOf('--session') + 1].split(',') : undefined;
const timeoutMs = Number(process.env.RECONCILE_TEST_TIMEOUT_MS ?? 15 * 60_000);
const results = join(root, 'test-results');
const t0 = Date.now();
const lap = (m) => console.log(`[integration +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);

const index = join(root, 'out', 'test', 'integration', 'index.js');
if (!existsSync(index)) {
  console.error(`missing ${index}: build first (npm run test:integration builds)`);
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'reconcile-it-'));

let cluster;
let vs;
let exitCode = 1;
try {
  lap('starting kube-apiserver');
  cluster = await startCluster({ log: (l) => console.log(l) });
  lap(`cluster ready: ${cluster.server}`);
  const tools = loadTools();
  // Tests use the tools that setup installed (kubectl 1.33 with kustomize, helm 4), never whatever is on PATH.
  const settings = { 'reconcile.tools.kubectl': tools.kubectl, 'reconcile.tools.helm': tools.helm };
  let passed = 0;
  let failed = 0;
  const skipped = [];
  mkdirSync(join(results, 'screenshots'), { recursive: true });
  // The broken session (issue #20): helm and the kubeconfig point at files that do not exist.
  const missing = join(scratch, 'missing');
  const broken = { 'reconcile.tools.helm': join(missing, 'helm'), 'reconcile.kubeconfig': join(missing, 'kubeconfig') };
  const sessions = [
    { name: 'trusted', trust: true },
    { name: 'untrusted', trust: false },
    { name: 'multiroot', trust: true },
    { name: 'broken', trust: true, settings: broken, env: { KUBECONFIG: join(missing, 'kubeconfig') } },
    // Driven from outside through Chromium, with VS Code's real dialogs (test/browser/dialogs.mjs).
    { name: 'dialogs', trust: true, browserDriven: true },
  ];
  for (const session of sessions.filter((s) => !only || only.includes(s.name))) {
    const out = join(scratch, `out-${session.name}`);
    let workspace = join(scratch, `workspace-${session.name}`);
    mkdirSync(out);
    if (session.name === 'multiroot') {
      workspace = multiRootWorkspace(workspace);
    } else {
      // Tests edit files: they get a copy of examples/, never the repository's own.
      cpSync(join(root, 'examples'), workspace, { recursive: true });
    }
    if (session.browserDriven) {
      const r = await browserSession(session, workspace, settings, tools);
      passed += r.passed;
      failed += r.failed;
      continue;
    }
    vs = await startVSCode({
      workspace,
      trust: session.trust,
      settings: { ...settings, ...(session.settings ?? {}) },
      extensionDevelopmentPath: root,
      extensionTestsPath: index,
      env: {
        RECONCILE_TEST_OUT: out,
        RECONCILE_TEST_SESSION: session.name,
        RECONCILE_TEST_KUBECONFIG: cluster.kubeconfig,
        RECONCILE_TEST_TOOLS: JSON.stringify(tools),
        KUBECONFIG: cluster.kubeconfig,
        ...(session.env ?? {}),
        ...(grep ? { RECONCILE_TEST_GREP: grep } : {}),
      },
      log: (l) => console.log(l),
    });
    lap(`[${session.name} workspace] VS Code ${vs.url.split('/?')[0]} up; tests running in the extension host`);
    const stopShots = vs.serveScreenshots();
    const stopTail = tail(join(out, 'progress.log'), (s) => process.stdout.write(s));
    const code = await vs.waitForExit(timeoutMs);
    stopShots();
    stopTail();
    lap(`[${session.name} workspace] extension host reported exit code ${code}`);
    const resFile = join(out, 'results.json');
    const r = existsSync(resFile) ? JSON.parse(readFileSync(resFile, 'utf8')) : undefined;
    cpSync(vs.screenshotDir, join(results, 'screenshots'), { recursive: true, filter: (p) => !p.endsWith('.req') && !p.endsWith('.tmp') });
    if (!r) console.error(`no results: the tests did not run to the end (${code === 'timeout' ? `timed out after ${timeoutMs} ms` : `exit ${code}`})`);
    passed += r?.passes.length ?? 0;
    const sessionFailed = (r?.failures.length ?? 0) + (r ? 0 : 1) + (r && code !== 0 && !r.failures.length ? 1 : 0);
    failed += sessionFailed;
    skipped.push(...(r?.pending ?? []));
    if (sessionFailed) {
      for (const f of r?.failures ?? []) console.log(`\nFAILED: ${f.title}\n${f.error}`);
      if (vs.page) await vs.page.screenshot({ path: join(results, `failure-${session.name}.png`) }).catch(() => {});
      writeFileSync(join(results, `vscode-server-${session.name}.log`), vs.serverLog());
      writeFileSync(join(results, `browser-console-${session.name}.log`), vs.consoleLog());
      console.log(`\nlogs and a screenshot are in ${results}/`);
    }
    await vs.stop();
    vs = undefined;
  }
  if (skipped.length) console.log(`skipped (not counted as passed): ${skipped.join('; ')}`);
  console.log(`\nintegration: ${passed} passed, ${failed} failed`);
  exitCode = failed === 0 && passed > 0 ? 0 : 1;
} catch (e) {
  console.error(`integration harness failed: ${e instanceof Error ? e.stack : e}`);
  exitCode = 2;
} finally {
  await vs?.stop().catch((e) => console.error(`stopping VS Code: ${e}`));
  await cluster?.stop().catch((e) => console.error(`stopping the cluster: ${e}`));
  if (!args.includes('--keep')) rmSync(scratch, { recursive: true, force: true });
  else console.log(`kept ${scratch}`);
  lap('done');
}
process.exit(exitCode);

/**
 * A session without extensionTestsPath: VS Code shows its real dialogs, and the suite (test/browser/*.mjs)
 * drives the page as a person would. dev is applied first, so the session does not depend on the others.
 */
async function browserSession(session, workspace, settings, tools) {
  const { tests: all, openReconcile } = await import('../browser/dialogs.mjs');
  const tests = grep ? all.filter((t) => new RegExp(grep).test(t.title)) : all;
  if (tests.length === 0) return { passed: 0, failed: 0 };
  const { applyDev } = await import('./dev-env.mjs');
  let passed = 0;
  let failed = 0;
  applyDev({ root, workspace, tools, kubeconfig: cluster.kubeconfig, log: () => {} });
  vs = await startVSCode({
    workspace,
    trust: session.trust,
    settings: { ...settings, 'workbench.colorTheme': 'Default Dark Modern' },
    extensionDevelopmentPath: root,
    env: { KUBECONFIG: cluster.kubeconfig },
    log: (l) => console.log(l),
  });
  lap(`[${session.name} workspace] VS Code ${vs.url.split('/?')[0]} up; driving it through Chromium`);
  const shots = join(results, 'screenshots');
  const ctx = {
    page: vs.page, workspace, root, tools, kubeconfig: cluster.kubeconfig,
    shot: async (name) => {
      const p = join(shots, `${name}.png`);
      await vs.page.screenshot({ path: p });
      return p;
    },
    log: (l) => console.log(l),
  };
  await openReconcile(ctx);
  for (const t of tests) {
    try {
      await t.run(ctx);
      passed++;
      console.log(`  ✔ [${session.name}] ${t.title}`);
    } catch (e) {
      failed++;
      console.log(`  ✘ [${session.name}] ${t.title}\n${e instanceof Error ? e.stack : e}`);
      await vs.page.screenshot({ path: join(results, `failure-${session.name}-${passed + failed}.png`) }).catch(() => {});
    }
  }
  if (failed) {
    writeFileSync(join(results, `vscode-server-${session.name}.log`), vs.serverLog());
    writeFileSync(join(results, `browser-console-${session.name}.log`), vs.consoleLog());
  }
  await vs.stop();
  vs = undefined;
  return { passed, failed };
}

/**
 * Two git repositories that both have a `prod` (test/fixtures/multiroot), each with its own origin
 * and one commit, and a .code-workspace that opens them together. Returns the .code-workspace's path.
 */
function multiRootWorkspace(dir) {
  cpSync(join(root, 'test', 'fixtures', 'multiroot'), dir, { recursive: true });
  const folders = ['shop', 'payments'];
  const git = (cwd, ...a) => execFileSync('git', a, { cwd, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
  for (const f of folders) {
    const d = join(dir, f);
    git(d, 'init', '-q', '-b', 'main');
    git(d, 'remote', 'add', 'origin', `https://git.example.com/org/${f}-gitops.git`);
    git(d, 'add', '-A');
    git(d, '-c', 'user.name=Test', '-c', `user.email=${f}@example.com`, 'commit', '-q', '-m', `${f}: prod`);
  }
  const file = join(dir, 'two-repos.code-workspace');
  writeFileSync(file, JSON.stringify({ folders: folders.map((path) => ({ path })) }, null, 2));
  return file;
}

/** Streams what is appended to `file` (created later by the tests) to `write`. */
function tail(file, write) {
  let pos = 0;
  let reading = false;
  const timer = setInterval(() => {
    if (reading || !existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= pos) return;
    reading = true;
    const s = createReadStream(file, { start: pos, end: size - 1, encoding: 'utf8' });
    s.on('data', (d) => write(d));
    s.on('end', () => { pos = size; reading = false; });
  }, 200);
  return () => {
    clearInterval(timer);
    if (existsSync(file) && statSync(file).size > pos) write(readFileSync(file).subarray(pos).toString('utf8'));
  };
}
