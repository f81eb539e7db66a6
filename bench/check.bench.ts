// `reconcile check` end to end, as CI runs it: a generated repository of 10,000 resources in 500
// files (Deployments, Services, ConfigMaps), schema AND policy checks together, every rule on.
// Prints wall time, resources/s (target ≥ 5,000/s on 2 cores) and peak memory. For reference only
// (not measured here: no binary is available offline), kubeconform publishes ≈7,600 resources/s
// on 4 cores with 8 workers, schema only.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { dump } from 'js-yaml';
import { main } from '../src/cli/main';
import { median, report, type BenchRow } from './lib';

const FILES = 500;
const PER_FILE = 20;
const RUNS = Number(process.env.RECONCILE_BENCH_RUNS ?? 3);

function objects(i: number): Record<string, unknown>[] {
  const name = `svc-${i}`;
  const labels = { 'app.kubernetes.io/name': name };
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop', labels },
      spec: {
        replicas: 2, selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{
              name, image: `registry.example.com/shop/${name}:1.${i % 20}.0`,
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              envFrom: [{ configMapRef: { name: `${name}-config` } }],
              readinessProbe: { httpGet: { path: '/ready', port: 'http' } }, livenessProbe: { httpGet: { path: '/live', port: 'http' } },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop', labels }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-config`, namespace: 'shop' }, data: { LOG_LEVEL: 'info', FEATURE_X: 'true' } },
  ];
}

async function main_(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-bench-check-'));
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  try {
    let n = 0;
    let i = 0;
    for (let f = 0; f < FILES; f++) {
      const docs: Record<string, unknown>[] = [];
      while (docs.length < PER_FILE) docs.push(...objects(i++));
      docs.length = PER_FILE;
      n += docs.length;
      const sub = join(dir, `team-${f % 10}`);
      mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `app-${f}.yaml`), docs.map((d) => dump(d, { noRefs: true })).join('---\n'));
    }
    const times: number[] = [];
    let code = -1;
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      code = await main(['check', dir, '--fail-on', 'never'], { out: sink, err: process.stderr, env: process.env, cwd: dir });
      times.push(performance.now() - t0);
    }
    if (code !== 0) throw new Error(`reconcile check exited ${code}`);
    const ms = median(times);
    const perSecond = n / (ms / 1000);
    const rows: BenchRow[] = [
      { bench: 'check', metric: `reconcile check, ${n} resources in ${FILES} files (schema + policy)`, value: ms, unit: 'ms' },
      { bench: 'check', metric: 'throughput, schema + policy together', value: perSecond, unit: 'resources/s', target: '≥ 5,000/s', ok: perSecond >= 5000, ratio: perSecond / 7600, ratioLabel: 'vs kubeconform published 7,600/s (4 cores, schema only; reference, not this run)' },
      { bench: 'check', metric: 'peak RSS of the process (maxRSS)', value: process.resourceUsage().maxRSS / 1024, unit: 'MiB' },
    ];
    report(rows, `median of ${RUNS} runs (the first includes loading schemas and compiling validators)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main_().catch((e) => {
  console.error(e);
  process.exit(1);
});
