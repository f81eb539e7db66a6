// A hostile repository (test/fixtures/hostile-args) rendered by the whole CLI — `render`, `check --env`
// and `diff`, each as its own process — with helm, kubectl and git replaced on PATH by wrappers that
// record their argv (JSON lines) and then run the real tools from setup. Every attempt to inject an
// argument (Argo CD, Flux and plain conventions; 25 of them) must be refused with a finding at its line
// or passed where it cannot act as a flag; no file may appear outside the temporary folders, and no
// program other than the expected tools may run (evil.sh writes EVIL-RAN if anything runs it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const repoRoot = join(__dirname, '..', '..', '..');
const fixtures = join(repoRoot, 'test', 'fixtures');
const toolsFile = join(process.env.RECONCILE_CACHE ?? join(homedir(), '.cache', 'reconcile'), 'tools.json');

function realTools(): { helm: string; kubectl: string } {
  try {
    return JSON.parse(readFileSync(toolsFile, 'utf8'));
  } catch {
    throw new Error(`helm and kubectl from setup are needed: run \`bash scripts/setup\` (looked for ${toolsFile})`);
  }
}

/** Every refusal the repository must produce: [file, line, message after "[dev] "]. */
function expectedRefusals(outside: string): Array<[string, number, string]> {
  return [
    ['argocd/api-versions.yaml', 17, 'a-api-versions: API version "--output-dir=pwned" is not a valid API version (group/version or group/version/Kind)'],
    ['argocd/chart-link.yaml', 13, `a-chart-link: chart folder "charts/linked" resolves outside the repository (to ${join(outside, 'chart')})`],
    ['argocd/kube-version.yaml', 15, 'a-kube-version: Kubernetes version "--post-renderer=./evil.sh" is not a valid version (e.g. 1.30.0)'],
    ['argocd/name-as-release.yaml', 4, '--output-dir=pwned-by-name: release name "--output-dir=pwned-by-name" is not a valid Helm release name'],
    ['argocd/namespace-flag.yaml', 10, 'a-namespace-flag: namespace "-n" is not a valid Kubernetes namespace name'],
    ['argocd/path-flag.yaml', 13, 'a-path-flag: kustomization folder "--output-dir=kust2" is not a valid path: it starts with "-"'],
    ['argocd/release-output-dir.yaml', 15, 'a-release-output-dir: release name "--output-dir=pwned" is not a valid Helm release name'],
    ['argocd/release-post-renderer.yaml', 15, 'a-release-post-renderer: release name "--post-renderer=./evil.sh" is not a valid Helm release name'],
    ['argocd/valuefile-escape.yaml', 16, 'a-valuefile-escape: values file "../../../../../../../../etc/passwd" is outside the repository'],
    ['argocd/valuefile-flag.yaml', 17, 'a-valuefile-flag: values file "--post-renderer=../../evil.sh" is not a valid path: it starts with "-"'],
    ['argocd/valuefile-link.yaml', 17, `a-valuefile-link: values file "charts/web/linked-values.yaml" resolves outside the repository (to ${join(outside, 'secret.yaml')})`],
    ['charts/named/Chart.yaml', 2, '--output-dir=pwned: release name "--output-dir=pwned" is not a valid Helm release name'],
    ['clusters/dev/hr-name.yaml', 4, '--output-dir=pwned-hr: release name "--output-dir=pwned-hr" is not a valid Helm release name'],
    ['clusters/dev/hr-release-name.yaml', 8, 'f-release-name: release name "--post-renderer=../../evil.sh" is not a valid Helm release name'],
    ['clusters/dev/hr-target-namespace.yaml', 9, 'f-target-namespace: namespace "--namespace=kube-system" is not a valid Kubernetes namespace name'],
    ['clusters/dev/hr-values-escape.yaml', 12, 'f-values-escape: values file "../../../../../../../../etc/shadow" is outside the repository'],
    ['clusters/dev/hr-values-flag.yaml', 13, 'f-values-flag: values file "--values=/etc/passwd" is not a valid path: it starts with "-"'],
    ['clusters/dev/ks-path.yaml', 8, 'f-path-flag: kustomization folder "--output-dir=kust" is not a valid path: it starts with "-"'],
  ];
}

/** Attempts that are not refusals: never run (remote, plugin) or passed where they cannot be a flag. */
const RENDERED_SAFELY = ['a-target-revision', 'a-parameters', 'f-chart-version', 'conv'];
const NEVER_RENDERED = ['a-remote-chart', 'a-plugin-env'];

interface Call {
  tool: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

let tmp: string;
let repo: string;
let outside: string;
let bin: string;
let home: string;
let cwd: string;
let tools: string; // TMPDIR of the CLI: its own temporary files and worktrees
let log: string;
let build: string; // the CLI, bundled as dist/cli.js is (esbuild), outside the watched folders

/** A wrapper that records its argv, cwd and HELM_/KUSTOMIZE_ variables, then runs the real tool. */
function wrapper(name: string, real: string): void {
  const body = `#!${process.execPath}
const fs = require('node:fs');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(HELM_|KUSTOMIZE_|KUBECTL_)/.test(k)));
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ tool: ${JSON.stringify(name)}, argv: process.argv.slice(2), cwd: process.cwd(), env }) + '\\n');
const r = require('node:child_process').spawnSync(${JSON.stringify(real)}, process.argv.slice(2), { stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
`;
  writeFileSync(join(bin, name), body, { mode: 0o755 });
}

function calls(): Call[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call);
}

/** Every path under `dir` (links not followed) with its size, for before/after comparison. */
function snapshot(dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (skip(rel)) continue;
      const st = lstatSync(p);
      out.push(`${rel}${st.isDirectory() ? '/' : ` ${st.size}`}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Git's reflogs record the test's own ref changes (the branch named like a flag): not compared. */
const reflogs = (rel: string) => rel === join('.git', 'logs');

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { PATH: bin, HOME: home, TMPDIR: tools, XDG_CACHE_HOME: join(home, '.cache'), XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share'), KUBECONFIG: join(home, 'kubeconfig') };
  return new Promise((resolve) => {
    execFile(process.execPath, [join(build, 'cli.js'), ...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (e, out, err) => {
      resolve({ code: e ? (typeof (e as { code?: unknown }).code === 'number' ? ((e as { code: number }).code) : -1) : 0, out: String(out), err: String(err) });
    });
  });
}

/** The argv of each call, checked independently of src/core/render/invocation.ts. */
function assertOnlyExpectedCalls(): void {
  const all = calls();
  assert.ok(all.length > 0, 'the wrappers recorded the tool runs');
  for (const c of all) {
    const shown = `${c.tool} ${JSON.stringify(c.argv)}`;
    assert.ok(['helm', 'kubectl', 'git'].includes(c.tool), shown);
    assert.deepEqual(c.env, {}, `no HELM_/KUSTOMIZE_ variable reaches the tools: ${shown}`);
    if (c.tool === 'git') {
      assert.ok(!c.argv.some((a) => /upload-pack|evil/.test(a)), shown);
      continue;
    }
    if (c.argv[0] === 'version') {
      assert.ok(
        (c.tool === 'helm' && JSON.stringify(c.argv) === '["version","--short"]') || (c.tool === 'kubectl' && JSON.stringify(c.argv) === '["version","--client","-o","json"]'),
        shown,
      );
      continue;
    }
    assert.equal(c.argv[0], c.tool === 'helm' ? 'template' : 'kustomize', shown);
    const end = c.argv.indexOf('--');
    assert.ok(end > 0, `-- before the positionals: ${shown}`);
    const flags = c.tool === 'helm' ? /^--(namespace|values|set|kube-version|api-versions|include-crds|skip-tests)=/ : /^$/;
    for (const a of c.argv.slice(1, end)) assert.match(a, flags, shown);
    for (const a of c.argv.slice(end + 1)) assert.ok(!a.startsWith('-'), shown);
    assert.equal(c.argv.length - end - 1, c.tool === 'helm' ? 2 : 1, shown);
    assert.ok(!c.argv.some((a) => /post-renderer=\.|evil\.sh|\/etc\/(passwd|shadow)|secret\.yaml/.test(a) && !a.startsWith('--set=--post-renderer=')), `no refused value reached ${shown}`);
    assert.ok(c.argv.slice(end + 1).every((a) => !/output-dir|post-renderer/.test(a)), shown);
  }
  assert.equal(existsSync(join(repo, 'EVIL-RAN')), false, 'evil.sh never ran');
}

let before0: { repo: string[]; home: string[]; cwd: string[]; top: string[] };

before(() => {
  const real = realTools();
  build = mkdtempSync(join(tmpdir(), 'reconcile-hostile-cli-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('esbuild').buildSync({ entryPoints: [join(repoRoot, 'src', 'cli', 'main.ts')], outfile: join(build, 'cli.js'), bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'], logLevel: 'warning' });
  symlinkSync(join(repoRoot, 'src', 'core', 'schema', 'bundled'), join(build, 'schemas'));
  tmp = mkdtempSync(join(tmpdir(), 'reconcile-hostile-'));
  repo = join(tmp, 'hostile-args');
  outside = join(tmp, 'hostile-outside');
  cpSync(join(fixtures, 'hostile-args'), repo, { recursive: true, verbatimSymlinks: true });
  cpSync(join(fixtures, 'hostile-outside'), outside, { recursive: true, verbatimSymlinks: true });
  // Two symbolic links out of the repository: a chart folder and a values file.
  symlinkSync(join(outside, 'chart'), join(repo, 'charts', 'linked'));
  symlinkSync(join(outside, 'secret.yaml'), join(repo, 'charts', 'web', 'linked-values.yaml'));
  for (const d of ['bin', 'home', 'cwd', 'tmp']) mkdirSync(join(tmp, d));
  bin = join(tmp, 'bin');
  home = join(tmp, 'home');
  cwd = join(tmp, 'cwd');
  tools = join(tmp, 'tmp');
  log = join(tmp, 'argv.jsonl');
  const gitEnv = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, env: gitEnv, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'hostile');
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  wrapper('helm', real.helm);
  wrapper('kubectl', real.kubectl);
  wrapper('git', realGit);
  before0 = { repo: snapshot(repo, reflogs), home: snapshot(home), cwd: snapshot(cwd), top: snapshot(tmp, (r) => r.startsWith('hostile-args') || r === 'argv.jsonl') };
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (build) rmSync(build, { recursive: true, force: true });
});

function assertNothingWritten(): void {
  assert.deepEqual(snapshot(repo, reflogs), before0.repo, 'the repository is unchanged (no --output-dir, no EVIL-RAN)');
  assert.deepEqual(snapshot(home), before0.home, 'HOME is unchanged');
  assert.deepEqual(snapshot(cwd), before0.cwd, 'the working folder is unchanged');
  assert.deepEqual(snapshot(tmp, (r) => r.startsWith('hostile-args') || r === 'argv.jsonl'), before0.top, 'nothing new beside the repository, and the CLI left no temporary file');
}

test('check --env: every injection attempt is a finding at the line that wrote it; the rest render without a flag from the repository', async () => {
  const r = await cli(['check', repo, '--env', 'dev', '--format', 'json']);
  assert.equal(r.code, 1, r.err);
  const findings = JSON.parse(r.out) as Array<{ code: string; file: string; range: { start: { line: number } }; message: string }>;
  const refusals = findings
    .filter((f) => f.code === 'render/invalid-argument')
    .map((f): [string, number, string] => [f.file, f.range.start.line + 1, f.message])
    .sort();
  assert.deepEqual(refusals, expectedRefusals(outside).map(([f, l, m]): [string, number, string] => [f, l, `[dev] ${m}`]).sort());
  // Remote charts and plugins are never run; the others render (no render error of any kind).
  const otherRender = findings.filter((f) => f.code.startsWith('render/') && f.code !== 'render/invalid-argument').map((f) => f.message);
  assert.deepEqual(otherRender.map((m) => m.split(':')[0].replace('[dev] ', '')).sort(), NEVER_RENDERED.sort());
  assertOnlyExpectedCalls();
  const templates = calls().filter((c) => c.argv[0] === 'template' || c.argv[0] === 'kustomize');
  assert.deepEqual(templates.map((c) => c.argv[c.argv.indexOf('--') + 1]).sort(), ['a-parameters', 'a-target-revision', 'conv', 'f-chart-version']);
  assert.ok(templates.find((c) => c.argv.includes('a-parameters'))!.argv.includes('--set=--post-renderer=./evil.sh'), 'a parameter named like a flag stays inside --set=');
  assert.ok(templates.find((c) => c.argv.includes('conv'))!.argv.includes(`--values=${join(repo, 'charts', 'conv', 'values', '--post-renderer=evil.yaml')}`), 'a values file named like a flag is passed as an absolute --values=');
  assert.equal(RENDERED_SAFELY.length + NEVER_RENDERED.length + expectedRefusals(outside).length, 24);
  assertNothingWritten();
});

test('render: the same refusals on stderr with file and line; nothing run for them', async () => {
  writeFileSync(log, '');
  const r = await cli(['render', repo, '--env', 'dev']);
  assert.equal(r.code, 1, r.err);
  for (const [file, line, message] of expectedRefusals(outside)) {
    const [app, ...rest] = message.split(': ');
    assert.ok(r.err.includes(`reconcile: dev/${app}: ${rest.join(': ')} (${file}:${line})\n`), `${file}:${line} ${message}\n${r.err}`);
  }
  assert.match(r.out, /name: a-parameters-web/);
  assert.doesNotMatch(r.out + r.err, /hunter2|root:x:0/, 'nothing outside the repository was read');
  assertOnlyExpectedCalls();
  assertNothingWritten();
});

test('diff: both revisions rendered in temporary worktrees refuse the same values; a revision written as a flag is refused before git runs', async () => {
  writeFileSync(join(repo, 'charts', 'web', 'values.yaml'), 'greeting: changed\n');
  writeFileSync(log, '');
  try {
    const r = await cli(['diff', repo, '--base', 'main', '--head', 'WORKTREE', '--env', 'dev']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /head: argocd:argocd\/a-release-output-dir: release name "--output-dir=pwned" is not a valid Helm release name \(argocd\/release-output-dir\.yaml:15\)/);
    assert.match(r.out, /base: argocd:argocd\/a-release-output-dir: release name "--output-dir=pwned" is not a valid Helm release name \(argocd\/release-output-dir\.yaml:15\)/);
    const rendered = calls().filter((c) => c.argv[0] === 'template').map((c) => `${c.argv[c.argv.indexOf('--') + 1]} ${c.cwd.startsWith(tools) ? 'base' : 'head'}`);
    for (const app of ['a-parameters', 'a-target-revision', 'f-chart-version']) assert.deepEqual(rendered.filter((x) => x.startsWith(`${app} `)).sort(), [`${app} base`, `${app} head`]);
    assertOnlyExpectedCalls();
    assert.deepEqual(readdirSync(tools), [], 'the worktrees and temporary values files are gone');

    // The repository's own refs: HEAD on a branch named like a flag (git itself lets update-ref make it).
    const refGit = (...a: string[]) => execFileSync('git', ['-c', 'core.logAllRefUpdates=false', ...a], { cwd: repo });
    refGit('update-ref', 'refs/heads/--upload-pack=evil.sh', 'HEAD');
    refGit('symbolic-ref', 'HEAD', 'refs/heads/--upload-pack=evil.sh');
    writeFileSync(log, '');
    const onBranch = await cli(['diff', repo, '--head', 'WORKTREE', '--env', 'dev']);
    refGit('symbolic-ref', 'HEAD', 'refs/heads/main');
    refGit('update-ref', '-d', 'refs/heads/--upload-pack=evil.sh');
    assert.equal(onBranch.code, 1, onBranch.err);
    assert.match(onBranch.out, /^main \([0-9a-f]{12}\) → working tree$/m);
    assertOnlyExpectedCalls();

    writeFileSync(log, '');
    const bad = await cli(['diff', repo, '--base', '--upload-pack=./evil.sh', '--env', 'dev']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /base revision '--upload-pack=\.\/evil\.sh' is not a revision/);
    assert.ok(calls().every((c) => c.tool === 'git' && !c.argv.some((a) => a.includes('upload-pack'))));
  } finally {
    execFileSync('git', ['checkout', '-q', '--', 'charts/web/values.yaml'], { cwd: repo });
  }
  assertNothingWritten();
});
