// List documents (`kind: List`, ConfigMapList, RoleList, nested Lists) are read as `kubectl apply -f`
// reads them: the renderer replaces them by their items (plain files, helm output; kustomize does it
// itself), so that render, check, drift, plan and sync see the items, each placed on its own lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { compareLocal, desiredFromDocuments, driftExitCode, countResults } from '../../../src/core/drift';
import { expandList, isListDocument, parseManifests } from '../../../src/core/manifest';
import { createRenderer } from '../../../src/core/render';
import { sink } from '../cli/io';
import { realTools } from './real-tools';

const fixtures = join(__dirname, '..', '..', 'fixtures', 'lists');
const envDir = join(fixtures, 'repo', 'envs', 'lists');
const files = ['namespace.yaml', 'configmaps.yaml', 'roles.yaml', 'nested.yaml'].map((f) => join(envDir, f));
const ids = (docs: Array<{ id?: { kind: string; namespace?: string; name: string } }>) => docs.map((d) => `${d.id!.kind}/${d.id!.namespace ? `${d.id!.namespace}/` : ''}${d.id!.name}`);
/** The 0-based line of the first line in `file` that matches `re`. */
const lineOf = (file: string, re: RegExp) => readFileSync(file, 'utf8').split('\n').findIndex((l) => re.test(l));

test('List documents: kind List and any *List with items, nested Lists flattened; a non-object item is refused', () => {
  assert.ok(isListDocument({ apiVersion: 'v1', kind: 'List', items: [] }));
  assert.ok(isListDocument({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleList', items: [] }));
  assert.ok(!isListDocument({ apiVersion: 'v1', kind: 'List' }), 'no items: not a List');
  assert.ok(!isListDocument({ apiVersion: 'v1', kind: 'ConfigMap', items: [] }), 'a kind not ending in List');
  const x = expandList({ kind: 'List', items: [{ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }] }, { metadata: { name: 'b' } }] });
  assert.deepEqual(x.items.map((i) => i.path), [['items', 0, 'items', 0]]);
  assert.deepEqual(x.problems.map((p) => p.message), ['items[1] of List is not a Kubernetes object (it needs apiVersion and kind): kubectl apply refuses the whole List']);
});

test('plain render: every List becomes its items, each with its own source lines; the YAML holds no List', async () => {
  const r = await createRenderer({ trusted: false, env: { PATH: '' } }).render({ kind: 'plain', files });
  assert.ok(r.ok, !r.ok ? r.error.message : '');
  assert.deepEqual(ids(r.documents), ['Namespace/lists-dev', 'ConfigMap/settings', 'ConfigMap/lists-dev/flags', 'Role/reader', 'Role/writer', 'ServiceAccount/robot', 'RoleBinding/robot-reads']);
  // Each item is defined at its own line (the lens and "go to definition" land there).
  const cm = files[1];
  const nested = files[3];
  assert.deepEqual(
    r.documents.map((d) => [d.source!.file, d.source!.range.start.line]),
    [
      [files[0], 0],
      [cm, lineOf(cm, /name: settings/) - 3],
      [cm, lineOf(cm, /name: flags/) - 3],
      [files[2], lineOf(files[2], /name: reader/) - 3],
      [files[2], lineOf(files[2], /name: writer/) - 3],
      [nested, lineOf(nested, /name: robot$/) - 3],
      [nested, lineOf(nested, /name: robot-reads/) - 3],
    ],
  );
  // The rendered YAML (what `reconcile render` prints and `check` validates) has the items, each
  // document at the range the result says.
  const again = parseManifests(r.yaml);
  assert.deepEqual(ids(again.documents), ids(r.documents));
  assert.ok(!again.documents.some((d) => isListDocument(d.value)));
  for (const [i, d] of r.documents.entries()) assert.equal(again.documents[i].range.start.line <= d.range.start.line && d.range.start.line <= again.documents[i].range.end.line, true, `document ${i} range`);
  assert.equal(r.documents[2].object.data && (r.documents[2].object.data as Record<string, unknown>).beta, 'on');
  // One desired object per item.
  assert.equal(desiredFromDocuments(r.documents).objects.length, 7);
});

test('plain render: a List item that is not a Kubernetes object fails the render with the file and the item', async () => {
  const file = join(fixtures, 'bad', 'item-without-kind.yaml');
  const r = await createRenderer({ trusted: false, env: { PATH: '' } }).render({ kind: 'plain', files: [file] });
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'invalid-input');
  assert.equal(r.error.file, file);
  assert.equal(r.error.message, `${file}: items[1] of List is not a Kubernetes object (it needs apiVersion and kind): kubectl apply refuses the whole List`);
});

test('helm: a template that prints a ConfigMapList renders as its ConfigMaps, from the template file', async () => {
  const tools = realTools();
  const chartDir = join(fixtures, 'chart');
  const r = await createRenderer({ trusted: true, tools: { helm: tools.helm, kubectl: tools.kubectl } }).render({ kind: 'helm', chartDir, releaseName: 'rel', valueFiles: [] });
  assert.ok(r.ok, !r.ok ? r.error.message : '');
  assert.deepEqual(ids(r.documents), ['ConfigMap/rel-one', 'ConfigMap/rel-two']);
  assert.deepEqual(r.documents.map((d) => d.source?.file), [join(chartDir, 'templates', 'list.yaml'), join(chartDir, 'templates', 'list.yaml')]);
  assert.ok(!/^kind: ConfigMapList/m.test(r.yaml), r.yaml);
  assert.deepEqual(ids(parseManifests(r.yaml).documents), ids(r.documents));
});

test('kustomize: the items of a RoleList in a resource file are mapped back to their own lines', async () => {
  const tools = realTools();
  const dir = join(fixtures, 'kustomize');
  const r = await createRenderer({ trusted: true, tools: { kubectl: tools.kubectl } }).render({ kind: 'kustomize', dir });
  assert.ok(r.ok, !r.ok ? r.error.message : '');
  assert.deepEqual(ids(r.documents), ['Role/lists-k/reader', 'Role/lists-k/writer']);
  const roles = join(dir, 'roles.yaml');
  assert.deepEqual(r.documents.map((d) => [d.source?.file, d.source?.range.start.line]), [
    [roles, lineOf(roles, /name: reader/) - 3],
    [roles, lineOf(roles, /name: writer/) - 3],
  ]);
});

test('reconcile check: an item of a List is validated as the object it is, the finding on its own line', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'reconcile-lists-check-'));
  try {
    mkdirSync(join(repo, 'envs', 'dev'), { recursive: true });
    writeFileSync(join(repo, '.reconcile.yaml'), 'environments:\n  - name: dev\n    paths: ["envs/dev"]\n');
    const file = join(repo, 'envs', 'dev', 'deployments.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: apps/v1',
        'kind: DeploymentList',
        'items:',
        '  - apiVersion: apps/v1',
        '    kind: Deployment',
        '    metadata: {name: web}',
        '    spec:',
        '      replicas: "two"',
        '      selector: {matchLabels: {app: web}}',
        '      template:',
        '        metadata: {labels: {app: web}}',
        '        spec: {containers: [{name: web, image: "nginx:1.27"}]}',
        '',
      ].join('\n'),
    );
    const out = sink();
    const err = sink();
    const code = await main(['check', repo, '--env', 'dev', '--format', 'json', '--fail-on', 'error'], { out, err, env: { PATH: '' }, cwd: repo });
    const findings = JSON.parse(out.text) as Array<{ message: string; file: string; range: { start: { line: number } } }>;
    const replicas = findings.filter((f) => f.message.includes('spec.replicas'));
    assert.deepEqual(
      replicas.map((f) => [f.message.split(':').slice(0, 2).join(':'), f.file, f.range.start.line]),
      [['[dev] Deployment/web: spec.replicas', join('envs', 'dev', 'deployments.yaml'), 3]],
      JSON.stringify(findings, null, 1),
    );
    assert.equal(code, 1, err.text);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('check of the files as they are (and the editor while typing): each item of a List is validated as the object it is', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-lists-files-'));
  try {
    writeFileSync(
      join(dir, 'list.yaml'),
      ['apiVersion: v1', 'kind: List', 'items:', '  - apiVersion: v1', '    kind: ConfigMap', '    metadata: {name: a}', '    data: {x: 1}', '    colour: red', '  - apiVersion: v1', '    kind: List', '    items:', '      - metadata: {name: b}', ''].join('\n'),
    );
    const out = sink();
    const code = await main(['check', dir, '--format', 'json'], { out, err: sink(), env: { PATH: '' }, cwd: dir });
    const findings = JSON.parse(out.text) as Array<{ code: string; message: string; range: { start: { line: number } } }>;
    assert.deepEqual(
      findings.map((f) => [f.code, f.message, f.range.start.line]),
      [
        ['schema/type', 'data.x: expected string, got number 1', 6],
        ['schema/unknown-field', 'colour: unknown field', 7],
        ['schema/missing-api-version', 'items[1].items[0] of List is not a Kubernetes object (it needs apiVersion and kind): kubectl apply refuses the whole List', 11],
      ],
    );
    assert.equal(code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('policies on the files as they are: each item of a List is checked, its findings on its own lines (no quick fix edits the List)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-lists-policy-'));
  try {
    writeFileSync(
      join(dir, 'pods.yaml'),
      ['apiVersion: v1', 'kind: PodList', 'items:', '  - apiVersion: v1', '    kind: Pod', '    metadata: {name: a}', '    spec:', '      containers:', '        - name: a', '          image: nginx:latest', '          securityContext: {privileged: true}', ''].join('\n'),
    );
    const out = sink();
    await main(['check', dir, '--format', 'json'], { out, err: sink(), env: { PATH: '' }, cwd: dir });
    const findings = JSON.parse(out.text) as Array<{ code: string; range: { start: { line: number } }; fixes?: string[] }>;
    const at = (code: string) => findings.filter((f) => f.code === code).map((f) => [f.range.start.line, f.fixes ?? []]);
    assert.deepEqual(at('practice/image-tag'), [[9, []]], JSON.stringify(findings));
    assert.deepEqual(at('pss/privileged'), [[10, []]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('drift: an object that cannot be compared (no name, only generateName) is unknown, and drift exits 2, never 0', () => {
  const desired = { id: { group: 'batch', version: 'v1', kind: 'Job', name: '' }, object: { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'migrate-' } } };
  const r = compareLocal(desired, { state: 'untracked' } as never);
  assert.equal(r.status, 'unknown');
  assert.equal(r.status === 'unknown' && r.reason.message, 'the object has no name, only generateName migrate-: the server names it when it is created, so it cannot be compared');
  assert.equal(driftExitCode({ counts: countResults([r], 0) }), 2);
});
