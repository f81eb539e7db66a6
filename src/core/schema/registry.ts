// Which schema validates which apiVersion/kind, best source first: a live cluster, a CRD in the
// repository, the bundled CRDs (Argo CD, Flux, cert-manager), the bundled built-in kinds of the
// selected Kubernetes version. Validators are compiled lazily per kind and cached.
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { parseManifests } from '../manifest/parse';
import { quickParse } from '../manifest/quick';
import { loadBundledSchemas, bundledDescription, type BundledSchemas } from './bundle';
import { addDefinitions, compileSchema, createAjv, sharedSubschemaCount } from './compile';
import { closeSchema, isCrd, schemasFromCrd, toJsonSchema } from './crd';
import { hashText } from './split';
import { gvkKey, type CelRuleSet, type GroupVersionKind, type JsonSchema, type SchemaSource } from './types';

export interface RegisteredSchema extends GroupVersionKind {
  source: SchemaSource;
  /** Who registered it, e.g. the CRD's file, or `cluster:<context>`; used to replace or remove. */
  origin: string;
  schema: JsonSchema;
  celRules: CelRuleSet[];
}

export interface ResolvedSchema extends RegisteredSchema {
  /** The compiled validator; undefined when the schema could not be compiled (see compileError). */
  validate?: ValidateFunction;
  compileError?: string;
}

export interface RegisterSchemaOptions {
  /** Default 'cluster'. */
  source?: Extract<SchemaSource, 'cluster' | 'repo'>;
  /** Default `${source}`. Registering again with the same origin and kind replaces the schema. */
  origin?: string;
  /** Close objects that have properties but no additionalProperties (default true). */
  close?: boolean;
  celRules?: CelRuleSet[];
}

export interface SchemaRegistryOptions {
  /** Kubernetes minor version of the bundled built-in schemas, e.g. "1.35"; default the newest bundled. */
  kubernetesVersion?: string;
  /** Use the bundled schemas (default true). */
  bundled?: boolean;
}

const COMMON_KINDS = ['apps/v1/Deployment', '/v1/Service', '/v1/ConfigMap', '/v1/Secret', 'networking.k8s.io/v1/Ingress', 'apps/v1/StatefulSet', 'batch/v1/CronJob'];

const SOURCE_RANK: Record<SchemaSource, number> = { cluster: 0, repo: 1, 'bundled-crd': 2, bundled: 3 };

export class SchemaRegistry {
  /** The Kubernetes minor version whose bundled built-in schemas apply (see adoptClusterVersion). */
  kubernetesVersion: string;
  /** Whether kubernetesVersion was asked for (a setting, a flag): a cluster's version does not replace it. */
  readonly versionChosen: boolean;
  /** Bumped whenever what `resolve` answers may have changed (validators cache on it). */
  generation = 0;
  private readonly bundle?: BundledSchemas;
  private ajv?: Ajv;
  /** Bundled definitions already added to `ajv`. */
  private addedDefs?: Set<string>;
  private readonly registered = new Map<string, RegisteredSchema[]>(); // gvk → by origin
  private readonly compiled = new Map<string, ResolvedSchema>();
  private readonly builtinGroups = new Set<string>();
  /** What registerCrdsFromText registered per origin, and the hash of the text it came from. */
  private readonly crdTexts = new Map<string, { hash: string; kinds: GroupVersionKind[] }>();
  /** Bundled released CRDs converted (crd.ts), by `group/version/Kind`. */
  private readonly rawConverted = new Map<string, { schema: JsonSchema; celRules: CelRuleSet[] }>();

  constructor(opts: SchemaRegistryOptions = {}) {
    this.versionChosen = !!opts.kubernetesVersion;
    if (opts.bundled !== false) {
      this.bundle = loadBundledSchemas();
      const v = opts.kubernetesVersion ?? this.bundle.latest;
      this.kubernetesVersion = this.bundle.versions.includes(v) ? v : nearestVersion(v, this.bundle.versions);
      for (const gvk of this.bundle.builtinKinds(this.kubernetesVersion)) this.builtinGroups.add(gvk.split('/')[0]);
    } else {
      this.kubernetesVersion = opts.kubernetesVersion ?? '1.36';
    }
  }

  /**
   * A connected cluster's Kubernetes version (`1.37`, `v1.36.4`): when no version was chosen, the
   * bundled built-in schemas of that version (or the nearest older bundled one) apply from now on.
   * Returns whether the target changed (validators are then compiled again).
   */
  adoptClusterVersion(version: string): boolean {
    if (this.versionChosen || !this.bundle) return false;
    const m = /^v?(\d+)\.(\d+)/.exec(version);
    if (!m) return false;
    const wanted = `${m[1]}.${m[2]}`;
    const v = this.bundle.versions.includes(wanted) ? wanted : nearestVersion(wanted, this.bundle.versions);
    if (v === this.kubernetesVersion) return false;
    this.kubernetesVersion = v;
    this.builtinGroups.clear();
    for (const gvk of this.bundle.builtinKinds(v)) this.builtinGroups.add(gvk.split('/')[0]);
    this.ajv = undefined;
    this.compiled.clear();
    this.generation++;
    return true;
  }

  /** Minor versions the bundle has schemas for, oldest first. */
  static bundledVersions(): string[] {
    return [...loadBundledSchemas().versions];
  }

  /** Whether the requested version was not bundled and a neighbour is used instead. */
  static resolveVersion(requested: string): string {
    const b = loadBundledSchemas();
    return b.versions.includes(requested) ? requested : nearestVersion(requested, b.versions);
  }

  private getAjv(): Ajv {
    if (!this.ajv) {
      this.ajv = createAjv();
      this.addedDefs = new Set();
    }
    return this.ajv;
  }

  /**
   * Adds to ajv the bundled definitions a schema reaches by name (`{ $ref: 'IoK8s…' }`), once each:
   * the bundle has ≈2,000 definitions, a run uses a few hundred.
   */
  private addReachedDefinitions(ajv: Ajv, schema: JsonSchema): void {
    if (!this.bundle) return;
    const defs = this.bundle.definitionsFor(this.kubernetesVersion);
    const added = this.addedDefs!;
    const fresh: Record<string, JsonSchema> = {};
    const stack: unknown[] = [schema];
    while (stack.length) {
      const n = stack.pop();
      if (Array.isArray(n)) {
        for (const x of n) if (x !== null && typeof x === 'object') stack.push(x);
      } else if (n !== null && typeof n === 'object') {
        for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
          if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) {
            if (!added.has(v) && defs[v]) {
              added.add(v);
              fresh[v] = defs[v];
              stack.push(defs[v]);
            }
          } else if ((k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions') && v !== null && typeof v === 'object') {
            for (const x of Object.values(v as Record<string, unknown>)) if (x !== null && typeof x === 'object') stack.push(x); // a property may be named enum…
          } else if (k !== 'enum' && k !== 'required' && k !== 'default' && v !== null && typeof v === 'object') stack.push(v);
        }
      }
    }
    addDefinitions(ajv, fresh);
  }

  /**
   * Registers the schema of one kind (e.g. from a live cluster's OpenAPI). The schema must be
   * self-contained (internal `$ref`s only, or names of bundled definitions).
   */
  registerSchema(group: string, version: string, kind: string, schema: JsonSchema, opts: RegisterSchemaOptions = {}): void {
    const source = opts.source ?? 'cluster';
    const entry: RegisteredSchema = {
      group,
      version,
      kind,
      source,
      origin: opts.origin ?? source,
      schema: opts.close === false ? schema : closeSchema(schema),
      celRules: opts.celRules ?? [],
    };
    const key = gvkKey(entry);
    this.crdTexts.delete(entry.origin);
    const list = (this.registered.get(key) ?? []).filter((e) => e.origin !== entry.origin);
    list.push(entry);
    list.sort((a, b) => SOURCE_RANK[a.source] - SOURCE_RANK[b.source]);
    this.registered.set(key, list);
    this.compiled.delete(key);
    this.generation++;
  }

  /** Registers every served version of a CustomResourceDefinition value; returns the kinds. */
  registerCrd(crd: unknown, origin = 'repo'): GroupVersionKind[] {
    const out: GroupVersionKind[] = [];
    for (const s of schemasFromCrd(crd)) {
      this.registerSchema(s.group, s.version, s.kind, s.schema, { source: 'repo', origin, close: false, celRules: s.celRules });
      out.push({ group: s.group, version: s.version, kind: s.kind });
    }
    return out;
  }

  /**
   * Registers the CRDs found in a YAML text (replacing what the same origin registered before). The
   * same text from the same origin again changes nothing (the CLI learns every CRD before it
   * validates, and validating the file would register it a second time): compiled validators stay.
   */
  registerCrdsFromText(text: string, origin: string): GroupVersionKind[] {
    const hash = hashText(text);
    const known = this.crdTexts.get(origin);
    if (known?.hash === hash) return [...known.kinds];
    this.removeOrigin(origin);
    if (!text.includes('CustomResourceDefinition')) return [];
    const out: GroupVersionKind[] = [];
    // Values only: the fast loader (CRD files are big), the full parser when it declines (anchors…).
    const values = quickParse(text, { kubectl: true })?.map((d) => d.value) ?? parseManifests(text).documents.map((d) => d.value);
    for (const v of values) if (isCrd(v)) out.push(...this.registerCrd(v, origin));
    this.crdTexts.set(origin, { hash, kinds: out });
    return [...out];
  }

  /** Forgets everything registered by `origin` (a deleted CRD file, a disconnected cluster). */
  removeOrigin(origin: string): void {
    this.crdTexts.delete(origin);
    let changed = false;
    for (const [key, list] of this.registered) {
      const kept = list.filter((e) => e.origin !== origin);
      if (kept.length === list.length) continue;
      changed = true;
      this.compiled.delete(key);
      if (kept.length) this.registered.set(key, kept);
      else this.registered.delete(key);
    }
    if (changed) this.generation++;
  }

  /** The schema for an apiVersion/kind, compiled; undefined when no source knows the kind. */
  resolve(group: string, version: string, kind: string): ResolvedSchema | undefined {
    const key = `${group}/${version}/${kind}`;
    const hit = this.compiled.get(key);
    if (hit) return hit;
    const entry = this.lookup(key, group, version, kind);
    if (!entry) return undefined;
    const resolved: ResolvedSchema = { ...entry };
    try {
      const ajv = this.getAjv();
      this.addReachedDefinitions(ajv, entry.schema);
      resolved.validate = compileSchema(ajv, entry.schema);
    } catch (e) {
      resolved.compileError = e instanceof Error ? e.message : String(e);
    }
    this.compiled.set(key, resolved);
    return resolved;
  }

  /**
   * Compiles the validators of the given kinds (`group/version/Kind`; default the common workload
   * kinds) ahead of use, e.g. when the language server is idle after start: a first compile of a
   * kind with a pod template costs ≈200 ms.
   */
  precompile(keys: readonly string[] = COMMON_KINDS): void {
    for (const key of keys) {
      const [group, version, kind] = key.split('/');
      this.resolve(group, version, kind);
    }
  }

  /** Kinds compiled so far, and the large subschemas they share (each compiled once; see compile.ts). */
  compileStats(): { kinds: number; sharedSubschemas: number } {
    return { kinds: this.compiled.size, sharedSubschemas: this.ajv ? sharedSubschemaCount(this.ajv) : 0 };
  }

  /** Like resolve, without compiling. */
  lookup(key: string, group: string, version: string, kind: string): RegisteredSchema | undefined {
    const reg = this.registered.get(key);
    if (reg?.length) return reg[0];
    if (!this.bundle) return undefined;
    const raw = this.bundle.crdRaw(key);
    if (raw) {
      let conv = this.rawConverted.get(key);
      if (!conv) {
        const celRules: CelRuleSet[] = [];
        conv = { schema: toJsonSchema(raw, [], celRules, true), celRules };
        this.rawConverted.set(key, conv);
      }
      return { group, version, kind, source: 'bundled-crd', origin: 'bundled', schema: conv.schema, celRules: conv.celRules };
    }
    const crdDef = this.bundle.crdKind(key);
    if (crdDef) return { group, version, kind, source: 'bundled-crd', origin: 'bundled', schema: { $ref: crdDef }, celRules: [] };
    const def = this.bundle.builtinKind(this.kubernetesVersion, key);
    if (def) return { group, version, kind, source: 'bundled', origin: 'bundled', schema: { $ref: def }, celRules: [] };
    return undefined;
  }

  /** True when the group belongs to Kubernetes itself in the selected version (apps, batch, '' …). */
  isBuiltinGroup(group: string): boolean {
    return this.builtinGroups.has(group);
  }

  /** apiVersions that serve `kind` in `group` (any source), e.g. for "did you mean apps/v1". */
  versionsOf(group: string, kind: string): string[] {
    const out = new Set<string>();
    for (const [key, list] of this.registered) if (list.length && key.startsWith(`${group}/`) && key.endsWith(`/${kind}`)) out.add(key.split('/')[1]);
    if (this.bundle) {
      for (const gvk of [...this.bundle.builtinKinds(this.kubernetesVersion), ...this.bundle.crdKinds()]) {
        const [g, v, k] = gvk.split('/');
        if (g === group && k === kind) out.add(v);
      }
    }
    return [...out].sort();
  }

  /**
   * A self-contained JSON schema for a kind (definitions inlined under `definitions`), with
   * descriptions when asked: for completion and hover through yaml-language-server, or for export.
   */
  jsonSchemaFor(group: string, version: string, kind: string, opts: { descriptions?: boolean } = {}): JsonSchema | undefined {
    const entry = this.lookup(`${group}/${version}/${kind}`, group, version, kind);
    if (!entry) return undefined;
    const defs = this.bundle?.definitionsFor(this.kubernetesVersion) ?? {};
    const used: Record<string, JsonSchema> = {};
    const rewrite = (n: unknown, owner?: string): unknown => {
      if (Array.isArray(n)) return n.map((x) => rewrite(x, owner));
      if (!n || typeof n !== 'object') return n;
      const o = n as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) {
        if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) {
          out.$ref = `#/definitions/${v}`;
          if (!(v in used) && defs[v]) {
            used[v] = {};
            used[v] = rewrite(defs[v], v) as JsonSchema;
          }
        } else if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) {
          out.properties = Object.fromEntries(
            Object.entries(v as Record<string, unknown>).map(([pk, pv]) => {
              const ps = rewrite(pv) as Record<string, unknown>;
              const d = opts.descriptions && owner ? bundledDescription(owner, pk) : undefined;
              return [pk, d ? { ...ps, description: d } : ps];
            }),
          );
        } else if (k === 'enum' || k === 'required') out[k] = v;
        else out[k] = rewrite(v, owner);
      }
      if (opts.descriptions && owner && o.properties === undefined && n === defs[owner]) {
        const d = bundledDescription(owner);
        if (d) out.description = d;
      }
      return out;
    };
    const root = rewrite(entry.schema) as JsonSchema;
    if (opts.descriptions && this.bundle?.crdRaw(`${group}/${version}/${kind}`) && entry.source === 'bundled-crd') describeByPath(root, `crd:${group}/${version}/${kind}`, '');
    return { ...root, definitions: used };
  }

  /** Every kind the registry can validate: registered first, then bundled CRDs and built-ins. */
  knownKinds(): { key: string; source: SchemaSource }[] {
    const out: { key: string; source: SchemaSource }[] = [];
    for (const [key, list] of this.registered) if (list.length) out.push({ key, source: list[0].source });
    if (this.bundle) {
      for (const key of this.bundle.crdKinds()) out.push({ key, source: 'bundled-crd' });
      for (const key of this.bundle.builtinKinds(this.kubernetesVersion)) out.push({ key, source: 'bundled' });
    }
    return out;
  }
}

/** Puts the bundled descriptions of a released CRD (keyed by field path: `spec.a`, `spec.list[]`, `spec.map{}`) on its schema. */
function describeByPath(s: JsonSchema, owner: string, at: string): void {
  const d = bundledDescription(owner, at);
  if (d && s.description === undefined) s.description = d;
  const props = s.properties as Record<string, JsonSchema> | undefined;
  if (props && typeof props === 'object') for (const [k, p] of Object.entries(props)) if (p && typeof p === 'object') describeByPath(p, owner, at ? `${at}.${k}` : k);
  if (s.items && typeof s.items === 'object' && !Array.isArray(s.items)) describeByPath(s.items as JsonSchema, owner, `${at}[]`);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') describeByPath(s.additionalProperties as JsonSchema, owner, `${at}{}`);
}

function nearestVersion(v: string, versions: string[]): string {
  const minor = Number(v.split('.')[1] ?? NaN);
  if (!Number.isFinite(minor)) return versions[versions.length - 1];
  let best = versions[0];
  for (const x of versions) if (Number(x.split('.')[1]) <= minor) best = x;
  return best;
}
