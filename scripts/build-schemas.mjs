#!/usr/bin/env node
// Generates the bundled JSON schemas of src/core/schema/bundled/ from npm packages, offline and
// reproducibly (same packages → byte-identical output):
//
//   node scripts/build-schemas.mjs [--check]
//
// No npm package ships raw Kubernetes JSON schemas. kubernetes-models (Kubernetes 1.36) and
// @kubernetes-models/{argo-cd,flux-cd,cert-manager} ship, per OpenAPI definition, a `.d.ts`
// (property names, required vs optional, string enums, descriptions) and an ajv-compiled validator
// (`_schemas/<Definition>.js`: integer vs number, formats, patterns, bounds). The `.d.ts` files are
// read with the TypeScript parser; the validators are *probed*: each property is given values that
// break a rule, and the errors the validator reports say which rule (type integer, format int32,
// pattern …, minLength n, enum […]). Objects are then closed (additionalProperties: false) unless
// the type is free-form (RawExtension, JSON, FieldsV1: x-kubernetes-preserve-unknown-fields).
//
// Kubernetes versions: 1.36 is kubernetes-models itself. 1.34 is 1.36 restricted to the kinds and
// fields that @kubernetes/client-node (generated from the 1.34 OpenAPI) knows. 1.35 has no package
// of its own: it has the fields of 1.36 (lenient: a field added in 1.36 is accepted for 1.35) and
// the kinds of 1.34 plus those listed in ADDED_AFTER_134 for 1.35.
// The deprecated/removed apiVersions are a table in src/core/schema/deprecations.ts.
//
// Output (descriptions are kept out of what validation loads):
//   bundled/kubernetes.json    definitions + kinds, with per-version kind sets and field omissions
//   bundled/crds.json          Argo CD, Flux, cert-manager custom resources (definitions + kinds)
//   bundled/descriptions.json  descriptions per definition and property (for hover, loaded lazily)
//   bundled/manifest.json      versions, package versions, sizes and sha256 of the files above
import ts from 'typescript';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import os from 'node:os';
import yaml from 'js-yaml';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const nm = path.join(root, 'node_modules');
const outDir = path.join(root, 'src', 'core', 'schema', 'bundled');
const check = process.argv.includes('--check');

const LATEST = '1.37';
const VERSIONS = ['1.34', '1.35', '1.36', '1.37'];
/**
 * Versions taken from a real kube-apiserver's /openapi/v2 (scripts/fetch-openapi.mjs saves it from the
 * kube-apiserver that scripts/setup builds): converted by src/core/schema/openapi.ts (the converter of
 * live clusters' schemas); the definitions that differ from the package-derived ones (1.36) are stored
 * as that version's `overrides`, the kinds it serves get the version.
 */
const OPENAPI_VERSIONS = { '1.37': 'v1.37.2' };
const reconcileCache = process.env.RECONCILE_CACHE || path.join(os.homedir(), '.cache', 'reconcile');
/**
 * kubernetes-models also keeps API versions that Kubernetes removed long ago (extensions/v1beta1 …).
 * A kind is bundled when client-node (1.34) serves it, or when it is listed here with the minor
 * version that added it (from the Kubernetes release notes); every other kind is left out, and the
 * removed-API table (src/core/schema/deprecations.ts) says what replaced it.
 */
const ADDED_AFTER_134 = {
  'admissionregistration.k8s.io/v1/MutatingAdmissionPolicy': '1.36', // GA in 1.36
  'admissionregistration.k8s.io/v1/MutatingAdmissionPolicyBinding': '1.36',
};

const K8S_PACKAGES = ['kubernetes-models', '@kubernetes-models/apimachinery'];
const CRD_PACKAGES = [
  '@kubernetes-models/argo-cd', '@kubernetes-models/flux-cd', '@kubernetes-models/cert-manager',
  '@kubernetes-models/external-secrets', '@kubernetes-models/sealed-secrets', '@kubernetes-models/prometheus-operator',
  '@kubernetes-models/kyverno', '@kubernetes-models/argo-rollouts',
  '@kubernetes-models/keda',
];
/** Read only for the definitions the packages above reference. */
const REFERENCED_PACKAGES = ['@kubernetes-models/gateway-api']; // cert-manager's ACME solver → Gateway API
/**
 * CustomResourceDefinitions as their projects release them, from Go modules in the module cache
 * (GOMODCACHE, default the shared ~/.cache/reconcile/go/mod of scripts/setup; fill it with
 * `go mod download <module>@<version>`). Their kinds replace the package-derived ones: the CRD's
 * own schema keeps what the npm models lose (inline-embedded fields such as Flux's
 * healthCheckExprs[].current/failed, x-kubernetes-* markers, CEL rules). Stored as structural
 * schemas without descriptions (crds.json `raw`), converted at run time by src/core/schema/crd.ts,
 * the converter of the repository's own CRDs.
 */
const CRD_MODULES = [
  { module: 'github.com/fluxcd/source-controller', version: 'v1.9.5', dir: 'config/crd/bases' }, // Flux v2.9.5
  { module: 'github.com/fluxcd/kustomize-controller', version: 'v1.9.5', dir: 'config/crd/bases' },
  { module: 'github.com/fluxcd/helm-controller', version: 'v1.6.4', dir: 'config/crd/bases' },
  { module: 'github.com/argoproj/argo-cd/v3', version: 'v3.6.2', dir: 'manifests/crds' },
  { module: 'github.com/cert-manager/cert-manager', version: 'v1.21.2', dir: 'deploy/crds' },
  // Gateway API (its npm models lose fields such as HTTPRoute's parentRefs)
  { module: 'sigs.k8s.io/gateway-api', version: 'v1.7.0', dir: 'config/crd/standard' },
  // Istio's networking API (its npm models use types the reader does not follow)
  { module: 'istio.io/api', version: 'v1.32.0', dir: 'kubernetes', groups: ['networking.istio.io'] },
];
const goModCache = process.env.GOMODCACHE || path.join(reconcileCache, 'go', 'mod');
/** The module cache's folder of a module version (upper-case letters are escaped as `!x`). */
function moduleDir(m) {
  const esc = (x) => x.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
  return path.join(goModCache, `${esc(m.module)}@${esc(m.version)}`);
}
/** Formats the runtime validator implements (others are dropped: the apiserver ignores most). */
const KEPT_FORMATS = new Set(['int32', 'int64', 'quantity', 'byte', 'date-time']);

// ---------------------------------------------------------------------------------------------
// 1. Read the .d.ts files.

/** @typedef {{ name: string, pkg: string, file: string, node: ts.InterfaceDeclaration | ts.TypeAliasDeclaration, sf: ts.SourceFile, locals: Map<string,string> }} Decl */
/** @type {Map<string, Decl>} canonical definition name → declaration */
const decls = new Map();

function walk(dir, out = []) {
  for (const n of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, n);
    if (fs.statSync(p).isDirectory()) {
      if (n !== '_schemas' && n !== 'node_modules') walk(p, out);
    } else if (n.endsWith('.d.ts') && n !== 'index.d.ts') out.push(p);
  }
  return out;
}

function readPackage(pkg) {
  const dir = path.join(nm, pkg);
  for (const file of walk(dir)) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    // `export type { IDeploymentSpec as IIoK8sApiAppsV1DeploymentSpec, … }` names the definition.
    const locals = new Map();
    for (const st of sf.statements) {
      if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) {
          if (el.propertyName && el.name.text.startsWith('I') && el.propertyName.text.startsWith('I')) locals.set(el.propertyName.text, el.name.text.slice(1));
        }
      }
    }
    for (const st of sf.statements) {
      if ((ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) && locals.has(st.name.text)) {
        const name = locals.get(st.name.text);
        if (!decls.has(name)) decls.set(name, { name, pkg, file, node: st, sf, locals });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Probe the compiled validators.

const validators = new Map();
async function validatorOf(decl) {
  if (validators.has(decl.name)) return validators.get(decl.name);
  const file = path.join(nm, decl.pkg, '_schemas', `${decl.name}.js`);
  let fn = null;
  if (fs.existsSync(file)) fn = (await import(pathToFileURL(file).href)).validate;
  validators.set(decl.name, fn);
  return fn;
}

function pointer(segs) {
  return segs.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
/** Builds a value with `leaf` at `segs` ('[]' = array item, '{}' = map value). */
function place(segs, leaf) {
  let v = leaf;
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i];
    v = s === '[]' ? [v] : s === '{}' ? { k: v } : { [s]: v };
  }
  return v;
}
function errorsAt(fn, segs, leaf) {
  const ptr = pointer(segs.map((s) => (s === '[]' ? 0 : s === '{}' ? 'k' : s)));
  fn(place(segs, leaf));
  return (fn.errors ?? []).filter((e) => e.instancePath === ptr);
}

/** Facts about a scalar at `segs` under validator `fn`: type, format, pattern, bounds, enum. */
function probeScalar(fn, segs, tsType) {
  const out = {};
  if (!fn) return out;
  const all = [];
  if (tsType === 'number') {
    for (const v of [1.5, 2 ** 40, 2 ** 70, -1e18, 1e18]) all.push(...errorsAt(fn, segs, v));
  } else if (tsType === 'string') {
    for (const v of ['', '\u0000 %', 'a'.repeat(70000)]) all.push(...errorsAt(fn, segs, v));
  }
  for (const e of all) {
    if (e.keyword === 'type' && e.params.type === 'integer') out.type = 'integer';
    else if (e.keyword === 'format' && KEPT_FORMATS.has(e.params.format)) out.format = e.params.format;
    else if (e.keyword === 'pattern') out.pattern = e.params.pattern;
    else if (e.keyword === 'minLength') out.minLength = e.params.limit;
    else if (e.keyword === 'maxLength') out.maxLength = e.params.limit;
    else if (e.keyword === 'minimum' || e.keyword === 'exclusiveMinimum') {
      if (e.params.comparison === '>') out.exclusiveMinimum = e.params.limit;
      else out.minimum = e.params.limit;
    } else if (e.keyword === 'maximum' || e.keyword === 'exclusiveMaximum') {
      if (e.params.comparison === '<') out.exclusiveMaximum = e.params.limit;
      else out.maximum = e.params.limit;
    }
  }
  // int64 on a JS number: ajv's int64 check fails only beyond 2^63, which no probe reached
  // reliably; format int32 is what matters for the apiserver.
  if (out.format === 'int64' && out.type !== 'integer') delete out.format;
  return out;
}
function probeArray(fn, segs) {
  if (!fn) return {};
  const out = {};
  for (const e of errorsAt(fn, segs, [])) if (e.keyword === 'minItems') out.minItems = e.params.limit;
  return out;
}
function probeObject(fn, segs) {
  // A validator that accepts a string where the .d.ts says "object" has no type check (free-form).
  if (!fn) return { typed: true };
  return { typed: errorsAt(fn, segs, 'x').some((e) => e.keyword === 'type') };
}

// ---------------------------------------------------------------------------------------------
// 3. Convert .d.ts types to JSON schemas.

const definitions = {};
const descriptions = {};
const kinds = []; // { group, version, kind, def }

function jsDocOf(node) {
  const docs = node.jsDoc;
  if (!docs || !docs.length) return undefined;
  const c = ts.getTextOfJSDocComment(docs[docs.length - 1].comment);
  return c ? c.trim() : undefined;
}

function refName(decl, name) {
  if (decl.locals.has(name)) return decl.locals.get(name);
  return name.startsWith('I') ? name.slice(1) : name;
}

const INT_OR_STRING = 'IoK8sApimachineryPkgUtilIntstrIntOrString';
const QUANTITY = 'IoK8sApimachineryPkgApiResourceQuantity';

/** JSON schema of a type node; `segs` is its path under the declaration's validator. */
async function typeSchema(decl, t, fn, segs, descOut) {
  if (ts.isParenthesizedTypeNode(t)) return typeSchema(decl, t.type, fn, segs, descOut);
  switch (t.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: 'string', ...probeScalar(fn, segs, 'string') };
    case ts.SyntaxKind.NumberKeyword: {
      const p = probeScalar(fn, segs, 'number');
      return { type: p.type ?? 'number', ...p };
    }
    case ts.SyntaxKind.BooleanKeyword:
      return { type: 'boolean' };
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
      return {};
  }
  if (ts.isLiteralTypeNode(t)) return literalSchema([t]);
  if (ts.isUnionTypeNode(t)) {
    if (t.types.every((x) => ts.isLiteralTypeNode(x))) return literalSchema(t.types);
    const kws = new Set(t.types.map((x) => x.kind));
    if (kws.size === 2 && kws.has(ts.SyntaxKind.StringKeyword) && kws.has(ts.SyntaxKind.NumberKeyword)) {
      return decl.name === QUANTITY ? { type: ['string', 'number'], format: 'quantity' } : { type: ['integer', 'string'], 'x-kubernetes-int-or-string': true };
    }
    throw new Error(`${decl.name}: unsupported union ${t.getText()}`);
  }
  if (ts.isArrayTypeNode(t)) {
    return { type: 'array', items: await typeSchema(decl, t.elementType, fn, [...segs, '[]'], descOut), ...probeArray(fn, segs) };
  }
  if (ts.isTypeReferenceNode(t)) {
    const name = t.typeName.getText();
    if (name === 'Array') {
      return { type: 'array', items: await typeSchema(decl, t.typeArguments[0], fn, [...segs, '[]'], descOut), ...probeArray(fn, segs) };
    }
    if (name === 'Record') return { type: 'object', additionalProperties: await typeSchema(decl, t.typeArguments[1], fn, [...segs, '{}'], descOut) };
    const target = refName(decl, name);
    if (!decls.has(target)) throw new Error(`${decl.name}: unknown reference ${name} → ${target}`);
    await defineDecl(decls.get(target));
    return { $ref: target };
  }
  if (ts.isTypeLiteralNode(t)) {
    const idx = t.members.find((m) => ts.isIndexSignatureDeclaration(m));
    if (idx) return { type: 'object', additionalProperties: await typeSchema(decl, idx.type, fn, [...segs, '{}'], descOut) };
    return objectSchema(decl, t.members, fn, segs, descOut);
  }
  throw new Error(`${decl.name}: unsupported type ${ts.SyntaxKind[t.kind]} ${t.getText()}`);
}

function literalSchema(types) {
  const values = types.map((x) => {
    const l = x.literal;
    if (ts.isStringLiteral(l)) return l.text;
    if (ts.isNumericLiteral(l)) return Number(l.text);
    if (l.kind === ts.SyntaxKind.TrueKeyword) return true;
    if (l.kind === ts.SyntaxKind.FalseKeyword) return false;
    throw new Error(`unsupported literal ${x.getText()}`);
  });
  const type = [...new Set(values.map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)))];
  return { type: type.length === 1 ? type[0] : type, enum: [...new Set(values)].sort() };
}

async function objectSchema(decl, members, fn, segs, descOut) {
  const properties = {};
  const required = [];
  const props = members.filter((m) => ts.isPropertySignature(m) && m.type);
  if (props.length === 0) {
    // An empty interface: RawExtension, JSON, FieldsV1 … (free-form); typed when the validator checks
    // that it is an object.
    const { typed } = probeObject(fn, segs);
    return typed ? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } : { 'x-kubernetes-preserve-unknown-fields': true };
  }
  for (const m of props) {
    const key = ts.isStringLiteral(m.name) || ts.isIdentifier(m.name) ? m.name.text : m.name.getText();
    const sub = {};
    properties[key] = await typeSchema(decl, m.type, fn, [...segs, key], sub);
    if (!m.questionToken) required.push(key);
    const d = jsDocOf(m);
    if (d) descOut[key] = d;
    if (Object.keys(sub).length) descOut[`${key}.`] = sub; // inline object: nested descriptions
  }
  const s = { type: 'object', properties, additionalProperties: false };
  if (required.length) s.required = required.sort();
  return s;
}

async function defineDecl(decl) {
  if (decl.name in definitions) return;
  definitions[decl.name] = null; // placeholder against recursion
  const fn = await validatorOf(decl);
  const desc = {};
  let schema;
  if (ts.isInterfaceDeclaration(decl.node)) {
    schema = await objectSchema(decl, decl.node.members, fn, [], desc);
    const gv = decl.node.members.find((m) => ts.isPropertySignature(m) && m.name.getText() === '"apiVersion"');
    const kd = decl.node.members.find((m) => ts.isPropertySignature(m) && m.name.getText() === '"kind"');
    if (gv && kd && ts.isLiteralTypeNode(gv.type) && ts.isLiteralTypeNode(kd.type)) {
      const apiVersion = gv.type.literal.text;
      const slash = apiVersion.lastIndexOf('/');
      kinds.push({ group: slash < 0 ? '' : apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind: kd.type.literal.text, def: decl.name });
    }
  } else {
    schema = await typeSchema(decl, decl.node.type, fn, [], desc);
  }
  const own = jsDocOf(decl.node);
  if (own) desc[''] = own;
  if (Object.keys(desc).length) descriptions[decl.name] = desc;
  definitions[decl.name] = schema;
}

// ---------------------------------------------------------------------------------------------
// 4. Kubernetes 1.34 from @kubernetes/client-node (generated from the 1.34 OpenAPI).

const clientGen = path.join(nm, '@kubernetes', 'client-node', 'dist', 'gen');
function clientModelFields(defName) {
  const m = /^(?:IoK8sApi|IoK8sApimachineryPkgApis|IoK8sApiextensionsApiserverPkgApis|IoK8sKubeAggregatorPkgApis|IoK8sApimachineryPkg)?([A-Z][a-z0-9]*?)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/.exec(defName);
  if (!m) return undefined;
  const [, group = '', ver, kind] = m;
  for (const candidate of [`${group}${ver}${kind}`, `${ver}${kind}`]) {
    const f = path.join(clientGen, 'models', `${candidate}.js`);
    if (!fs.existsSync(f)) continue;
    const text = fs.readFileSync(f, 'utf8');
    const names = [...text.matchAll(/"baseName": "([^"]+)"/g)].map((x) => x[1]);
    return { model: candidate, fields: new Set(names), text };
  }
  return undefined;
}
function apiClassOf(group, version) {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  const camel = g.split('.').map((s) => s[0].toUpperCase() + s.slice(1)).join('');
  return `${camel}${version[0].toUpperCase()}${version.slice(1)}Api`;
}
const apiTexts = new Map();
function servedIn134(k) {
  const cls = apiClassOf(k.group, k.version);
  if (!apiTexts.has(cls)) {
    const f = path.join(clientGen, 'apis', `${cls}.d.ts`);
    apiTexts.set(cls, fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
  }
  const text = apiTexts.get(cls);
  const kind = k.kind.endsWith('List') ? k.kind.slice(0, -4) : k.kind;
  return new RegExp(`\\b(?:create|read|list)(?:Namespaced)?${kind}\\(`).test(text) || new RegExp(`\\blist${kind}ForAllNamespaces\\(`).test(text);
}

// ---------------------------------------------------------------------------------------------

function cmpVersion(a, b) {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}
/** Names of the definitions reachable (through $ref) from the given names or schemas. */
function reachable(starts, defs) {
  const seen = new Set();
  const visit = (s) => {
    if (typeof s === 'string') {
      if (seen.has(s)) return;
      seen.add(s);
      return visit(defs[s]);
    }
    if (Array.isArray(s)) return s.forEach(visit);
    if (s && typeof s === 'object') {
      if (typeof s.$ref === 'string') visit(s.$ref);
      for (const [k, v] of Object.entries(s)) if (k !== '$ref' && k !== 'enum') visit(v);
    }
  };
  starts.forEach(visit);
  return seen;
}

function stableStringify(value) {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
/** One definition per line: small diffs when a package is updated. */
function writeLines(obj) {
  const keys = Object.keys(obj).sort();
  return `{\n${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(',\n')}\n}\n`;
}

/** A structural schema without descriptions (and the other keys validation ignores), keys sorted. */
function stripSchema(s, descOut, at) {
  if (Array.isArray(s)) return s.map((x) => stripSchema(x, descOut, at));
  if (!s || typeof s !== 'object') return s;
  const out = {};
  for (const k of Object.keys(s).sort()) {
    const v = s[k];
    if (k === 'description') {
      if (typeof v === 'string' && descOut) descOut[at] = v;
    } else if (k === 'example' || k === 'externalDocs') continue;
    else if (k === 'enum' || k === 'required' || k === 'default' || k === 'x-kubernetes-list-map-keys') out[k] = v;
    else if (k === 'properties' && v && typeof v === 'object') out[k] = Object.fromEntries(Object.keys(v).sort().map((p) => [p, stripSchema(v[p], descOut, at ? `${at}.${p}` : p)]));
    else if (k === 'items' || k === 'additionalProperties') out[k] = stripSchema(v, descOut, `${at}${k === 'items' ? '[]' : '{}'}`);
    else out[k] = stripSchema(v, undefined, at);
  }
  return out;
}

/** The served versions of the CRDs of CRD_MODULES: { gvk → structural schema }, and their descriptions by field path. */
function readCrdModules() {
  const raw = {};
  const desc = {};
  const sources = {};
  for (const m of CRD_MODULES) {
    const dir = path.join(moduleDir(m), m.dir);
    if (!fs.existsSync(dir)) throw Object.assign(new Error(`CRDs of ${m.module}@${m.version} not found in ${dir}: run \`go mod download ${m.module}@${m.version}\` with GOMODCACHE=${goModCache}`), { missingInput: true });
    sources[m.module] = m.version;
    for (const f of fs.readdirSync(dir).filter((x) => /\.ya?ml$/.test(x) && x !== 'kustomization.yaml').sort()) {
      for (const doc of yaml.loadAll(fs.readFileSync(path.join(dir, f), 'utf8'))) {
        if (!doc || doc.kind !== 'CustomResourceDefinition') continue;
        const { group, names } = doc.spec;
        if (m.groups && !m.groups.includes(group)) continue;
        for (const v of doc.spec.versions ?? []) {
          if (v.served === false || !v.schema?.openAPIV3Schema) continue;
          const gvk = `${group}/${v.name}/${names.kind}`;
          const d = {};
          raw[gvk] = stripSchema(v.schema.openAPIV3Schema, d, '');
          if (Object.keys(d).length) desc[gvk] = d;
        }
      }
    }
  }
  return { raw, desc, sources };
}

/** io.k8s.api.apps.v1.Deployment → IoK8sApiAppsV1Deployment (the packages' naming). */
function bundleName(openApiName) {
  return openApiName.split(/[.-]/).filter(Boolean).map((s) => s[0].toUpperCase() + s.slice(1)).join('');
}

/** The OpenAPI v2 document of each OPENAPI_VERSIONS release, converted: { version → { definitions, kinds, descriptions } }. */
async function readOpenApiVersions() {
  const { tsImport } = await import('tsx/esm/api');
  const { convertOpenApi } = await tsImport(pathToFileURL(path.join(root, 'src', 'core', 'schema', 'openapi.ts')).href, import.meta.url);
  const out = {};
  for (const [minor, release] of Object.entries(OPENAPI_VERSIONS)) {
    const file = path.join(reconcileCache, 'openapi', `kubernetes-${release}.json`);
    if (!fs.existsSync(file)) throw Object.assign(new Error(`the /openapi/v2 of kube-apiserver ${release} is not in ${file}: run node scripts/fetch-openapi.mjs (after scripts/setup)`), { missingInput: true });
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const conv = convertOpenApi(doc);
    const rename = (n) => {
      if (Array.isArray(n)) return n.map(rename);
      if (!n || typeof n !== 'object') return n;
      const o = {};
      for (const [k, v] of Object.entries(n)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) o.$ref = bundleName(v.slice('#/$defs/'.length).replace(/~1/g, '/').replace(/~0/g, '~'));
        else if (k === 'properties' && v && typeof v === 'object') o[k] = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, rename(ps)]));
        else o[k] = k === 'enum' || k === 'required' ? v : rename(v);
      }
      return o;
    };
    const definitions = Object.fromEntries(Object.entries(conv.definitions).map(([n, d]) => [bundleName(n), rename(d)]));
    const descriptions = {};
    for (const [n, d] of Object.entries(doc.definitions)) {
      const e = {};
      if (typeof d.description === 'string') e[''] = d.description;
      for (const [p, ps] of Object.entries(d.properties ?? {})) if (typeof ps?.description === 'string') e[p] = ps.description;
      if (Object.keys(e).length) descriptions[bundleName(n)] = e;
    }
    const kinds = conv.kinds.map((k) => ({ group: k.group, version: k.version, kind: k.kind, def: bundleName(k.definition) }));
    out[minor] = { release, definitions, kinds, descriptions };
  }
  return out;
}

async function main() {
  const t0 = Date.now();
  const crdModules = readCrdModules();
  const openApi = await readOpenApiVersions();
  for (const p of [...K8S_PACKAGES, ...CRD_PACKAGES, ...REFERENCED_PACKAGES]) readPackage(p);
  const k8sNames = [...decls.values()].filter((d) => K8S_PACKAGES.includes(d.pkg)).map((d) => d.name).sort();
  for (const n of k8sNames) await defineDecl(decls.get(n));
  const k8sDefs = { ...definitions };
  const k8sKinds = kinds.splice(0);
  const k8sDesc = { ...descriptions };
  for (const n of [...decls.values()].filter((d) => CRD_PACKAGES.includes(d.pkg)).map((d) => d.name).sort()) await defineDecl(decls.get(n));
  const crdDefs = Object.fromEntries(Object.entries(definitions).filter(([k]) => !(k in k8sDefs)));
  const crdKinds = kinds.splice(0);

  // Versions: which kinds are served, which fields are absent.
  const omit = { '1.34': {}, '1.35': {} };
  // Versions from a real API server: the definitions that differ from the packages' (kept for the older versions).
  const overrides = {};
  for (const [minor, o] of Object.entries(openApi)) {
    overrides[minor] = {};
    for (const [n, d] of Object.entries(o.definitions)) if (!(n in k8sDefs) || stableStringify(k8sDefs[n]) !== stableStringify(d)) overrides[minor][n] = d;
  }
  for (const name of Object.keys(k8sDefs)) {
    const s = k8sDefs[name];
    if (!s || s.type !== 'object' || !s.properties) continue;
    const cm = clientModelFields(name);
    if (!cm) continue;
    const missing = Object.keys(s.properties).filter((p) => !cm.fields.has(p) && p !== 'apiVersion' && p !== 'kind');
    if (missing.length && missing.length < Object.keys(s.properties).length) omit['1.34'][name] = missing.sort();
  }
  const dropped = [];
  const PACKAGE_VERSIONS = VERSIONS.filter((v) => !(v in openApi));
  const served = new Map(); // gvk → kind entry
  for (const k of k8sKinds.filter((x) => !x.kind.endsWith('List') || x.kind === 'List')) {
    const gvk = `${k.group}/${k.version}/${k.kind}`;
    const added = ADDED_AFTER_134[gvk];
    const versions = servedIn134(k) ? PACKAGE_VERSIONS : added ? PACKAGE_VERSIONS.filter((v) => cmpVersion(v, added) >= 0) : [];
    if (!versions.length) dropped.push(gvk);
    else served.set(gvk, { ...k, versions: [...versions] });
  }
  for (const [minor, o] of Object.entries(openApi)) {
    for (const k of o.kinds) {
      const gvk = `${k.group}/${k.version}/${k.kind}`;
      const e = served.get(gvk);
      if (e && e.def === k.def) e.versions.push(minor);
      else if (!e) served.set(gvk, { ...k, versions: [minor] });
      else throw new Error(`${gvk}: ${minor} names its definition ${k.def}, the packages ${e.def}`);
    }
  }
  const kindList = [...served.values()].sort((a, b) => `${a.group}/${a.version}/${a.kind}`.localeCompare(`${b.group}/${b.version}/${b.kind}`));
  if (process.env.VERBOSE) console.log(`not served by 1.34 and not listed as added later (left out): ${dropped.join(' ')}`);
  // Only what the served kinds reach (and the CRD definitions reference).
  const reach = reachable([...kindList.filter((k) => k.versions.some((v) => PACKAGE_VERSIONS.includes(v))).map((k) => k.def), ...Object.values(crdDefs)], definitions);
  for (const [minor, o] of Object.entries(overrides)) {
    const r = reachable(kindList.filter((k) => k.versions.includes(minor)).map((k) => k.def), { ...definitions, ...o });
    for (const n of Object.keys(o)) if (!r.has(n)) delete o[n];
    for (const n of r) if (n in k8sDefs) reach.add(n); // still used, unchanged, by this version
  }
  for (const n of Object.keys(k8sDefs)) if (!reach.has(n)) delete k8sDefs[n];
  for (const n of Object.keys(k8sDesc)) if (!reach.has(n)) delete k8sDesc[n];
  for (const v of Object.keys(omit)) for (const n of Object.keys(omit[v])) if (!reach.has(n)) delete omit[v][n];

  const kubernetes = {
    versions: VERSIONS,
    latest: LATEST,
    kinds: Object.fromEntries(kindList.map((k) => [`${k.group}/${k.version}/${k.kind}`, k.versions.length === VERSIONS.length ? k.def : { def: k.def, versions: k.versions }])),
    omit,
    definitions: k8sDefs,
    overrides,
  };
  // Kinds that a released CRD describes are taken from it (crdModules.raw), not from the package.
  const pkgKinds = crdKinds.filter((k) => !k.kind.endsWith('List') && !(`${k.group}/${k.version}/${k.kind}` in crdModules.raw));
  const keep = reachable(pkgKinds.map((k) => k.def), crdDefs);
  for (const n of Object.keys(crdDefs)) if (!keep.has(n) && !(n in k8sDefs)) delete crdDefs[n];
  const crds = {
    kinds: Object.fromEntries(pkgKinds.sort((a, b) => `${a.group}/${a.version}/${a.kind}`.localeCompare(`${b.group}/${b.version}/${b.kind}`)).map((k) => [`${k.group}/${k.version}/${k.kind}`, k.def])),
    definitions: crdDefs,
    raw: crdModules.raw,
  };
  const files = {
    'kubernetes.json': `{"versions":${JSON.stringify(kubernetes.versions)},"latest":${JSON.stringify(LATEST)},\n"kinds":${writeLines(kubernetes.kinds).trimEnd()},\n"omit":${stableStringify(omit)},\n"definitions":${writeLines(k8sDefs).trimEnd()},\n"overrides":{${Object.keys(overrides).sort().map((v) => `${JSON.stringify(v)}:${writeLines(overrides[v]).trimEnd()}`).join(',\n')}}}\n`,
    'crds.json': `{"kinds":${writeLines(crds.kinds).trimEnd()},\n"definitions":${writeLines(crdDefs).trimEnd()},\n"raw":${writeLines(crds.raw).trimEnd()}}\n`,
    'descriptions.json': writeLines({ ...Object.fromEntries(Object.values(openApi).flatMap((o) => Object.entries(o.descriptions).filter(([n]) => Object.values(overrides).some((ov) => n in ov) && !(n in k8sDesc)))), ...k8sDesc, ...Object.fromEntries(Object.entries(descriptions).filter(([k]) => k in crdDefs)), ...Object.fromEntries(Object.entries(crdModules.desc).map(([gvk, d]) => [`crd:${gvk}`, d])) }),
  };
  const pkgVersion = (p) => JSON.parse(fs.readFileSync(path.join(nm, p, 'package.json'), 'utf8')).version;
  const manifest = {
    generatedBy: 'scripts/build-schemas.mjs',
    kubernetesVersions: VERSIONS,
    sources: Object.fromEntries([...K8S_PACKAGES, ...CRD_PACKAGES, ...REFERENCED_PACKAGES, '@kubernetes/client-node', 'typescript'].map((p) => [p, pkgVersion(p)])),
    crdModules: crdModules.sources,
    apiServers: Object.fromEntries(Object.entries(openApi).map(([minor, o]) => [minor, `kube-apiserver ${o.release} /openapi/v2`])),
    counts: { kubernetesDefinitions: Object.keys(k8sDefs).length, kubernetesOverrides: Object.fromEntries(Object.entries(overrides).map(([v, o]) => [v, Object.keys(o).length])), kubernetesKinds: kindList.length, crdDefinitions: Object.keys(crdDefs).length, crdKinds: Object.keys(crds.kinds).length + Object.keys(crds.raw).length, crdKindsFromReleasedCrds: Object.keys(crds.raw).length },
    files: Object.fromEntries(Object.entries(files).map(([f, text]) => [f, { bytes: Buffer.byteLength(text), sha256: crypto.createHash('sha256').update(text).digest('hex') }])),
  };
  files['manifest.json'] = JSON.stringify(manifest, null, 2) + '\n';

  if (check) {
    let stale = 0;
    for (const [f, text] of Object.entries(files)) {
      const p = path.join(outDir, f);
      if (!fs.existsSync(p) || fs.readFileSync(p, 'utf8') !== text) {
        console.error(`stale: ${path.relative(root, p)}`);
        stale++;
      }
    }
    process.exit(stale ? 1 : 0);
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(outDir, f), text);
  console.log(JSON.stringify(manifest.counts), JSON.stringify(Object.fromEntries(Object.entries(manifest.files).map(([f, v]) => [f, v.bytes]))), `${Date.now() - t0} ms`);
}

main().catch((e) => {
  if (e?.missingInput) {
    // The inputs are not in this machine's caches: nothing to compare with (exit 3, not a failure of the bundle).
    console.error(`inputs missing: ${e.message}`);
    process.exit(3);
  }
  console.error(e);
  process.exit(1);
});
