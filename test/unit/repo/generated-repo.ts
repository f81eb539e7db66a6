// Writes a large synthetic GitOps repository for the discovery speed test: `apps` apps, each a
// kustomize base (a kustomization + resource files) with one overlay per environment (a
// kustomization + a patch), plus per-environment Flux Kustomizations under clusters/<env>/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GeneratedRepo {
  root: string;
  files: number;
  apps: number;
  envs: string[];
}

export function generateRepo(root: string, opts: { apps?: number; envs?: string[]; resourcesPerBase?: number } = {}): GeneratedRepo {
  const apps = opts.apps ?? 300;
  const envs = opts.envs ?? ['dev', 'test', 'staging', 'perf', 'prod'];
  const per = opts.resourcesPerBase ?? 5;
  let files = 0;
  const write = (rel: string, text: string) => {
    const p = join(root, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
    files++;
  };
  for (let a = 0; a < apps; a++) {
    const app = `app-${String(a).padStart(3, '0')}`;
    const res: string[] = [];
    for (let r = 0; r < per; r++) {
      const name = `r${r}.yaml`;
      res.push(name);
      write(`apps/${app}/base/${name}`, `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}-${r}\n  labels:\n    app: ${app}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: ${app}\n  template:\n    metadata:\n      labels:\n        app: ${app}\n    spec:\n      containers:\n        - name: main\n          image: registry.example.com/${app}:1.0.${r}\n          resources:\n            limits:\n              cpu: 100m\n              memory: 128Mi\n`);
    }
    write(`apps/${app}/base/kustomization.yaml`, `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${res.map((r) => `  - ${r}`).join('\n')}\n`);
    for (const env of envs) {
      write(`apps/${app}/overlays/${env}/kustomization.yaml`, `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${app}-${env}\nresources:\n  - ../../base\npatches:\n  - path: replicas.yaml\n`);
      write(`apps/${app}/overlays/${env}/replicas.yaml`, `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}-0\nspec:\n  replicas: 2\n`);
    }
  }
  for (const env of envs) {
    const docs = [];
    for (let a = 0; a < apps; a++) {
      const app = `app-${String(a).padStart(3, '0')}`;
      docs.push(`apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${app}\n  namespace: flux-system\nspec:\n  interval: 5m\n  path: ./apps/${app}/overlays/${env}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`);
    }
    write(`clusters/${env}/apps.yaml`, docs.join('---\n'));
  }
  return { root, files, apps, envs };
}
