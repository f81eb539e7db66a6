// Remote kustomize bases: kustomize fetches them itself, with the user's git (credential helpers from the
// user's environment, prompts off). In a trusted workspace the render follows them; discovery only notes
// them. The remote here is a Git repository on disk (`file://…//base?ref=main`), so no network is used.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover } from '../../../src/core/repo';
import { createRenderer } from '../../../src/core/render';
import { realTools } from '../render/real-tools';

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'reconcile-remote-base-'));
  const remote = join(dir, 'remote');
  mkdirSync(join(remote, 'base'), { recursive: true });
  writeFileSync(join(remote, 'base', 'kustomization.yaml'), 'resources:\n  - cm.yaml\n');
  writeFileSync(join(remote, 'base', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-remote\ndata:\n  a: "1"\n');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: remote });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  mkdirSync(join(dir, 'repo', 'overlays', 'dev'), { recursive: true });
  writeFileSync(join(dir, 'repo', 'overlays', 'dev', 'kustomization.yaml'), `resources:\n  - file://${remote}//base?ref=main\nnamePrefix: dev-\n`);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('a remote base is noted by discovery and fetched by the render in a trusted workspace', async () => {
  const m = await discover(join(dir, 'repo'));
  const app = m.environments.flatMap((e) => e.applications)[0];
  assert.equal(app.renderer.kind, 'kustomize');
  assert.ok(app.errors.some((e) => e.code === 'remote' && e.severity === 'info'), JSON.stringify(app.errors));
  const r = await createRenderer({ trusted: true, tools: { kubectl: realTools().kubectl }, env: { ...process.env, PATH: process.env.PATH } }).renderApplication(app);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  assert.deepEqual(r.documents.map((d) => `${d.id?.kind}/${d.id?.name}`), ['ConfigMap/dev-from-remote']);
  const untrusted = await createRenderer({ trusted: false, tools: { kubectl: realTools().kubectl } }).renderApplication(app);
  assert.ok(!untrusted.ok);
  assert.equal(untrusted.error.code, 'untrusted');
});
