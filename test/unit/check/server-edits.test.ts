// The language server (src/server/server.ts) keeps each open document's last parse and policy
// results and reuses them for the next version. Driven over LSP (stdio) like an editor: a
// multi-document file is opened and edited step by step with range edits; after each step its
// diagnostics must equal those of the same text opened fresh as another document (no reuse).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const repoRoot = join(__dirname, '..', '..', '..');
const vapDir = join(repoRoot, 'test', 'fixtures', 'policy', 'vap');

interface Diag {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
  code?: string | number;
  severity?: number;
}

const EXTRA = [
  'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop-prod}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n',
  'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: scaled, namespace: shop-prod}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: scaled}\n  minReplicas: 1\n  maxReplicas: 4\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: shop-dev}\ndata:\n  api_token: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n  flag: on\n',
  'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, namespace: shop-prod}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: "busybox:latest", livenessProbe: {tcpSocket: {port: 80}}, securityContext: {privileged: yes}}]\n',
];

/** The single range edit that turns `a` into `b` (common prefix and suffix kept). */
function rangeEdit(a: string, b: string) {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  const pos = (offset: number) => {
    const before = a.slice(0, offset).split('\n');
    return { line: before.length - 1, character: before[before.length - 1].length };
  };
  return { range: { start: pos(p), end: pos(a.length - s) }, text: b.slice(p, b.length - s) };
}

test('language server: after each edit of an open file its diagnostics equal those of the same text opened fresh', { timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'reconcile-server-edits-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'server', 'server.ts'), '--stdio'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, KUBECONFIG: join(root, 'no-kubeconfig') } });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  try {
    mkdirSync(join(root, 'apps'));
    cpSync(join(vapDir, 'policies'), join(root, 'policies'), { recursive: true });
    const published = new Map<string, { version?: number; diagnostics: Diag[] }>();
    const waiters: Array<() => void> = [];
    let learned = false;
    conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: Diag[] }) => {
      published.set(p.uri, { version: p.version, diagnostics: p.diagnostics });
      for (const w of waiters.splice(0)) w();
    });
    conn.onNotification('window/logMessage', (m: { message: string }) => {
      if (/^Learned CRDs/.test(m.message)) learned = true;
      for (const w of waiters.splice(0)) w();
    });
    conn.onRequest(() => null);
    conn.listen();
    const until = async (ok: () => boolean) => {
      while (!ok()) await new Promise<void>((r) => waiters.push(r));
    };
    const uri = (name: string) => pathToFileURL(join(root, 'apps', name)).toString();
    const diagnosticsOf = async (u: string, version: number) => {
      await until(() => published.get(u)?.version === version);
      return published.get(u)!.diagnostics;
    };
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(root).toString(), workspaceFolders: [{ uri: pathToFileURL(root).toString(), name: 'w' }], capabilities: {} });
    await conn.sendNotification('initialized', {});
    await until(() => learned);

    const docs = readFileSync(join(vapDir, 'objects.yaml'), 'utf8').split(/^---\n/m);
    docs.push(...EXTRA);
    const edited = uri('edited.yaml');
    let text = docs.join('---\n');
    let version = 1;
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: edited, languageId: 'yaml', version, text } });
    const steps: Array<(d: string[]) => void> = [
      (d) => (d[3] = d[3].replace('replicas: 1', 'replicas: 4')), // a workload: only itself
      (d) => (d[1] = d[1].replace('env: staging', 'env: prod')), // a Namespace: the admission binding (Warn → Deny) of its objects
      (d) => (d[d.length - 4] = d[d.length - 4].replace('{app: web}', '{app: other}')), // the Service: the readiness of what it selected
      (d) => d.splice(2, 0, '# a comment that moves every document below\n'),
      (d) => (d[d.length - 3] = d[d.length - 3].replace('minReplicas: 1', 'minReplicas: 2')), // the HPA
      (d) => (d[d.length - 2] = d[d.length - 2].replace('flag: on', 'flag: "on"\n  password: q8Zr2LxW9vNf4TkP7mYs3HdB')),
      (d) => (d[5] = `${d[5]}  broken: [\n`), // being typed: not valid YAML
      (d) => (d[5] = d[5].replace('  broken: [\n', '')),
      (d) => d.push(d[4]), // a duplicate
      (d) => (d[d.length - 2] = d[d.length - 2].replace('privileged: yes', 'privileged: no')),
      (d) => d.splice(1, 1), // a Namespace removed
    ];
    let compared = 0;
    const codes = new Set<string>();
    for (const [i, step] of steps.entries()) {
      step(docs);
      const next = docs.join('---\n');
      version++;
      await conn.sendNotification('textDocument/didChange', { textDocument: { uri: edited, version }, contentChanges: [rangeEdit(text, next)] });
      text = next;
      const got = await diagnosticsOf(edited, version);
      const fresh = uri(`fresh-${i}.yaml`);
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: fresh, languageId: 'yaml', version: 1, text } });
      const expected = await diagnosticsOf(fresh, 1);
      assert.deepEqual(got, expected, `step ${i}`);
      compared += expected.length;
      for (const d of expected) codes.add(String(d.code));
      await conn.sendNotification('textDocument/didClose', { textDocument: { uri: fresh } });
    }
    assert.ok(compared > 50, `the steps have diagnostics to compare (${compared})`);
    for (const c of ['vap/min-replicas', 'pss/privileged', 'practice/probes', 'secret/cloud-credential', 'gitops/duplicate-id']) assert.ok(codes.has(c), `${c} among ${[...codes].join(', ')}`);
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
  } finally {
    conn.dispose();
    child.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
