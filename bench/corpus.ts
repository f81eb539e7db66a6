// The generated inputs the benches share: the `reconcile check` corpus (10,000 resources in 500
// files, bench/check.bench.ts and its kubeconform peer in bench/peers.bench.ts) and the 1,000-object
// environment (bench/drift.bench.ts and its `flux diff` peer in bench/peers.bench.ts).
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import type { RawObject } from '../src/core/cluster';

export const CHECK_FILES = 500;
export const CHECK_PER_FILE = 20;

/** One service of the check corpus: a Deployment, its Service and its ConfigMap. */
export function checkObjects(i: number): Record<string, unknown>[] {
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

/**
 * Writes the check corpus into `dir`: CHECK_FILES files of CHECK_PER_FILE resources in team-<n>/
 * folders, plus the examples' ValidatingAdmissionPolicies in policies/. Returns how many resources
 * the generated files hold (the policies' are not counted).
 */
export function writeCheckCorpus(dir: string): number {
  let n = 0;
  let i = 0;
  for (let f = 0; f < CHECK_FILES; f++) {
    const docs: Record<string, unknown>[] = [];
    while (docs.length < CHECK_PER_FILE) docs.push(...checkObjects(i++));
    docs.length = CHECK_PER_FILE;
    n += docs.length;
    const sub = join(dir, `team-${f % 10}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `app-${f}.yaml`), docs.map((d) => dump(d, { noRefs: true })).join('---\n'));
  }
  // the repository's own admission policies, as in examples/
  mkdirSync(join(dir, 'policies'));
  const policyDir = join(__dirname, '..', 'examples', 'policies');
  for (const f of readdirSync(policyDir)) copyFileSync(join(policyDir, f), join(dir, 'policies', f));
  return n;
}

export const BENCH_NAMESPACE = 'bench';

/** 1,000 objects: how many of each kind. */
export const MIX: Array<[string, number]> = [
  ['ConfigMap', 250],
  ['Secret', 100],
  ['Service', 150],
  ['Deployment', 150],
  ['ServiceAccount', 100],
  ['StatefulSet', 50],
  ['CronJob', 50],
  ['Role', 50],
  ['RoleBinding', 50],
  ['PersistentVolumeClaim', 50],
];

function container(i: number) {
  return {
    name: 'app',
    image: `registry.example.com/app:1.${i % 7}.0`,
    ports: [{ name: 'http', containerPort: 8080 }],
    env: [
      { name: 'INDEX', value: String(i) },
      { name: 'MODE', value: 'bench' },
    ],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '0.5', memory: '0.25Gi' } },
    readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
  };
}

export function make(kind: string, i: number): RawObject {
  const name = `${kind.toLowerCase()}-${i}`;
  const metadata = { name, namespace: BENCH_NAMESPACE, labels: { app: name, 'reconcile.dev/environment': 'bench' } };
  switch (kind) {
    case 'ConfigMap':
      return { apiVersion: 'v1', kind, metadata, data: { 'app.yaml': `index: ${i}\nfeature: ${i % 2 === 0}\n`, LOG_LEVEL: 'info' } };
    case 'Secret':
      return { apiVersion: 'v1', kind, metadata, type: 'Opaque', stringData: { password: `bench-password-${i}`, user: 'bench' } };
    case 'Service':
      return { apiVersion: 'v1', kind, metadata, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } };
    case 'Deployment':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [container(i)] } } } };
    case 'ServiceAccount':
      return { apiVersion: 'v1', kind, metadata, automountServiceAccountToken: false };
    case 'StatefulSet':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata,
        spec: {
          serviceName: name,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [container(i)] } },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        },
      };
    case 'CronJob':
      return {
        apiVersion: 'batch/v1', // batch/v1beta1 is gone since 1.25
        kind,
        metadata,
        spec: { schedule: `${i % 60} * * * *`, jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'job', image: 'busybox:1.36', args: ['echo', String(i)] }] } } } } },
      };
    case 'Role':
      return { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata, rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [`configmap-${i}`], verbs: ['get', 'list'] }] };
    case 'RoleBinding':
      return { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `role-${i}` }, subjects: [{ kind: 'ServiceAccount', name: `serviceaccount-${i}`, namespace: BENCH_NAMESPACE }] };
    case 'PersistentVolumeClaim':
      return { apiVersion: 'v1', kind, metadata, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${(i % 4) + 1}Gi` } } } };
  }
  throw new Error(kind);
}

/** The 1,000 objects of MIX, kind by kind. */
export function environmentObjects(): RawObject[] {
  const objects: RawObject[] = [];
  for (const [kind, n] of MIX) for (let i = 0; i < n; i++) objects.push(make(kind, i));
  return objects;
}
