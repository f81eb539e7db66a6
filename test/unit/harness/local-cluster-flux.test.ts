// `scripts/local-cluster start --flux` end to end, as a person runs it: the last line is KUBECONFIG=<path>;
// the Flux controllers run as processes with their logs in the state dir; examples/ can be cloned over
// Git HTTP and the GitRepository flux-system/examples that points at it becomes Ready; the chart
// repository serves index.yaml; `stop` ends every process and removes the files. The state dir is a
// temp RECONCILE_CACHE (with a copy of tools.json), so a local cluster of the user is not touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test('scripts/local-cluster start --flux: controllers as processes, Git HTTP, chart repository; stop removes everything', async () => {
  const { loadTools, toolsJsonPath } = await import(harness('tools.mjs'));
  const tools = loadTools({ require: ['kubectl', 'etcd', 'kubeApiserver', 'sourceController', 'kustomizeController', 'helmController', 'fluxCrds', 'dockerRegistry'] });
  const cache = mkdtempSync(join(tmpdir(), 'reconcile-lc-flux-'));
  copyFileSync(toolsJsonPath(), join(cache, 'tools.json'));
  const env = { ...process.env, RECONCILE_CACHE: cache };
  const script = join(root, 'scripts', 'local-cluster');
  let state: { flux: { pids: Record<string, number>; dir: string; gitUrl: string; chartsUrl: string } } | undefined;
  try {
    const started = await execFileP(process.execPath, [script, 'start', '--flux'], { env, timeout: 180_000 });
    const lines = started.stdout.trimEnd().split('\n');
    const kubeconfig = join(cache, 'local-cluster', 'kubeconfig');
    assert.equal(lines[lines.length - 1], `KUBECONFIG=${kubeconfig}`);
    assert.match(started.stderr, /Flux v\d+\.\d+\.\d+: docker-registry, source-controller, kustomize-controller, helm-controller/);
    state = JSON.parse(readFileSync(join(cache, 'local-cluster', 'state.json'), 'utf8'));
    const flux = state!.flux;
    assert.deepEqual(Object.keys(flux.pids).sort(), ['docker-registry', 'helm-controller', 'kustomize-controller', 'source-controller']);
    for (const [name, pid] of Object.entries(flux.pids)) assert.ok(alive(pid), `${name} runs`);
    assert.equal(flux.dir, join(cache, 'local-cluster', 'flux'));
    for (const name of ['source-controller', 'kustomize-controller', 'helm-controller']) {
      assert.ok(existsSync(join(flux.dir, `${name}.log`)), `${name}.log in the state dir`);
      assert.match(readFileSync(join(flux.dir, `${name}.kubeconfig`), 'utf8'), /current-context: /, `${name} has its own kubeconfig`);
    }

    // examples/ over Git HTTP, as any git client sees it.
    const clone = join(cache, 'clone');
    await execFileP('git', ['clone', '-q', flux.gitUrl, clone]);
    assert.deepEqual(readdirSync(join(clone, 'apps')).sort(), readdirSync(join(root, 'examples', 'apps')).sort());
    // The chart repository.
    const index = await (await fetch(`${flux.chartsUrl}/index.yaml`)).text();
    assert.match(index, /\n {2}cache:\n/);
    // source-controller fetched it: the GitRepository that local-cluster made is Ready.
    const kubectl = (...args: string[]) => execFileP(tools.kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
    await kubectl('-n', 'flux-system', 'wait', '--for=condition=Ready', '--timeout=120s', 'gitrepositories.source.toolkit.fluxcd.io/examples');
    const repo = JSON.parse((await kubectl('-n', 'flux-system', 'get', 'gitrepositories.source.toolkit.fluxcd.io/examples', '-o', 'json')).stdout);
    assert.match(repo.status.artifact.revision, /^main@sha1:[0-9a-f]{40}$/);

    const status = await execFileP(process.execPath, [script, 'status'], { env });
    assert.match(status.stderr, /Flux v\d+\.\d+\.\d+: pids /);
  } finally {
    await execFileP(process.execPath, [script, 'stop'], { env, timeout: 60_000 });
    rmSync(cache, { recursive: true, force: true });
  }
  for (const [name, pid] of Object.entries(state?.flux.pids ?? {})) assert.ok(!alive(pid), `${name} stopped`);
  assert.ok(state && !existsSync(state.flux.dir), 'the Flux files are gone');
});
