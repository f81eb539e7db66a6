// Environments: discovery on a generated repository (5,000 files, 300 apps × 5 environments; target
// ≤ 500 ms), side by side with two peers measured in the same run on the same tree: `rg --files`
// (listing alone, the floor) and a naive discoverer that parses every YAML file with js-yaml. Then
// rendering examples/' dev environment with the real tools, cold and again unchanged (target: no
// process spawned the second time).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { discover } from '../src/core/repo';
import { createRenderer, spawnRunner, type ProcessRunner } from '../src/core/render';
import { generateRepo } from '../test/unit/repo/generated-repo';
import { median, report, type BenchRow } from './lib';

const RUNS = 7;

function naiveDiscover(root: string): number {
  let docs = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) docs += loadAll(readFileSync(p, 'utf8')).length;
    }
  };
  walk(root);
  return docs;
}

async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'reconcile-bench-repo-'));
  try {
    const g = generateRepo(tmp, { apps: 300, resourcesPerBase: 5 });
    const cold = await time(() => discover(tmp));
    const ours: number[] = [];
    const rg: number[] = [];
    const naive: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await time(() => discover(tmp)));
      rg.push(await time(() => spawnSync('rg', ['--files', tmp], { maxBuffer: 1 << 26 })));
      naive.push(await time(() => naiveDiscover(tmp)));
    }
    const m = median(ours);
    const what = `${g.files} files, ${g.apps} apps × ${g.envs.length} envs`;
    rows.push({ bench: 'discovery', metric: `discover() warm (${what})`, value: m, unit: 'ms', target: '≤ 500 ms', ok: m <= 500 });
    rows.push({ bench: 'discovery', metric: 'discover() cold (first run in the process)', value: cold, unit: 'ms' });
    rows.push({ bench: 'discovery', metric: 'peer: rg --files (listing only)', value: median(rg), unit: 'ms', ratio: m / median(rg), ratioLabel: 'ours/rg' });
    rows.push({ bench: 'discovery', metric: 'peer: parse every YAML with js-yaml', value: median(naive), unit: 'ms', ratio: median(naive) / m, ratioLabel: 'naive/ours' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  // Rendering examples/ dev with the real kubectl (kustomize) and helm from setup.
  const tools = JSON.parse(readFileSync(join(process.env.RECONCILE_CACHE ?? join(homedir(), '.cache', 'reconcile'), 'tools.json'), 'utf8'));
  let spawns = 0;
  const counting: ProcessRunner = { run: (c, a, o) => (spawns++, spawnRunner.run(c, a, o)) };
  const model = await discover(join(__dirname, '..', 'examples'));
  const dev = model.environments.find((e) => e.name === 'dev')!;
  const renderAll = (r: ReturnType<typeof createRenderer>) => Promise.all(dev.applications.map((a) => r.renderApplication(a)));
  const coldTimes: number[] = [];
  const warmTimes: number[] = [];
  let warmSpawns = 0;
  for (let i = 0; i < 3; i++) {
    const renderer = createRenderer({ tools: { kubectl: tools.kubectl, helm: tools.helm }, trusted: true, runner: counting });
    await renderer.toolVersion('kustomize-or-kubectl');
    await renderer.toolVersion('helm');
    spawns = 0;
    coldTimes.push(await time(() => renderAll(renderer)));
    const coldSpawns = spawns;
    spawns = 0;
    warmTimes.push(await time(() => renderAll(renderer)));
    warmSpawns = Math.max(warmSpawns, spawns);
    if (i === 0) console.log(`# dev: ${dev.applications.length} applications; cold render spawned ${coldSpawns} process(es)`);
  }
  rows.push({ bench: 'render', metric: `examples dev (${dev.applications.length} apps), cold, 2 at once`, value: median(coldTimes), unit: 'ms' });
  rows.push({
    bench: 'render', metric: 'examples dev again, unchanged (cache)', value: median(warmTimes), unit: 'ms',
    ratio: median(coldTimes) / median(warmTimes), ratioLabel: 'cold/cached',
  });
  rows.push({ bench: 'render', metric: 'processes spawned by the unchanged re-render', value: warmSpawns, unit: '', target: '0', ok: warmSpawns === 0 });
  report(rows, `medians of ${RUNS} runs`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
