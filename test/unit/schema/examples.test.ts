// The repository's examples/ are valid: zero findings, except the information that kinds without a
// schema (kustomize's own Kustomization and Component) are not checked. Patch files named by a
// kustomization are validated as partial objects, as the language server does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from './helpers';
import { SchemaValidator } from '../../../src/core/schema';

const examples = join(repoRoot, 'examples');

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(n)) out.push(p);
  }
  return out;
}

/** Files that kustomizations use as patches (strategic merge or JSON 6902). */
function patchFiles(files: string[]): Set<string> {
  const out = new Set<string>();
  for (const f of files.filter((x) => /(^|\/)kustomization\.ya?ml$/.test(x))) {
    const k = load(readFileSync(f, 'utf8')) as Record<string, unknown>;
    const entries = [...((k.patches as unknown[]) ?? []), ...((k.patchesJson6902 as unknown[]) ?? []), ...((k.patchesStrategicMerge as unknown[]) ?? [])];
    for (const e of entries) {
      const p = typeof e === 'string' ? e : (e as { path?: string }).path;
      if (p && !p.includes('\n')) out.add(resolve(dirname(f), p));
    }
  }
  return out;
}

test('examples/ (apps, charts, clusters, argocd, policies, components): no findings but info for kinds without schema', () => {
  const files = yamlFiles(examples);
  assert.ok(files.length > 40);
  const patches = patchFiles(files);
  assert.ok(patches.size >= 3, 'the overlays have patch files');
  const v = new SchemaValidator();
  const unexpected: string[] = [];
  const infoKinds = new Set<string>();
  const notKubernetes: string[] = [];
  for (const f of files) {
    for (const x of v.validateFile(f, readFileSync(f, 'utf8'), { partial: patches.has(f) })) {
      if (x.severity === 'info' && x.code === 'schema/unknown-kind') infoKinds.add(x.message.replace(/^no schema is known for (\S+) \((\S+)\).*/, '$2 $1'));
      else if (x.severity === 'info' && x.code === 'yaml/not-kubernetes') notKubernetes.push(relative(repoRoot, f));
      else unexpected.push(`${relative(repoRoot, f)}:${x.range.start.line + 1} ${x.code} ${x.message}`);
    }
  }
  assert.deepEqual(unexpected, []);
  assert.deepEqual([...infoKinds].sort(), ['kustomize.config.k8s.io/v1alpha1 Component', 'kustomize.config.k8s.io/v1beta1 Kustomization']);
  // the application's own configuration (a configMapGenerator input) is said to be no Kubernetes object, once
  assert.deepEqual(notKubernetes, ['examples/apps/api/base/application.yaml']);
});

test('the examples are checked, not skipped: the same files with one broken field each give findings', () => {
  const v = new SchemaValidator();
  const dep = readFileSync(join(examples, 'apps/web/base/deployment.yaml'), 'utf8').replace('replicas: 2', 'replicas: two');
  assert.deepEqual(v.validateFile('/d.yaml', dep).map((x) => x.code), ['schema/type']);
  const flux = readFileSync(join(examples, 'clusters/dev/apps.yaml'), 'utf8').replace(/prune: true/, 'prune: true\n  prunee: true');
  assert.ok(v.validateFile('/f.yaml', flux).some((x) => x.code === 'schema/unknown-field'));
  const app = readFileSync(join(examples, 'argocd/appproject.yaml'), 'utf8').replace(/^spec:/m, 'spec:\n  sourceRepoz: []');
  assert.deepEqual(v.validateFile('/a.yaml', app).map((x) => x.code), ['schema/unknown-field']);
});
