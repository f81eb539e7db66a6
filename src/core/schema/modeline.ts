// Schema modelines, the Red Hat YAML convention many repositories rely on:
//   # yaml-language-server: $schema=<url or path>     (per document: before its first line of content)
//   # reconcile: ignore-schema                        (anywhere in the file: no schema checks for it)
// A URL of a known Kubernetes schema mirror or CRD catalog names a kind and version that the bundled
// (or cluster) schemas have: those documents are validated as usual, with no fetch. Any other URL, or a
// relative path, is the user's own JSON Schema: the document is validated against it (never against
// ours); when it cannot be had (untrusted workspace, offline with nothing cached, unreadable file), one
// note says so and the document's schema check is skipped rather than done against the wrong schema.
import Ajv, { type ErrorObject } from 'ajv';
import type { Finding } from '../findings';
import { parseManifests, rangeOfPath } from '../manifest/parse';
import type { SourceRange } from '../manifest/range';

export interface SchemaModeline {
  /** The `$schema=` value as written. */
  target: string;
  /** 0-based line of the modeline comment. */
  line: number;
  /** First and last line (0-based, inclusive) of the document it applies to. */
  from: number;
  to: number;
  /** A known mirror/catalog URL: the bundled schema of that kind applies. */
  known?: { group?: string; version?: string; kind: string };
}

export interface FileModelines {
  ignoreSchema: boolean;
  documents: SchemaModeline[];
}

const MODELINE = /^\s*#\s*yaml-language-server:\s*\$schema=(\S+)\s*$/;
const IGNORE = /^\s*#\s*reconcile:\s*ignore-schema\b/;

/** The modelines of a file, each bound to the document it precedes. */
export function modelinesOf(text: string): FileModelines {
  const lines = text.split(/\r?\n/);
  const out: FileModelines = { ignoreSchema: false, documents: [] };
  let docStart = 0;
  let pending: { target: string; line: number } | undefined;
  let seenContent = false;
  const close = (end: number) => {
    if (pending) out.documents.push({ ...pending, from: docStart, to: end, ...knownOf(pending.target) });
    pending = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (IGNORE.test(l)) out.ignoreSchema = true;
    if (/^---(\s|$)/.test(l)) {
      close(i - 1);
      docStart = i;
      seenContent = false;
      continue;
    }
    const m = MODELINE.exec(l);
    // A modeline counts before the document's content (Red Hat YAML reads it anywhere in the document;
    // the one nearest the top wins there too).
    if (m && !pending) pending = { target: m[1], line: i };
    else if (!seenContent && l.trim() && !l.trim().startsWith('#')) seenContent = true;
  }
  close(lines.length - 1);
  return out;
}

function knownOf(target: string): { known?: SchemaModeline['known'] } {
  const k = knownSchemaUrl(target);
  return k ? { known: k } : {};
}

/**
 * Kind and version named by a URL of a well-known schema collection:
 * - Kubernetes JSON schema mirrors: `…/v1.30.0-standalone-strict/deployment-apps-v1.json`, `…/service-v1.json`;
 * - CRD catalogs: `…/CRDs-catalog/main/helm.toolkit.fluxcd.io/helmrelease_v2.json`;
 * - Flux's schemas: `…/flux2-schemas/main/helmrelease-helm-v2.json`, `kustomization-kustomize-v1.json`.
 */
export function knownSchemaUrl(url: string): SchemaModeline['known'] | undefined {
  if (!/^https?:\/\//.test(url)) return undefined;
  const file = url.split(/[?#]/)[0].split('/').pop() ?? '';
  const catalog = /\/CRDs-catalog\/[^/]+\/([a-z0-9.-]+)\/([a-z0-9]+)_(v[0-9a-z]+)\.json$/i.exec(url);
  if (catalog) return { group: catalog[1], version: catalog[3], kind: catalog[2] };
  if (/kubernetes-json-schema|kubernetesjsonschema\.dev|kubernetes-schemas/.test(url)) {
    const m = /^([a-z0-9]+)(?:-([a-z0-9.-]+?))?-(v[0-9a-z]+)\.json$/i.exec(file);
    if (m) return { kind: m[1], version: m[3], ...(m[2] ? { group: m[2] } : { group: '' }) };
  }
  if (/flux2-schemas|fluxcd/.test(url)) {
    const m = /^([a-z0-9]+)-([a-z0-9]+)-(v[0-9a-z]+)\.json$/i.exec(file);
    if (m) return { kind: m[1], version: m[3], group: `${m[2]}.toolkit.fluxcd.io` };
  }
  return undefined;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new WeakMap<object, ReturnType<Ajv['compile']>>();

/** Validates the document between `from` and `to` (lines) of `text` against a JSON Schema of the user's. */
export function validateWithUserSchema(file: string, text: string, m: Pick<SchemaModeline, 'from' | 'to' | 'target'>, schema: object): Finding[] {
  const mf = parseManifests(text);
  const docs = mf.documents.filter((d) => d.shape !== 'empty');
  const doc = docs.find((d) => d.range.start.line >= m.from && d.range.start.line <= m.to) ?? docs.find((d) => d.range.start.line <= m.to && d.range.end.line >= m.from);
  if (!doc) return [];
  let validate = compiled.get(schema);
  if (!validate) {
    const copy = { ...(schema as Record<string, unknown>) };
    delete copy.$schema; // draft-04/06/07 documents: validated with the same rules (their differences do not matter here)
    delete copy.$id;
    try {
      validate = ajv.compile(copy);
    } catch (e) {
      return [{ code: 'schema/modeline', severity: 'warning', message: `the schema ${m.target} (yaml-language-server modeline) cannot be used: ${(e as Error).message}`, file, range: lineRange(text, m.from), source: 'schema' }];
    }
    compiled.set(schema, validate);
  }
  if (validate(doc.value)) return [];
  return (validate.errors ?? []).slice(0, 50).map((e: ErrorObject) => {
    const path = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
    const target = e.keyword === 'additionalProperties' ? [...path, String((e.params as { additionalProperty?: string }).additionalProperty)] : path;
    const range = rangeOfPath(mf, doc, target, { key: e.keyword === 'additionalProperties' }) ?? rangeOfPath(mf, doc, path) ?? doc.range;
    return { code: 'schema/modeline', severity: 'error' as const, message: `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${extra} (schema ${m.target})`, file, range, source: 'schema' as const };
  });
}

function lineRange(text: string, line: number): SourceRange {
  const len = text.split(/\r?\n/)[line]?.length ?? 0;
  return { start: { line, character: 0 }, end: { line, character: len } };
}

/** The note for a document whose modeline schema could not be had: its schema check is skipped. */
export function modelineNote(file: string, text: string, m: SchemaModeline, why: string): Finding {
  return { code: 'schema/modeline', severity: 'info', message: `not checked against a schema: the modeline's ${m.target} ${why}`, file, range: lineRange(text, m.line), source: 'schema', notChecked: true };
}

/**
 * The user's schemas named by modelines: a relative path is read from the repository (next to the file);
 * a URL is fetched once (trusted workspaces only), kept in memory and on disk, and used offline after.
 * `get` answers at once: the schema, `pending` while a first fetch runs (`onFetched` is called when it
 * ends, to check again), or why there is none.
 */
export class ModelineSchemas {
  private readonly memory = new Map<string, { schema: object } | { error: string }>();
  private readonly fetching = new Set<string>();

  constructor(
    private readonly io: {
      cacheDir?: string;
      readFile: (file: string) => string | undefined;
      writeFile?: (file: string, text: string) => void;
      fetchText?: (url: string) => Promise<string>;
      onFetched?: () => void;
    },
  ) {}

  get(target: string, fromFile: string, trusted: boolean): { schema: object } | { pending: true } | { error: string } {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return this.local(target, fromFile);
    const known = this.memory.get(target);
    if (known) return known;
    const cached = this.io.cacheDir ? this.io.readFile(this.cacheFile(target)) : undefined;
    if (cached !== undefined) {
      const r = parseSchema(cached, target);
      this.memory.set(target, r);
      return r;
    }
    if (!trusted) return { error: 'is not fetched: the workspace is not trusted' };
    if (!this.io.fetchText) return { error: 'cannot be fetched here' };
    if (!this.fetching.has(target)) {
      this.fetching.add(target);
      void this.io.fetchText(target).then(
        (text) => {
          const r = parseSchema(text, target);
          this.memory.set(target, r);
          if ('schema' in r && this.io.cacheDir && this.io.writeFile) this.io.writeFile(this.cacheFile(target), text);
        },
        (e: unknown) => this.memory.set(target, { error: `could not be fetched: ${(e as Error)?.message ?? e}` }),
      ).finally(() => {
        this.fetching.delete(target);
        this.io.onFetched?.();
      });
    }
    return { pending: true };
  }

  private local(target: string, fromFile: string): { schema: object } | { error: string } {
    const dir = fromFile.replace(/[\\/][^\\/]*$/, '');
    const file = target.startsWith('/') ? target : `${dir}/${target.replace(/^\.\//, '')}`;
    const text = this.io.readFile(file);
    if (text === undefined) return { error: `(${file}) cannot be read` };
    return parseSchema(text, target);
  }

  private cacheFile(url: string): string {
    let h = 0x811c9dc5;
    for (let i = 0; i < url.length; i++) h = Math.imul(h ^ url.charCodeAt(i), 0x01000193) >>> 0;
    return `${this.io.cacheDir}/${h.toString(16)}-${url.replace(/[^a-z0-9.]+/gi, '_').slice(-80)}`;
  }
}

function parseSchema(text: string, target: string): { schema: object } | { error: string } {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return { schema: v };
  } catch {
    const mf = parseManifests(text);
    const v = mf.documents[0]?.value;
    if (mf.errors.length === 0 && v && typeof v === 'object' && !Array.isArray(v)) return { schema: v as object };
  }
  return { error: `(${target}) is not a JSON Schema document` };
}
