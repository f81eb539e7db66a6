// Policy checks on a generated repository of 10,000 resources (500 files of 20), all rules on:
// the built-in rules, the examples' two ValidatingAdmissionPolicies (CEL, one with params) and
// the secret scanner. Prints wall time, resources/s and peak memory for
//   - checkFiles (CI: every file parsed and checked on its own),
//   - checkEnvironment (the 10,000 objects as one rendered environment: reference integrity,
//     PDBs, duplicates across the set too),
// and the incremental cost of re-checking one edited file (target ≤ 15 ms).
//   node bench/run.mjs policy        (RECONCILE_BENCH_RUNS, default 3)
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { checkEnvironment, checkFile, checkFiles, findPolicyFiles, loadPolicies, type EnvironmentObject } from '../src/core/policy';
import { parseManifests } from '../src/core/manifest';
import { median, report, type BenchRow } from './lib';

const root = join(__dirname, '..');
const RUNS = Number(process.env.RECONCILE_BENCH_RUNS ?? 3);
const FILES = 500;
const PER_FILE = 20;
const TOTAL = FILES * PER_FILE;

/** A small deterministic PRNG, so every run checks the same repository. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function deployment(ns: string, name: string, r: () => number): Record<string, unknown> {
  const latest = r() < 0.05;
  const noLimits = r() < 0.02;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'shop' } },
    spec: {
      replicas: 1 + Math.floor(r() * 3),
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': name } },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name,
              image: `registry.example.com/shop/${name}:${latest ? 'latest' : `1.${Math.floor(r() * 20)}.${Math.floor(r() * 10)}`}`,
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              envFrom: [{ configMapRef: { name: `${name}-config` } }],
              readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
              livenessProbe: { httpGet: { path: '/live', port: 'http' } },
              resources: noLimits ? { requests: { cpu: '100m', memory: '128Mi' } } : { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  };
}

/** 20 resources per file: 4 apps × (Deployment, Service, ConfigMap, PDB, HPA or Ingress). */
function generate(): Array<{ file: string; text: string; objects: Record<string, unknown>[] }> {
  const r = rng(42);
  const out: Array<{ file: string; text: string; objects: Record<string, unknown>[] }> = [];
  for (let f = 0; f < FILES; f++) {
    const ns = `shop-${f % 20}`;
    const objects: Record<string, unknown>[] = [];
    for (let a = 0; a < PER_FILE / 5; a++) {
      const name = `app-${f}-${a}`;
      objects.push(deployment(ns, name, r));
      objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { 'app.kubernetes.io/name': name }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } });
      objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-config`, namespace: ns }, data: { LOG_LEVEL: 'info', FEATURE_X: String(r() < 0.5) } });
      objects.push({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: ns }, spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': name } } } });
      objects.push(
        a % 2
          ? { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name, namespace: ns }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 2, maxReplicas: 6 } }
          : { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: ns }, spec: { rules: [{ host: `${name}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { name: 'http' } } } }] } }] } },
      );
    }
    const text = objects.map((o) => dump(o, { lineWidth: -1, noRefs: true })).join('---\n');
    out.push({ file: join(root, 'bench-repo', `apps-${f}.yaml`), text, objects });
  }
  // the namespaces, labelled for the examples' policies (namespaceSelector part-of: shop)
  const namespaces = Array.from({ length: 20 }, (_, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `shop-${i}`, labels: { 'app.kubernetes.io/part-of': 'shop' } } }));
  out.push({ file: join(root, 'bench-repo', 'namespaces.yaml'), text: namespaces.map((o) => dump(o)).join('---\n'), objects: namespaces });
  return out;
}

function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function main(): Promise<void> {
  const files = generate();
  const texts = new Map(files.map((f) => [f.file, f.text]));
  const policies = loadPolicies(findPolicyFiles(join(root, 'examples')).map((file) => ({ file })));
  if (policies.policies.size !== 2) throw new Error(`expected the examples' 2 policies, got ${policies.policies.size}`);
  const options = { policies, readFile: (f: string) => texts.get(f) };
  const lines = files.reduce((n, f) => n + f.text.split('\n').length, 0);
  console.log(`generated ${files.length} files, ${TOTAL} resources (+20 namespaces), ${lines} lines; policies: ${[...policies.policies.keys()].join(', ')}`);

  // environment input: objects with their source documents (as the renderer maps them)
  const envObjects: EnvironmentObject[] = [];
  for (const f of files) {
    const mf = parseManifests(f.text);
    mf.documents.forEach((d, i) => envObjects.push({ object: f.objects[i], source: { file: f.file, range: d.range }, application: { id: 'bench', deployer: 'direct' } }));
  }

  const fileTimes: number[] = [];
  const envTimes: number[] = [];
  const fileCpu: number[] = [];
  const envCpu: number[] = [];
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  let fileFindings = 0;
  let envFindings = 0;
  for (let run = 0; run < RUNS; run++) {
    (globalThis as { gc?: () => void }).gc?.();
    let t = performance.now();
    let c = process.cpuUsage();
    fileFindings = checkFiles(files, options).length;
    fileTimes.push(performance.now() - t);
    fileCpu.push(cpuMs(process.cpuUsage(c)));
    (globalThis as { gc?: () => void }).gc?.();
    t = performance.now();
    c = process.cpuUsage();
    envFindings = checkEnvironment({ name: 'bench', namespaces: ['shop-0'] }, envObjects, options).length;
    envTimes.push(performance.now() - t);
    envCpu.push(cpuMs(process.cpuUsage(c)));
  }
  console.log(`findings: ${fileFindings} (files), ${envFindings} (environment)`);

  // one edited file while typing: a 20-resource file, and a single-resource file
  const edited = files[7];
  const single = { file: join(root, 'bench-repo', 'web.yaml'), text: dump(files[3].objects[0], { lineWidth: -1 }) };
  const incr = (f: { file: string; text: string }) => {
    for (let i = 0; i < 20; i++) checkFile(f.file, f.text + `# ${i}\n`, options); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < 60; i++) {
      const text = f.text.replace('LOG_LEVEL: info', `LOG_LEVEL: info${i % 2 ? 'x' : ''}`);
      const t0 = performance.now();
      checkFile(f.file, text, options);
      samples.push(performance.now() - t0);
    }
    return median(samples);
  };
  const incr20 = incr(edited);
  const incr1 = incr(single);

  const fileMs = median(fileTimes);
  const envMs = median(envTimes);
  const rows: BenchRow[] = [
    { bench: 'policy', metric: `checkFiles: ${TOTAL} resources in ${FILES} files (wall)`, value: fileMs, unit: 'ms' },
    { bench: 'policy', metric: 'checkFiles throughput (parse + all rules)', value: (TOTAL / fileMs) * 1000, unit: 'resources/s', target: '≥ 5000/s', ok: (TOTAL / fileMs) * 1000 >= 5000 },
    { bench: 'policy', metric: 'checkFiles CPU time (user+system, all threads incl. GC)', value: median(fileCpu), unit: 'ms' },
    { bench: 'policy', metric: `checkEnvironment: ${TOTAL} rendered resources (wall)`, value: envMs, unit: 'ms' },
    { bench: 'policy', metric: 'checkEnvironment throughput (all rules)', value: (TOTAL / envMs) * 1000, unit: 'resources/s', target: '≥ 5000/s', ok: (TOTAL / envMs) * 1000 >= 5000 },
    { bench: 'policy', metric: 'checkEnvironment CPU time (user+system, all threads)', value: median(envCpu), unit: 'ms' },
    { bench: 'policy', metric: 'incremental: re-check one edited file (20 resources)', value: incr20, unit: 'ms', target: '≤ 15 ms', ok: incr20 <= 15 },
    { bench: 'policy', metric: 'incremental: re-check one edited file (1 Deployment)', value: incr1, unit: 'ms', target: '≤ 15 ms', ok: incr1 <= 15 },
    { bench: 'policy', metric: 'peak memory (max RSS of the bench process)', value: peakRssMiB(), unit: 'MiB' },
  ];
  report(rows, `${RUNS} runs; medians; ${TOTAL} resources`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
