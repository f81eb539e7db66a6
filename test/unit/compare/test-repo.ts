// A temp GitOps repository with two revisions for the branch-compare tests. `main` has environments
// dev, staging, prod (kustomize overlays of apps/web), perf and old (plain manifests); branch
// `feature` changes them in every way the comparison must tell apart:
//   dev     changed: a ConfigMap added, one removed, replicas changed, a Secret value changed;
//   staging render-failed at the head (its kustomization names a file that does not exist);
//   prod    unchanged: only a comment in its kustomization changed (rendered, no difference);
//   perf    inputs unchanged (not rendered);
//   qa      added (a new overlay);
//   old     removed (its folder is deleted).
// Dates and identities are fixed, so the shas (and the CLI's golden output) are stable.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const PLAINTEXT = ['s3cret-one', 's3cret-two'];

export interface CompareRepo {
  dir: string;
  git: (...args: string[]) => string;
  write: (rel: string, text: string) => void;
  remove: (rel: string) => void;
  commit: (date: string, message: string) => string;
  main: string;
  feature: string;
}

export function gitIn(dir: string, args: string[], date?: string): string {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com', GIT_CONFIG_NOSYSTEM: '1' };
  delete env.GIT_DIR;
  if (date) {
    env.GIT_AUTHOR_DATE = date;
    env.GIT_COMMITTER_DATE = date;
  }
  return execFileSync('git', args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

const CONFIG = (extra: string) => `environments:
  - name: dev
    paths: ["apps/web/overlays/dev"]
  - name: staging
    paths: ["apps/web/overlays/staging"]
  - name: prod
    paths: ["apps/web/overlays/prod"]
  - name: perf
    paths: ["plain/perf"]
${extra}`;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
          ports:
            - containerPort: 8080
`;

const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: { app: web }
  ports:
    - port: 80
      targetPort: 8080
`;

const cm = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;
const overlay = (ns: string, resources: string[], extra = '') => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${ns}\nresources:\n${resources.map((r) => `  - ${r}\n`).join('')}${extra}`;
const secret = (password: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-credentials\ntype: Opaque\nstringData:\n  username: web\n  password: ${password}\n`;
const replicas = (n: number) => `patches:\n  - target: { kind: Deployment, name: web }\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: ${n}\n`;

/** @param prefix a folder of the work tree to put the GitOps layout in ('' for the top). */
export function buildCompareRepo(prefix = ''): CompareRepo {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-compare-test-'));
  const git = (...args: string[]) => gitIn(dir, args);
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, prefix, rel)), { recursive: true });
    writeFileSync(join(dir, prefix, rel), text);
  };
  const remove = (rel: string) => rmSync(join(dir, prefix, rel), { recursive: true, force: true });
  const commit = (date: string, message: string) => {
    gitIn(dir, ['add', '-A'], date);
    gitIn(dir, ['commit', '-q', '-m', message], date);
    return git('rev-parse', 'HEAD');
  };
  git('init', '-q', '-b', 'main');
  if (prefix) writeFileSync(join(dir, 'README.md'), '# not GitOps\n');
  write('.reconcile.yaml', CONFIG('  - name: old\n    paths: ["plain/old"]\n'));
  write('apps/web/base/kustomization.yaml', 'resources:\n  - deployment.yaml\n  - service.yaml\n');
  write('apps/web/base/deployment.yaml', deployment);
  write('apps/web/base/service.yaml', service);
  write('apps/web/overlays/dev/kustomization.yaml', overlay('web-dev', ['../../base', 'secret.yaml', 'legacy.yaml']));
  write('apps/web/overlays/dev/secret.yaml', secret(PLAINTEXT[0]));
  write('apps/web/overlays/dev/legacy.yaml', cm('legacy', 'x'));
  write('apps/web/overlays/staging/kustomization.yaml', overlay('web-staging', ['../../base']));
  write('apps/web/overlays/prod/kustomization.yaml', overlay('web-prod', ['../../base'], replicas(3)));
  write('plain/perf/load.yaml', cm('load-test', '100'));
  write('plain/old/old.yaml', cm('old-thing', '1'));
  const main = commit('2024-02-01T09:00:00Z', 'Initial layout');

  git('checkout', '-q', '-b', 'feature');
  write('.reconcile.yaml', CONFIG('  - name: qa\n    paths: ["apps/web/overlays/qa"]\n'));
  write('apps/web/overlays/dev/kustomization.yaml', overlay('web-dev', ['../../base', 'secret.yaml', 'settings.yaml'], replicas(2)));
  write('apps/web/overlays/dev/secret.yaml', secret(PLAINTEXT[1]));
  write('apps/web/overlays/dev/settings.yaml', cm('web-settings', 'on'));
  remove('apps/web/overlays/dev/legacy.yaml');
  write('apps/web/overlays/staging/kustomization.yaml', overlay('web-staging', ['../../base', 'missing.yaml']));
  write('apps/web/overlays/prod/kustomization.yaml', `# production: three replicas\n${overlay('web-prod', ['../../base'], replicas(3))}`);
  write('apps/web/overlays/qa/kustomization.yaml', overlay('web-qa', ['../../base']));
  remove('plain/old');
  const feature = commit('2024-02-02T09:00:00Z', 'Feature: dev settings, qa, drop old');
  return { dir, git, write, remove, commit, main, feature };
}

/** Everything about the repository's state a comparison must not change. */
export function repoState(dir: string): Record<string, string> {
  const g = (...args: string[]) => gitIn(dir, args);
  return {
    worktrees: g('worktree', 'list', '--porcelain'),
    status: g('status', '--porcelain', '--untracked-files=all', '--ignored'),
    branches: g('for-each-ref', '--format=%(refname) %(objectname)'),
    head: g('rev-parse', 'HEAD'),
    symbolic: (() => {
      try {
        return g('symbolic-ref', 'HEAD');
      } catch {
        return '(detached)';
      }
    })(),
    stash: g('stash', 'list'),
    config: g('config', '--local', '--list'),
  };
}
