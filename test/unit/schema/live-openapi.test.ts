// Schemas from a live cluster, without a cluster: the OpenAPI v3 and v2 fixtures of
// test/fixtures/schema/openapi/ converted to strict self-contained schemas, and loadClusterSchemas
// over a fake fetcher (hash cache, ETag revalidation, stale group-versions, offline fallback,
// registration), plus the typed errors and kubeconfigFetcher against local plain servers.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { covered, fixtures } from './helpers';
import { SchemaRegistry, SchemaValidator, type JsonSchema } from '../../../src/core/schema';
import { convertOpenApi } from '../../../src/core/schema/openapi';
import {
  clearClusterSchemaMemory,
  errorForStatus,
  kubeconfigFetcher,
  loadClusterSchemas,
  pruneClusterSchemaCache,
  registerClusterSchemas,
  unregisterClusterSchemas,
  type ClusterSchemaResult,
  type OpenApiFetcher,
  type OpenApiGetOptions,
  type OpenApiResponse,
} from '../../../src/core/schema/live';
import type { Finding } from '../../../src/core/findings';
import { ClusterError } from '../../../src/core/cluster/errors';

const v3dir = join(fixtures, 'openapi', 'v3');
const v3 = (name: string) => readFileSync(join(v3dir, name), 'utf8');
const v2doc = () => JSON.parse(readFileSync(join(fixtures, 'openapi', 'v2', 'swagger.json'), 'utf8'));

const tmpRoot = mkdtempSync(join(tmpdir(), 'reconcile-live-openapi-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
let dirs = 0;
const newCacheDir = () => join(tmpRoot, `cache-${++dirs}`);

/** Findings as `code covered-text`, for a YAML text validated with the registry. */
function check(registry: SchemaRegistry, text: string): string[] {
  const v = new SchemaValidator({ registry, learnCrds: false, celBudgetMs: 10_000 }); // a cold CEL engine must not run out of time
  const path = join(tmpRoot, `doc-${++dirs}.yaml`);
  return v.validateFile(path, text).map((f: Finding) => `${f.code} ${covered(text, f)}`);
}

function registryWith(kinds: { group: string; version: string; kind: string; schema: JsonSchema; celRules: never[] | unknown[] }[]): SchemaRegistry {
  const r = new SchemaRegistry();
  for (const k of kinds) r.registerSchema(k.group, k.version, k.kind, k.schema, { source: 'cluster', origin: 'test', close: false, celRules: k.celRules as never[] });
  return r;
}

const VALID_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 25%, maxUnavailable: 1 }
  template:
    metadata:
      labels: { app: web }
    spec:
      restartPolicy: Always
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicy: IfNotPresent
          ports:
            - { containerPort: 8080, name: http, protocol: TCP }
          readinessProbe:
            httpGet: { path: /healthz, port: http }
          resources:
            requests: { cpu: 500m, memory: 128Mi }
            limits: { cpu: 1.5, memory: 1Gi }
`;

test('v3 document → strict self-contained kind schemas: refs via components/schemas, allOf wrappers, int-or-string, quantity', () => {
  const c = convertOpenApi(JSON.parse(v3('apis__apps__v1.json')), { only: { group: 'apps', version: 'v1' } });
  assert.equal(c.format, 'openapi-v3');
  // DeploymentList (a list), DeleteOptions (meta, many groups) and autoscaling/v1 Scale (another group) are not kinds of apps/v1.
  assert.deepEqual(c.kinds.map((k) => `${k.group}/${k.version}/${k.kind}`), ['apps/v1/Deployment']);
  const dep = c.kinds[0];
  assert.equal(dep.definition, 'io.k8s.api.apps.v1.Deployment');
  assert.equal(dep.schema.$ref, '#/$defs/io.k8s.api.apps.v1.Deployment');
  const defs = dep.schema.$defs as Record<string, JsonSchema>;
  assert.ok(!('io.k8s.api.apps.v1.DeploymentList' in defs) && !('io.k8s.api.autoscaling.v1.Scale' in defs), 'only what Deployment reaches');
  assert.ok('io.k8s.api.core.v1.Container' in defs && 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' in defs);
  const text = JSON.stringify(dep.schema);
  assert.ok(!text.includes('components/schemas') && !text.includes('"description"') && !text.includes('"default"') && !text.includes('x-kubernetes-list-type'));
  for (const m of text.matchAll(/"\$ref":"#\/\$defs\/([^"]+)"/g)) assert.ok(m[1] in defs, `${m[1]} is in $defs`);

  assert.deepEqual(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], { type: ['integer', 'string'], 'x-kubernetes-int-or-string': true });
  assert.deepEqual(defs['io.k8s.apimachinery.pkg.api.resource.Quantity'], { type: ['string', 'number'], format: 'quantity' });
  assert.deepEqual(defs['io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1'], { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  // allOf: [{$ref}] with default/description siblings becomes the bare $ref; objects are closed;
  // OpenAPI 3.0's `exclusiveMinimum: false` is dropped.
  assert.deepEqual(defs['io.k8s.api.apps.v1.DeploymentSpec'], {
    type: 'object',
    required: ['selector', 'template'],
    properties: {
      replicas: { type: 'integer', format: 'int32' },
      minReadySeconds: { type: 'integer', format: 'int32', minimum: 0 },
      selector: { $ref: '#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector' },
      template: { $ref: '#/$defs/io.k8s.api.core.v1.PodTemplateSpec' },
      strategy: { $ref: '#/$defs/io.k8s.api.apps.v1.DeploymentStrategy' },
    },
    additionalProperties: false,
  });
  assert.deepEqual(defs['io.k8s.api.core.v1.ContainerPort'].properties, {
    containerPort: { type: 'integer', format: 'int32' },
    name: { type: 'string' },
    protocol: { type: 'string', enum: ['SCTP', 'TCP', 'UDP'] },
  });

  const withDescriptions = convertOpenApi(JSON.parse(v3('apis__apps__v1.json')), { descriptions: true, only: { group: 'apps', version: 'v1' } });
  const d = withDescriptions.definitions['io.k8s.api.apps.v1.Deployment'] as { description?: string; properties: Record<string, JsonSchema> };
  assert.equal(d.description, 'Deployment enables declarative updates for Pods and ReplicaSets.');
  assert.deepEqual(d.properties.spec, { $ref: '#/$defs/io.k8s.api.apps.v1.DeploymentSpec', description: 'Specification of the desired behavior of the Deployment.' });
});

test('v3 schemas validate like the bundle: valid Deployment clean; wrong quantity, int-or-string, enum, type, unknown and missing fields flagged', () => {
  const c = convertOpenApi(JSON.parse(v3('apis__apps__v1.json')), { only: { group: 'apps', version: 'v1' } });
  const registry = registryWith(c.kinds);
  assert.equal(registry.resolve('apps', 'v1', 'Deployment')?.source, 'cluster');
  assert.deepEqual(check(registry, VALID_DEPLOYMENT), []);
  const bad = VALID_DEPLOYMENT.replace('replicas: 2', 'replicas: "2"')
    .replace('maxSurge: 25%', 'maxSurge: true')
    .replace('imagePullPolicy: IfNotPresent', 'imagePullPolicy: Sometimes')
    .replace('cpu: 500m', 'cpu: 1 core')
    .replace('      restartPolicy: Always\n', '      restartPolicy: Always\n      hostUsers: false\n')
    .replace('        - name: web\n', '        - image2: x\n');
  assert.deepEqual(check(registry, bad), [
    'schema/type "2"',
    'schema/type true',
    'schema/unknown-field hostUsers',
    'schema/required image2',
    'schema/unknown-field image2',
    'schema/enum Sometimes',
    'schema/format 1 core',
  ]);
});

test('CRD-style kind (v3): anyOf int-or-string, nullable, preserve-unknown-fields, embedded resource, exclusiveMinimum, allOf constraints, pattern, CEL', () => {
  const c = convertOpenApi(JSON.parse(v3('apis__example.com__v1.json')), { only: { group: 'example.com', version: 'v1' } });
  assert.deepEqual(c.kinds.map((k) => k.kind), ['Widget']);
  const w = c.kinds[0];
  assert.deepEqual(w.celRules.map((r) => [r.path.join('.'), r.rules.map((x) => x.message)]), [
    ['spec', ['minReplicas must not exceed maxReplicas']],
    ['spec.parts.*', ['count must be positive']],
  ]);
  const spec = (c.definitions['com.example.v1.Widget'].properties as Record<string, JsonSchema>).spec as { properties: Record<string, JsonSchema> };
  assert.deepEqual(spec.properties.port, { type: ['integer', 'string'], 'x-kubernetes-int-or-string': true });
  assert.deepEqual(spec.properties.ratio, { type: 'number', exclusiveMinimum: 0, maximum: 1 });
  assert.deepEqual(spec.properties.note, { type: 'string' });
  assert.deepEqual(spec.properties.pair, { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, allOf: [{ properties: { a: { minLength: 1 } } }], additionalProperties: false });

  const registry = registryWith(c.kinds);
  const valid = `apiVersion: example.com/v1
kind: Widget
metadata: { name: w }
spec:
  size: small
  minReplicas: 1
  maxReplicas: 3
  ratio: 0.5
  port: http
  memory: 1Gi
  note: null
  config: { anything: { goes: [1, 2] } }
  template:
    apiVersion: v1
    kind: ConfigMap
    metadata: { name: embedded }
    spec: { free: form }
  parts: [{ name: a, count: 2 }]
  pair: { a: first, b: second }
`;
  assert.deepEqual(check(registry, valid), []);
  const invalid = valid
    .replace('size: small', 'size: huge')
    .replace('maxReplicas: 3', 'maxReplicas: 0')
    .replace('ratio: 0.5', 'ratio: 0')
    .replace('port: http', 'port: 1.5')
    .replace('memory: 1Gi', 'memory: 1 GB')
    .replace('    spec: { free: form }', '    spec: { free: form }\n    extra: 1')
    .replace('count: 2', 'count: 0')
    .replace('pair: { a: first, b: second }', 'pair: { a: "", b: second }\n  colour: red');
  assert.deepEqual(check(registry, invalid), [
    'schema/cel spec', // minReplicas 1 > maxReplicas 0
    'schema/enum huge',
    'schema/constraint 0', // exclusiveMinimum 0
    'schema/type 1.5', // int-or-string
    'schema/constraint 1 GB', // pattern
    'schema/unknown-field extra', // the embedded resource is closed
    'schema/cel 0', // parts[0].count
    'schema/constraint ""', // pair.a: minLength 1 from allOf
    'schema/unknown-field colour',
  ]);
});

test('v2 document: #/definitions refs with description siblings, format int-or-string, string Quantity, RawExtension, a CRD as 1.20 publishes it', () => {
  const c = convertOpenApi(v2doc());
  assert.equal(c.format, 'openapi-v2');
  assert.deepEqual(c.kinds.map((k) => `${k.group}/${k.version}/${k.kind}`).sort(), ['/v1/LimitRange', '/v1/Service', 'apps/v1/ControllerRevision', 'live.example.com/v1/Gadget']);
  assert.deepEqual(c.definitions['io.k8s.api.core.v1.ServicePort'].properties, {
    port: { type: 'integer', format: 'int32' },
    protocol: { type: 'string' },
    targetPort: { $ref: '#/$defs/io.k8s.apimachinery.pkg.util.intstr.IntOrString' },
  });
  const gadgetSpec = ((c.definitions['com.example.live.v1.Gadget'].properties as Record<string, JsonSchema>).spec as { properties: Record<string, JsonSchema> }).properties;
  assert.deepEqual(gadgetSpec.port, { type: ['integer', 'string'], 'x-kubernetes-int-or-string': true });
  assert.deepEqual(gadgetSpec.note, {});
  assert.deepEqual(gadgetSpec.template, {
    'x-kubernetes-embedded-resource': true,
    'x-kubernetes-preserve-unknown-fields': true,
    type: 'object',
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: '#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' } },
  });

  const registry = registryWith(c.kinds);
  const docs = `apiVersion: v1
kind: Service
metadata: { name: s, clusterName: old }
spec:
  topologyKeys: ["*"]
  ports: [{ port: 80, targetPort: 8080 }, { port: 81, targetPort: http }]
---
apiVersion: v1
kind: LimitRange
metadata: { name: l }
spec:
  limits: [{ type: Container, max: { cpu: 2, memory: 1Gi } }]
---
apiVersion: apps/v1
kind: ControllerRevision
metadata: { name: r }
revision: 1
data: { any: [thing] }
---
apiVersion: live.example.com/v1
kind: Gadget
metadata: { name: g }
spec:
  size: small
  port: 8080
  note: [anything]
  config: { x: 1 }
  template: { apiVersion: v1, kind: Pod, metadata: { name: p }, spec: {} }
`;
  assert.deepEqual(check(registry, docs), [], '1.20 fields (clusterName, topologyKeys) are known; RawExtension has no required Raw');
  const bad = docs.replace('targetPort: 8080', 'targetPort: true').replace('memory: 1Gi', 'memory: 1 GB').replace('size: small', 'size: tiny\n  extra: 1').replace('revision: 1', 'revision: one');
  assert.deepEqual(check(registry, bad), ['schema/type true', 'schema/format 1 GB', 'schema/type one', 'schema/enum tiny', 'schema/unknown-field extra']);
});

// ---- loadClusterSchemas over a fake fetcher -------------------------------------------------------

/** Serves the v3 fixtures (or a v2 document), records every request, and can change or fail on demand. */
class FakeServer implements OpenApiFetcher {
  readonly server = 'https://fake.invalid:6443';
  calls: { path: string; ifNoneMatch?: string }[] = [];
  v3 = true;
  down = false;
  /** Hashes the discovery document lists instead of the current ones (it was read before a change). */
  staleDiscovery: Record<string, string> = {};
  docs: Record<string, { hash: string; body: string }> = {
    'api/v1': { hash: 'C0FE0001', body: v3('api__v1.json') },
    'apis/apps/v1': { hash: 'A9950001', body: v3('apis__apps__v1.json') },
    'apis/example.com/v1': { hash: 'E0A0001', body: v3('apis__example.com__v1.json') },
  };
  failing: Record<string, number> = {};
  v2 = { body: JSON.stringify(v2doc()), etag: '"ETAG-1"' as string | undefined };

  async get(path: string, _signal?: AbortSignal, options: OpenApiGetOptions = {}): Promise<OpenApiResponse> {
    this.calls.push({ path, ...(options.ifNoneMatch ? { ifNoneMatch: options.ifNoneMatch } : {}) });
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    if (path === '/openapi/v3') {
      if (!this.v3) return { status: 404, body: '{"paths":["/api","/openapi/v2"]}' };
      const disco = JSON.parse(v3('discovery.json')) as { paths: Record<string, { serverRelativeURL: string }> };
      for (const [gv, d] of Object.entries(this.docs)) disco.paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.staleDiscovery[gv] ?? d.hash}` };
      return { status: 200, body: JSON.stringify(disco) };
    }
    if (path === '/openapi/v2') {
      if (this.v2.etag && options.ifNoneMatch === this.v2.etag) return { status: 304, body: '', etag: this.v2.etag };
      return { status: 200, body: this.v2.body, ...(this.v2.etag ? { etag: this.v2.etag } : {}) };
    }
    const m = /^\/openapi\/v3\/(.+)\?hash=(.+)$/.exec(path);
    const d = m && this.docs[m[1]];
    if (!m || !d) return { status: 404, body: '{"kind":"Status","message":"not found","code":404}' };
    if (this.failing[m[1]]) return { status: this.failing[m[1]], body: '{"kind":"Status","message":"service unavailable","code":503}' };
    // A stale hash is redirected to the current one, as kube-apiserver does.
    if (m[2] !== d.hash) return { status: 301, body: '', location: `/openapi/v3/${m[1]}?hash=${d.hash}` };
    return { status: 200, body: d.body };
  }

  paths(): string[] {
    const out = this.calls.map((c) => c.path);
    this.calls = [];
    return out;
  }
}

const keysOf = (r: ClusterSchemaResult) => r.schemas.map((s) => `${s.group}/${s.version}/${s.kind}`).sort();

test('loadClusterSchemas (v3): each document is fetched once and cached by its hash for ever; a new hash fetches only that document', async () => {
  clearClusterSchemaMemory();
  const server = new FakeServer();
  const cacheDir = newCacheDir();
  const opts = { fetcher: server, cacheDir, context: 'fake' };

  const first = await loadClusterSchemas(opts);
  assert.equal(first.source, 'openapi-v3');
  assert.deepEqual(first.errors, []);
  assert.deepEqual(keysOf(first), ['/v1/ConfigMap', '/v1/Service', 'apps/v1/Deployment', 'example.com/v1/Widget']);
  assert.deepEqual(server.paths(), ['/openapi/v3', '/openapi/v3/api/v1?hash=C0FE0001', '/openapi/v3/apis/apps/v1?hash=A9950001', '/openapi/v3/apis/example.com/v1?hash=E0A0001']);
  assert.equal(first.stats.fetched, 3);
  assert.equal(readdirSync(join(cacheDir, 'documents')).length, 3);
  assert.equal(readdirSync(join(cacheDir, 'contexts')).length, 1);

  const registry = new SchemaRegistry();
  assert.deepEqual(registerClusterSchemas(registry, first), { registered: 4, total: 4 });
  const generation = registry.generation;

  const second = await loadClusterSchemas(opts);
  assert.deepEqual(server.paths(), ['/openapi/v3'], 'hash hits: no document is fetched again');
  assert.equal(second.stats.fetched, 0);
  assert.equal(second.stats.fromMemory, 3);
  assert.equal(second.fingerprint, first.fingerprint);
  assert.deepEqual(registerClusterSchemas(registry, second), { registered: 0, total: 4 });
  assert.equal(registry.generation, generation, 'nothing changed: compiled validators stay');

  clearClusterSchemaMemory(); // a new process
  const third = await loadClusterSchemas(opts);
  assert.deepEqual(server.paths(), ['/openapi/v3']);
  assert.equal(third.stats.fromDisk, 3);
  assert.deepEqual(keysOf(third), keysOf(first));
  assert.deepEqual(registerClusterSchemas(registry, third), { registered: 0, total: 4 }, 'converted again, but from the same documents');
  assert.equal(registry.generation, generation);

  // apps/v1 changes (a new field): only its document is fetched, only Deployment re-registered.
  const apps = JSON.parse(server.docs['apis/apps/v1'].body);
  apps.components.schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.paused = { type: 'boolean' };
  server.docs['apis/apps/v1'] = { hash: 'A9950002', body: JSON.stringify(apps) };
  const fourth = await loadClusterSchemas(opts);
  assert.deepEqual(server.paths(), ['/openapi/v3', '/openapi/v3/apis/apps/v1?hash=A9950002']);
  assert.equal(fourth.stats.fetched, 1);
  assert.notEqual(fourth.fingerprint, first.fingerprint);
  const reg2 = registerClusterSchemas(registry, fourth);
  assert.equal(reg2.registered, 1);
  assert.ok(registry.generation > generation);
  assert.deepEqual(check(registry, VALID_DEPLOYMENT.replace('  replicas: 2', '  replicas: 2\n  paused: true')), []);

  // The document changed between the discovery answer and its request: the redirect to the new
  // hash is followed, and the content is stored under the hash it really has.
  server.docs['api/v1'] = { hash: 'C0FE0002', body: server.docs['api/v1'].body.replace('"trafficDistribution"', '"internalTrafficPolicy"') };
  server.staleDiscovery['api/v1'] = 'C0FE0001';
  const fifth = await loadClusterSchemas(opts);
  assert.deepEqual(server.paths(), ['/openapi/v3']);
  assert.equal(fifth.stats.fetched, 0, 'C0FE0001 is a hash hit: the discovery answer is believed');
  server.staleDiscovery['api/v1'] = 'C0FE0000';
  const sixth = await loadClusterSchemas(opts);
  assert.deepEqual(server.paths(), ['/openapi/v3', '/openapi/v3/api/v1?hash=C0FE0000', '/openapi/v3/api/v1?hash=C0FE0002']);
  assert.ok(readdirSync(join(cacheDir, 'documents')).includes('v3-C0FE0002.json.gz'));
  assert.ok(!readdirSync(join(cacheDir, 'documents')).includes('v3-C0FE0000.json.gz'));
  registerClusterSchemas(registry, sixth);
  assert.deepEqual(check(registry, 'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec: { internalTrafficPolicy: Local }\n'), []);
});

test('loadClusterSchemas (v3): a failing group-version keeps its last good schemas and says so; a new one that fails is left out', async () => {
  clearClusterSchemaMemory();
  const server = new FakeServer();
  const opts = { fetcher: server, cacheDir: newCacheDir(), context: 'fake' };
  await loadClusterSchemas(opts);
  server.docs['apis/example.com/v1'] = { hash: 'E0A0002', body: server.docs['apis/example.com/v1'].body };
  server.failing['apis/example.com/v1'] = 503;
  server.docs['apis/new.example.com/v1'] = { hash: 'FEED0001', body: v3('apis__example.com__v1.json') };
  server.failing['apis/new.example.com/v1'] = 403;
  const r = await loadClusterSchemas(opts);
  assert.equal(r.source, 'openapi-v3');
  assert.ok(keysOf(r).includes('example.com/v1/Widget'), 'stale but present');
  assert.deepEqual(r.errors.map((e) => [e.kind, e.message]), [
    ['server', 'apis/example.com/v1: 503 from the API server for GET /openapi/v3/apis/example.com/v1?hash=E0A0002: service unavailable (using the cached schemas)'],
    ['forbidden', 'apis/new.example.com/v1: 403 Forbidden: service unavailable'],
  ]);
});

test('offline: the cluster unreachable → the last good answer from the cache (source cache, the error); never loaded → source none', async () => {
  clearClusterSchemaMemory();
  const server = new FakeServer();
  const cacheDir = newCacheDir();
  const online = await loadClusterSchemas({ fetcher: server, cacheDir, context: 'fake' });
  const registry = new SchemaRegistry();
  registerClusterSchemas(registry, online);

  server.down = true;
  clearClusterSchemaMemory();
  const offline = await loadClusterSchemas({ fetcher: server, cacheDir, context: 'fake' });
  assert.equal(offline.source, 'cache');
  assert.equal(offline.format, 'openapi-v3');
  assert.equal(offline.fetchedAt, online.fetchedAt);
  assert.deepEqual(keysOf(offline), keysOf(online));
  assert.equal(offline.stats.fromDisk, 3);
  assert.deepEqual(offline.errors.map((e) => [e.kind, e.message]), [['unreachable', 'connection refused (https://fake.invalid:6443)']]);

  const never = await loadClusterSchemas({ fetcher: server, cacheDir, context: 'other' });
  assert.equal(never.source, 'none');
  assert.deepEqual(never.schemas, []);
  assert.equal(never.errors[0].kind, 'unreachable');
  assert.deepEqual(registerClusterSchemas(registry, never, 'cluster:fake'), { registered: 0, total: 4 }, 'nothing known: what was registered stays');
  assert.equal(registry.resolve('example.com', 'v1', 'Widget')?.source, 'cluster');
});

test('a damaged cached document is reported when offline and fetched again when online', async () => {
  clearClusterSchemaMemory();
  const server = new FakeServer();
  const cacheDir = newCacheDir();
  await loadClusterSchemas({ fetcher: server, cacheDir, context: 'fake' });
  writeFileSync(join(cacheDir, 'documents', 'v3-A9950001.json.gz'), gzipSync('{"not":"openapi"}'));
  clearClusterSchemaMemory();
  server.down = true;
  const offline = await loadClusterSchemas({ fetcher: server, cacheDir, context: 'fake' });
  assert.equal(offline.source, 'cache');
  assert.deepEqual(keysOf(offline), ['/v1/ConfigMap', '/v1/Service', 'example.com/v1/Widget']);
  assert.deepEqual(offline.errors.map((e) => e.message), ['connection refused (https://fake.invalid:6443)', 'the cached schema document apis/apps/v1 is missing or damaged']);
  server.down = false;
  server.calls = [];
  const online = await loadClusterSchemas({ fetcher: server, cacheDir, context: 'fake' });
  assert.deepEqual(server.paths(), ['/openapi/v3', '/openapi/v3/apis/apps/v1?hash=A9950001']);
  assert.ok(keysOf(online).includes('apps/v1/Deployment'));
  clearClusterSchemaMemory();
  server.down = true;
  const repaired = await loadClusterSchemas({ fetcher: server, cacheDir, context: 'fake' });
  assert.deepEqual(keysOf(repaired), keysOf(online), 'the document was stored again');
  assert.equal(repaired.errors.length, 1);
});

test('v3 not served (404) → /openapi/v2, revalidated with If-None-Match; a changed body is fetched and converted again', async () => {
  clearClusterSchemaMemory();
  const server = new FakeServer();
  server.v3 = false;
  const opts = { fetcher: server, cacheDir: newCacheDir(), context: 'old' };
  const first = await loadClusterSchemas(opts);
  assert.equal(first.source, 'openapi-v2');
  assert.deepEqual(keysOf(first), ['/v1/LimitRange', '/v1/Service', 'apps/v1/ControllerRevision', 'live.example.com/v1/Gadget']);
  assert.deepEqual(server.calls, [{ path: '/openapi/v3' }, { path: '/openapi/v2' }]);
  server.calls = [];
  const second = await loadClusterSchemas(opts);
  assert.deepEqual(server.calls, [{ path: '/openapi/v3' }, { path: '/openapi/v2', ifNoneMatch: '"ETAG-1"' }]);
  assert.equal(second.stats.notModified, 1);
  assert.equal(second.stats.fetched, 0);
  assert.equal(second.schemas[0].schema, first.schemas[0].schema, 'the converted document is reused');
  server.calls = [];

  const doc = v2doc();
  doc.definitions['io.k8s.api.core.v1.ServiceSpec'].properties.clusterIP = { type: 'string' };
  server.v2 = { body: JSON.stringify(doc), etag: '"ETAG-2"' };
  const third = await loadClusterSchemas(opts);
  assert.equal(third.stats.fetched, 1);
  assert.notEqual(third.fingerprint, first.fingerprint);
  const registry = new SchemaRegistry();
  registerClusterSchemas(registry, third);
  assert.deepEqual(check(registry, 'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec: { clusterIP: None }\n'), []);

  // Without an ETag the body is fetched each time, but the same content is not converted again.
  server.v2 = { body: server.v2.body, etag: undefined };
  const fourth = await loadClusterSchemas(opts);
  const fifth = await loadClusterSchemas(opts);
  assert.equal(fifth.stats.fetched, 1);
  assert.equal(fifth.schemas[0].schema, fourth.schemas[0].schema);
  assert.equal(fifth.fingerprint, third.fingerprint);
});

test('registering: the cluster outranks repository CRDs and the bundle; kinds the cluster no longer serves fall back', async () => {
  clearClusterSchemaMemory();
  const server = new FakeServer();
  const result = await loadClusterSchemas({ fetcher: server, cacheDir: newCacheDir(), context: 'fake' });
  const registry = new SchemaRegistry();
  registry.registerCrdsFromText(
    `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { kind: Widget, plural: widgets }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, properties: { size: { type: string, enum: [small, large, huge] } } }
`,
    'repo/widget-crd.yaml',
  );
  const widget = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\nspec: { size: huge }\n';
  assert.deepEqual(check(registry, widget), [], 'the repository CRD allows huge');
  const service = 'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec: { type: ClusterIP, ipFamilyPolicy: SingleStack }\n';
  assert.deepEqual(check(registry, service), [], 'the bundle (1.36) knows ipFamilyPolicy');

  registerClusterSchemas(registry, result);
  assert.equal(registry.resolve('example.com', 'v1', 'Widget')?.source, 'cluster');
  assert.deepEqual(check(registry, widget), ['schema/enum huge']);
  assert.deepEqual(check(registry, service), ['schema/unknown-field ipFamilyPolicy'], "the cluster's Service has no ipFamilyPolicy");

  // The cluster stops serving example.com/v1: Widget falls back to the repository CRD.
  delete server.docs['apis/example.com/v1'];
  const next = await loadClusterSchemas({ fetcher: server, cacheDir: newCacheDir(), context: 'fake' });
  registerClusterSchemas(registry, next);
  assert.equal(registry.resolve('example.com', 'v1', 'Widget')?.source, 'repo');
  assert.equal(registry.resolve('', 'v1', 'Service')?.source, 'cluster');
  unregisterClusterSchemas(registry, 'cluster:fake');
  assert.equal(registry.resolve('', 'v1', 'Service')?.source, 'bundled');
  assert.deepEqual(registerClusterSchemas(registry, next).registered, 3, 'after unregistering, everything is registered again');
});

test('a cancelled load rejects with an aborted error and does not fall back to the cache', async () => {
  const server = new FakeServer();
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(loadClusterSchemas({ fetcher: server, cacheDir: newCacheDir(), context: 'fake', signal: ac.signal }), (e: unknown) => e instanceof ClusterError && e.kind === 'aborted');
  assert.deepEqual(server.calls, []);
});

test('errors: HTTP statuses become typed one-line ClusterErrors (network failures: test/unit/cluster/errors.test.ts)', () => {
  const status = (s: number, body = '') => errorForStatus({ status: s, body }, '/openapi/v2', 'prod', 'https://k.example:6443');
  const forbidden = status(403, JSON.stringify({ kind: 'Status', message: 'forbidden: User "viewer" cannot get path "/openapi/v2"\nmore', code: 403 }));
  const cases: [ClusterError, string, string][] = [
    [status(401, '{"kind":"Status","message":"Unauthorized"}'), 'unauthorized', '401 Unauthorized: the cluster rejected the credentials of context "prod" (expired or wrong token or certificate?)'],
    [forbidden, 'forbidden', '403 Forbidden: forbidden: User "viewer" cannot get path "/openapi/v2"'],
    [status(404), 'not-found', '404 Not Found: GET /openapi/v2'],
    [status(503, 'upstream down'), 'server', '503 from the API server for GET /openapi/v2: upstream down'],
    [status(504), 'timeout', '504 from the API server for GET /openapi/v2'],
    [status(418), 'protocol', '418 for GET /openapi/v2'],
  ];
  for (const [e, kind, message] of cases) {
    assert.equal(e.kind, kind, message);
    assert.equal(e.message, message);
    assert.ok(!e.message.includes('\n'));
  }
  assert.equal(forbidden.details.status, 403);
  assert.equal(forbidden.details.path, '/openapi/v2');
  assert.ok(cases.every(([e]) => e instanceof ClusterError));
});

test('pruning deletes only documents no context refers to, and only old ones', async () => {
  clearClusterSchemaMemory();
  const server = new FakeServer();
  const cacheDir = newCacheDir();
  await loadClusterSchemas({ fetcher: server, cacheDir, context: 'fake' });
  server.docs['apis/apps/v1'] = { hash: 'A9950009', body: server.docs['apis/apps/v1'].body.replace('"replicas"', '"replicaCount"') };
  await loadClusterSchemas({ fetcher: server, cacheDir, context: 'fake' });
  const docsDir = join(cacheDir, 'documents');
  assert.equal(readdirSync(docsDir).length, 4);
  assert.equal(await pruneClusterSchemaCache(cacheDir), 0, 'the replaced document is too recent to delete');
  const old = (Date.now() - 2 * 24 * 3600_000) / 1000;
  for (const f of readdirSync(docsDir)) utimesSync(join(docsDir, f), old, old);
  assert.ok((await pruneClusterSchemaCache(cacheDir)) > 0);
  assert.deepEqual(readdirSync(docsDir).sort(), ['v3-A9950009.json.gz', 'v3-C0FE0001.json.gz', 'v3-E0A0001.json.gz']);
  server.down = true;
  clearClusterSchemaMemory();
  assert.equal((await loadClusterSchemas({ fetcher: server, cacheDir, context: 'fake' })).stats.fromDisk, 3, 'the offline cache is intact');
});

// ---- kubeconfigFetcher against local plain servers ----------------------------------------------

function kubeconfigFor(server: string, token: string): string {
  const file = join(tmpRoot, `kubeconfig-${++dirs}.yaml`);
  writeFileSync(file, `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: "${token}" } }]
contexts: [{ name: ctx, context: { cluster: c, user: u } }]
current-context: ctx
`);
  return file;
}

test('kubeconfigFetcher (plain http): the token is sent, gzip is decoded, the ETag comes back, If-None-Match goes out; a silent server times out', { timeout: 60_000 }, async (t) => {
  const seen: http.IncomingHttpHeaders[] = [];
  const body = JSON.stringify({ swagger: '2.0', definitions: {} });
  const srv = http.createServer((req, res) => {
    seen.push(req.headers);
    if (req.headers['if-none-match'] === '"E1"') {
      res.writeHead(304, { ETag: '"E1"' });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', ETag: '"E1"' });
    res.end(gzipSync(body));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => srv.close());
  const port = (srv.address() as net.AddressInfo).port;
  const fetcher = kubeconfigFetcher(kubeconfigFor(`http://127.0.0.1:${port}`, 'secret-token'), 'ctx');
  const r = await fetcher.get('/openapi/v2');
  assert.deepEqual(r, { status: 200, body, etag: '"E1"' });
  assert.equal(fetcher.server, `http://127.0.0.1:${port}`);
  assert.equal(seen[0].authorization, 'Bearer secret-token');
  assert.equal(seen[0]['accept-encoding'], 'gzip');
  assert.deepEqual(await fetcher.get('/openapi/v2', undefined, { ifNoneMatch: '"E1"' }), { status: 304, body: '', etag: '"E1"' });

  // A server that accepts the connection and never answers.
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const slow = kubeconfigFetcher(kubeconfigFor(`http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, 't'), 'ctx', { timeoutMs: 300 });
  const t0 = Date.now();
  await assert.rejects(slow.get('/openapi/v3'), (e: unknown) => e instanceof ClusterError && e.kind === 'timeout' && /within 300 ms/.test(e.message));
  assert.ok(Date.now() - t0 < 5000);

  // A closed port, a missing context, a missing file.
  const closedPort = await new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  await assert.rejects(kubeconfigFetcher(kubeconfigFor(`http://127.0.0.1:${closedPort}`, 't'), 'ctx').get('/openapi/v3'), (e: unknown) => e instanceof ClusterError && e.kind === 'unreachable');
  await assert.rejects(kubeconfigFetcher(kubeconfigFor(`http://127.0.0.1:${port}`, 't'), 'nope').get('/openapi/v3'), (e: unknown) => e instanceof ClusterError && e.kind === 'config' && /^no context "nope" in the kubeconfig \(\/.*kubeconfig-\d+\.yaml\)$/.test(e.message));
  await assert.rejects(kubeconfigFetcher(join(tmpRoot, 'missing.yaml'), 'ctx').get('/openapi/v3'), (e: unknown) => e instanceof ClusterError && e.kind === 'config' && /file does not exist/.test(e.message));
});
