// Against the real kube-apiserver (the current release, test/harness/cluster.mjs): every manifest of
// test/fixtures/schema/apiserver/ that the server rejects in a dry run for a schema reason is
// flagged by us, the controls it accepts get nothing, and our bundled schemas agree with the
// server's /openapi/v3 on the fields of the kinds both know (fields of the server that are newer than
// the bundle are reported). Starts and stops its own cluster (≈10 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { fixtures, repoRoot } from './helpers';
import { SchemaRegistry, SchemaValidator } from '../../../src/core/schema';

const execFileP = promisify(execFile);
const harness = (name: string) => pathToFileURL(join(repoRoot, 'test', 'harness', name)).href;
const corpusDir = join(fixtures, 'apiserver');

interface Cluster {
  kubeconfig: string;
  server: string;
  token: string;
  caFile: string;
  stop(): Promise<void>;
}

function getJson(c: Cluster, path: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = request(`${c.server}${path}`, { ca: readFileSync(c.caFile), headers: { Authorization: `Bearer ${c.token}`, Accept: 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${path}: ${res.statusCode} ${text.slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `kubectl create --dry-run=server` (no client-side validation): the server's verdict. */
async function serverDryRun(kubectl: string, kubeconfig: string, file: string): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await execFileP(kubectl, ['--kubeconfig', kubeconfig, 'create', '--dry-run=server', '--validate=false', '-o', 'name', '-f', file], { timeout: 30_000 });
    return { ok: true, output: r.stdout.trim() };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { ok: false, output: (err.stderr || err.message).trim() };
  }
}

type Expectation = 'reject' | 'reject-not-schema' | 'accept' | 'accept-valid';

function expectationOf(text: string): Expectation {
  const first = text.split('\n', 1)[0];
  if (/^# server: reject \(not schema\)/.test(first)) return 'reject-not-schema';
  if (/^# server: reject/.test(first)) return 'reject';
  if (/^# server: accept, valid/.test(first)) return 'accept-valid';
  if (/^# server: accept/.test(first)) return 'accept';
  throw new Error(`no expectation line: ${first}`);
}

// ---- /openapi/v3 comparison -----------------------------------------------------------------

interface FieldInfo {
  type: string;
}

/** Every field path of a v3 component schema (`spec.template.spec.containers[].image` → type). */
function v3Fields(schemas: Record<string, any>, name: string, maxDepth = 14): Map<string, FieldInfo> {
  const out = new Map<string, FieldInfo>();
  const walk = (s: any, path: string, depth: number, seen: Set<string>) => {
    if (!s || depth > maxDepth) return;
    if (Array.isArray(s.allOf) && s.allOf.length === 1 && !s.properties) return walk(s.allOf[0], path, depth, seen); // v3 wraps a $ref with a description
    if (s.$ref) {
      const ref = String(s.$ref).replace('#/components/schemas/', '');
      if (seen.has(ref)) return;
      return walk(schemas[ref], path, depth, new Set([...seen, ref]));
    }
    if (path) out.set(path, { type: s['x-kubernetes-int-or-string'] ? 'int-or-string' : s.type ?? (s.properties ? 'object' : 'any') });
    for (const [k, v] of Object.entries<any>(s.properties ?? {})) walk(v, path ? `${path}.${k}` : k, depth + 1, seen);
    if (s.items) walk(s.items, `${path}[]`, depth + 1, seen);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${path}{}`, depth + 1, seen);
  };
  walk(schemas[name], '', 0, new Set([name]));
  return out;
}

/** The same for our self-contained schema of a kind. */
function ourFields(schema: any, maxDepth = 14): Map<string, FieldInfo> {
  const defs = schema.definitions ?? {};
  const out = new Map<string, FieldInfo>();
  const walk = (s: any, path: string, depth: number, seen: Set<string>) => {
    if (!s || depth > maxDepth) return;
    if (s.$ref) {
      const ref = String(s.$ref).replace('#/definitions/', '');
      if (seen.has(ref)) return;
      return walk(defs[ref], path, depth, new Set([...seen, ref]));
    }
    const t = Array.isArray(s.type) ? (s['x-kubernetes-int-or-string'] ? 'int-or-string' : s.format === 'quantity' ? 'quantity' : s.type.join('|')) : s.type ?? 'any';
    if (path) out.set(path, { type: t });
    for (const [k, v] of Object.entries<any>(s.properties ?? {})) walk(v, path ? `${path}.${k}` : k, depth + 1, seen);
    if (s.items) walk(s.items, `${path}[]`, depth + 1, seen);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${path}{}`, depth + 1, seen);
  };
  walk(schema, '', 0, new Set());
  return out;
}

/** Types that mean the same thing in the server's OpenAPI and in our bundle. */
function sameType(server: string, ours: string): boolean {
  if (server === ours) return true;
  if (server === 'string' && ours === 'quantity') return true; // OpenAPI writes Quantity as a string
  if (server === 'any' || ours === 'any') return true;
  return false;
}

const COMPARED: [string, string, string, string][] = [
  ['apps', 'v1', 'Deployment', 'io.k8s.api.apps.v1.Deployment'],
  ['apps', 'v1', 'StatefulSet', 'io.k8s.api.apps.v1.StatefulSet'],
  ['apps', 'v1', 'DaemonSet', 'io.k8s.api.apps.v1.DaemonSet'],
  ['', 'v1', 'Pod', 'io.k8s.api.core.v1.Pod'],
  ['', 'v1', 'Service', 'io.k8s.api.core.v1.Service'],
  ['', 'v1', 'ConfigMap', 'io.k8s.api.core.v1.ConfigMap'],
  ['', 'v1', 'Secret', 'io.k8s.api.core.v1.Secret'],
  ['', 'v1', 'ServiceAccount', 'io.k8s.api.core.v1.ServiceAccount'],
  ['batch', 'v1', 'Job', 'io.k8s.api.batch.v1.Job'],
  ['networking.k8s.io', 'v1', 'Ingress', 'io.k8s.api.networking.v1.Ingress'],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'io.k8s.api.networking.v1.NetworkPolicy'],
  ['autoscaling', 'v1', 'HorizontalPodAutoscaler', 'io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler'],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'io.k8s.api.rbac.v1.ClusterRole'],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'io.k8s.api.rbac.v1.RoleBinding'],
];

test('apiserver corpus and /openapi/v3 comparison (the current kube-apiserver)', { timeout: 240_000 }, async (t) => {
  const { loadTools } = await import(harness('tools.mjs'));
  const tools = loadTools({ require: ['etcd', 'kubeApiserver', 'kubectl'] });
  const serverVersion = String(tools.kubernetesVersion ?? 'the server').replace(/^v(\d+\.\d+)\..*$/, '$1');
  const { startCluster } = await import(harness('cluster.mjs'));
  const cluster: Cluster = await startCluster({ log: () => {} });
  try {
    const validator = new SchemaValidator();
    const files = readdirSync(corpusDir).filter((f) => f.endsWith('.yaml')).sort();
    assert.ok(files.length >= 25);
    const report: string[] = [];
    const missed: string[] = [];
    let rejectedForSchema = 0;
    for (const f of files) {
      const path = join(corpusDir, f);
      const text = readFileSync(path, 'utf8');
      const expect = expectationOf(text);
      const server = await serverDryRun(tools.kubectl, cluster.kubeconfig, path);
      const ours = validator.validateFile(path, text).filter((x) => x.severity === 'error' || x.severity === 'warning');
      const line = `${f}: server ${server.ok ? 'accepted' : `rejected (${server.output.split('\n').pop()?.slice(0, 160)})`}; ours: ${ours.map((x) => `${x.code} ${x.message}`).join(' | ') || 'nothing'}`;
      report.push(line);
      if (expect === 'reject' || expect === 'reject-not-schema') {
        assert.equal(server.ok, false, `${f}: the server was expected to reject it\n${server.output}`);
      } else {
        assert.equal(server.ok, true, `${f}: the server was expected to accept it\n${server.output}`);
      }
      if (expect === 'reject') {
        rejectedForSchema++;
        if (ours.length === 0) missed.push(line);
      }
      if (expect === 'accept-valid') assert.deepEqual(ours, [], `${f}: valid, must get nothing`);
      if (expect === 'accept') assert.ok(ours.length > 0, `${f}: we flag it although the server ignores it`);
    }
    t.diagnostic(`corpus: ${files.length} manifests, ${rejectedForSchema} rejected by the server for schema reasons, ${missed.length} of them missed by us`);
    for (const l of report) t.diagnostic(l);
    assert.deepEqual(missed, [], 'every schema rejection of the server is flagged by us');

    // /openapi/v3: every field of our bundled schema (its newest release) exists on the server with a
    // compatible type; fields the server knows beyond the bundle (a newer release) are reported, not asserted.
    const registry = new SchemaRegistry();
    const index = await getJson(cluster, '/openapi/v3');
    const docs = new Map<string, Record<string, any>>();
    const problems: string[] = [];
    for (const [g, v, k, def] of COMPARED) {
      const gv = g ? `apis/${g}/${v}` : `api/${v}`;
      if (!docs.has(gv)) docs.set(gv, (await getJson(cluster, index.paths[gv].serverRelativeURL)).components.schemas);
      const server = v3Fields(docs.get(gv)!, def);
      const ours = ourFields(registry.jsonSchemaFor(g, v, k));
      const newer: string[] = [];
      for (const [p, info] of server) {
        if (p.startsWith('status') || p.includes('.status.')) continue; // status is written by controllers
        const o = ours.get(p);
        if (!o) newer.push(p);
        else if (!sameType(info.type, o.type)) problems.push(`${k}: ${p} is ${info.type} on ${serverVersion}, ${o.type} in ours`);
      }
      for (const p of ours.keys()) if (!server.has(p) && !p.startsWith('status')) problems.push(`${k}: ${p} is in our schema but not on ${serverVersion}`);
      t.diagnostic(`${g || 'core'}/${v} ${k}: ${server.size} field paths in ${serverVersion} /openapi/v3, ${ours.size} in ours; ${newer.length} newer than the bundle${newer.length ? ` (${newer.slice(0, 4).join(', ')}${newer.length > 4 ? ', …' : ''})` : ''}`);
    }
    for (const p of problems) t.diagnostic(p);
    assert.deepEqual(problems, []);
  } finally {
    await cluster.stop();
  }
});
