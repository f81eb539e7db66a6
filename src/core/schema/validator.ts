// Validates the Kubernetes objects of a YAML file against the registry's schemas, one document at a
// time: parse (js-yaml for speed, `yaml` with source ranges when a finding needs a range or js-yaml
// refuses the text), check apiVersion/kind against the removed/deprecated API table, pick the
// schema, validate with ajv, evaluate CRD CEL rules, map every error to the exact range.
// SchemaValidator.validateFile caches each document's findings by its text, so an edit
// re-validates only the document it touched; given the file's ParsedText, it takes the documents'
// values from it instead of parsing them again (see sharedValue).
import { load as loadYaml } from 'js-yaml';
import { isMap, isSeq, isScalar, type Node } from 'yaml';
import type { Finding, FindingSeverity, Fix } from '../findings';
import { INPUT_LIMITS, nestingLimitAt, screenText, type InputLimits, type InputRefusal, type RefusalCode } from '../manifest/limits';
import { DEFAULT_MAX_ALIAS_COUNT, DEFAULT_MAX_FILE_BYTES, parseManifests, rangeOfPath, type ManifestDocument, type ManifestFile } from '../manifest/parse';
import { splitApiVersion } from '../manifest/identity';
import { expandList, isListDocument } from '../manifest/list';
import type { ParsedText } from '../manifest/parsed-text';
import type { QuickDocument } from '../manifest/quick';
import { FILE_START, rangeAt, type SourceRange } from '../manifest/range';
import { evaluateCel } from './cel';
import { MAYBE_DIRECTIVE, hasPatchDirective, stripPatchDirectives } from './directives';
import { hasPlaceholder } from './placeholders';
import { SCHEMA_CODES, docsFor, type SchemaCode } from './codes';
import { isCrd } from './crd';
import { apiStatus, lifecycleMessage } from './deprecations';
import { isHelmTemplate } from './helm';
import { closestName, formatPath, mapAjvErrors, type PathSegment } from './messages';
import { SchemaRegistry } from './registry';
import { hashText, splitDocuments, type DocumentChunk } from './split';
import { apiVersionOf } from './types';
import { KUBECTL_SCHEMA, applyYaml11Booleans, isYaml11BooleanWord } from './yaml11';
import { isRecord } from '../util/record';

export interface SchemaValidatorOptions {
  /** Shared registry (bundled + repo CRDs + cluster schemas); default a new one for kubernetesVersion. */
  registry?: SchemaRegistry;
  /** Used only when no registry is given. */
  kubernetesVersion?: string;
  /** Larger files get one size-limit finding and are not parsed. Default 16 MB. */
  maxFileBytes?: number;
  /** Alias expansion cap (billion laughs). Default 100. */
  maxAliasCount?: number;
  /** Deeper nesting (block or flow) is refused before parsing (stack safety). Default INPUT_LIMITS.maxDepth (512). */
  maxDepth?: number;
  /** Time budget for the CEL rules of one document, in ms. Default 50. */
  celBudgetMs?: number;
  /** Register the CustomResourceDefinitions of validated files in the registry. Default true. */
  learnCrds?: boolean;
  /** Return nothing for Helm templates (see isHelmTemplate). Default true. */
  skipHelmTemplates?: boolean;
}

export interface ValidationStats {
  documents: number;
  /** Documents whose findings came from the cache. */
  reused: number;
  validated: number;
  /** Validated documents whose value came from the file's shared parse (ParsedText), not parsed again. */
  shared: number;
  ms: number;
}

/** What one document produced, with ranges relative to its chunk's first line. */
interface DocResult {
  findings: Finding[];
  /** Info finding for a kind without schema; the file keeps one per kind. */
  unknownKind?: { key: string; finding: Finding };
  /** A list or scalar document: reported only in files that hold Kubernetes objects. */
  notAnObject?: Finding;
  /** Note for YAML that is no Kubernetes object (no apiVersion and kind, or a non-string apiVersion): one per file. */
  notKubernetes?: Finding;
  isResource: boolean;
}

interface Ctx {
  registry: SchemaRegistry;
  /** The file is a patch (kustomize strategic merge): partial objects, no required fields, no CEL. */
  partial?: boolean;
  maxAliasCount: number;
  maxDepth: number;
  celBudgetMs: number;
  /** The whole text passed screenText with maxDepth: its documents need no depth check of their own. */
  screened?: boolean;
}

const ANCHOR_OR_ALIAS = /(?:^|[\s[{,])[&*][^\s,\]}]/;

function finding(code: SchemaCode, severity: FindingSeverity, message: string, range: SourceRange, fixes?: Fix[]): Finding {
  const f: Finding = { code, severity, message, range, source: 'schema', docs: docsFor(code) };
  if (fixes?.length) f.fixes = fixes;
  return f;
}

/** Removes null-valued keys in place (the API server treats them as absent). Iterative: no recursion. */
function stripNulls(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push(x);
    } else if (isRecord(v)) {
      for (const k of Object.keys(v)) {
        const x = v[k];
        if (x === null) delete v[k];
        else if (typeof x === 'object') stack.push(x);
      }
    }
  }
}

/** A document's value read by another engine (shared, so copied before it is changed). */
interface SharedValue {
  value: unknown;
  /** The value holds nulls, which validation strips: validate a copy. */
  hasNulls: boolean;
}

/** The source of one document: its text (fast path) and, lazily, its `yaml` AST with ranges. */
class DocSource {
  private parsed?: { file: ManifestFile; doc?: ManifestDocument };
  constructor(
    readonly text: string | undefined,
    private readonly given?: { file: ManifestFile; doc: ManifestDocument },
    private readonly maxAliasCount = DEFAULT_MAX_ALIAS_COUNT,
    /** The value of `text` as js-yaml reads it with KUBECTL_SCHEMA, already parsed elsewhere. */
    readonly shared?: SharedValue,
  ) {}

  get ownsAst(): boolean {
    return !this.given;
  }

  ast(): { file: ManifestFile; doc?: ManifestDocument } {
    if (this.given) return this.given;
    if (!this.parsed) {
      const file = parseManifests(this.text ?? '', { maxFileBytes: Number.MAX_SAFE_INTEGER, maxAliasCount: this.maxAliasCount });
      this.parsed = { file, doc: file.documents[0] };
    }
    return this.parsed;
  }

  /** Range of the node at `path` (its key when `key`), falling back to the document. */
  range(path: readonly PathSegment[], key: boolean): SourceRange {
    const { file, doc } = this.ast();
    if (!doc) return FILE_START;
    if (key && path.length && typeof path[path.length - 1] === 'number') {
      // An item of a list: its first key, or the item itself.
      const r = firstKeyRange(file, doc, path);
      if (r) return r;
    }
    if (key && path.length === 0) return rangeOfPath(file, doc, ['kind'], { key: true }) ?? doc.contentRange;
    // The deepest part of the path that exists (a missing parent of a missing field, …).
    for (let n = path.length; n >= 0; n--) {
      const r = rangeOfPath(file, doc, path.slice(0, n), { key: key || n < path.length });
      if (r) return r;
    }
    return doc.contentRange;
  }

  /** Range of a top-level key's value (`kind: Foo` → `Foo`) without building the AST when possible. */
  topLevelValueRange(key: string): SourceRange {
    if (this.text !== undefined) {
      const m = new RegExp(`^${key}:[ \\t]*([^\\s#][^\\r\\n#]*?)[ \\t]*(?:#.*)?\\r?$`, 'm').exec(this.text);
      if (m) {
        const line = countLines(this.text, m.index);
        const start = m[0].indexOf(m[1]);
        return { start: { line, character: start }, end: { line, character: start + m[1].length } };
      }
    }
    return this.range([key], false);
  }
}

/**
 * An item of a List document (`kind: List`, ConfigMapList…): validated as the object it is, as
 * `kubectl apply -f` applies it, with its findings placed inside the List.
 */
class ListItemSource extends DocSource {
  constructor(
    private readonly list: DocSource,
    private readonly prefix: ReadonlyArray<string | number>,
    item: unknown,
  ) {
    super(undefined, undefined, DEFAULT_MAX_ALIAS_COUNT, { value: item, hasNulls: true });
  }

  override range(path: readonly PathSegment[], key: boolean): SourceRange {
    return this.list.range([...this.prefix, ...path], key);
  }

  override topLevelValueRange(key: string): SourceRange {
    return this.list.range([...this.prefix, key], false);
  }
}

/** The range of a whole line (without its line break). */
function lineRange(text: string, line: number): SourceRange {
  let off = 0;
  for (let i = 0; i < line && off >= 0; i++) off = text.indexOf('\n', off) + 1 || -1;
  if (off < 0) return FILE_START;
  const nl = text.indexOf('\n', off);
  const l = text.slice(off, nl < 0 ? text.length : nl).replace(/\r$/, '');
  return { start: { line, character: 0 }, end: { line, character: l.length } };
}

/** The key that starts at a range's start (the parser marks only its first character). */
function keyAt(text: string, r: SourceRange): { key: string; range: SourceRange } | undefined {
  let off = 0;
  for (let i = 0; i < r.start.line; i++) {
    off = text.indexOf('\n', off) + 1;
    if (off === 0) return undefined;
  }
  const nl = text.indexOf('\n', off);
  const rest = text.slice(off + r.start.character, nl < 0 ? text.length : nl);
  const m = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:#\s](?:[^:#\r]|:(?!\s|$))*?)(?=\s*:(?:\s|$))/.exec(rest);
  if (!m || m[0].length > 200) return undefined;
  const key = m[0].trimEnd();
  return { key, range: { start: r.start, end: { line: r.start.line, character: r.start.character + key.length } } };
}

function countLines(text: string, end: number): number {
  let n = 0;
  for (let p = text.indexOf('\n'); p >= 0 && p < end; p = text.indexOf('\n', p + 1)) n++;
  return n;
}

function firstKeyRange(file: ManifestFile, doc: ManifestDocument, path: readonly PathSegment[]): SourceRange | undefined {
  let node: unknown = doc.yaml.contents;
  for (const seg of path) {
    if (isMap(node)) node = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg))?.value;
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return undefined;
  }
  if (isMap(node) && node.items.length) {
    const k = node.items[0].key as Node | null;
    if (k?.range) return rangeAt(file.lineCounter, k.range[0], k.range[1]);
  }
  const n = node as Node | undefined;
  return n?.range ? rangeAt(file.lineCounter, n.range[0], n.range[1]) : undefined;
}

/** Validates one document. Ranges are relative to the source's text (or absolute for a given AST). */
function validateOne(src: DocSource, ctx: Ctx, filePath: string | undefined): DocResult {
  const res = validateUnsorted(src, ctx, filePath);
  res.findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return res;
}

function validateUnsorted(src: DocSource, ctx: Ctx, filePath: string | undefined): DocResult {
  const res: DocResult = { findings: [], isResource: false };
  const text = src.text;
  const deep = text !== undefined && !ctx.screened ? nestingLimitAt(text, ctx.maxDepth) : -1;
  if (deep >= 0) {
    const line = countLines(text!, deep);
    const character = deep - (text!.lastIndexOf('\n', deep - 1) + 1);
    res.findings.push(finding(SCHEMA_CODES.yamlTooDeep, 'error', `nesting deeper than ${ctx.maxDepth} levels; not checked`, { start: { line, character }, end: { line, character: character + 1 } }));
    return res;
  }
  let value: unknown;
  let haveValue = false;
  if (src.shared) {
    value = src.shared.hasNulls ? structuredClone(src.shared.value) : src.shared.value;
    haveValue = true;
  } else if (text !== undefined && !ANCHOR_OR_ALIAS.test(text)) {
    try {
      value = loadYaml(text, { schema: KUBECTL_SCHEMA });
      haveValue = true;
    } catch {
      haveValue = false; // the `yaml` parser says why, with a range
    }
  }
  if (!haveValue) {
    const { doc } = src.ast();
    if (!doc) return res;
    let fatal = false;
    for (const e of doc.errors) {
      if (e.code === 'yaml-syntax' && e.detail === 'DUPLICATE_KEY') {
        const k = keyAt(src.ast().file.text, e.range);
        res.findings.push(finding(SCHEMA_CODES.yamlDuplicateKey, 'error', `duplicate key${k ? ` ${k.key.startsWith('"') || k.key.startsWith("'") ? k.key : `"${k.key}"`}` : ''}: a mapping may hold each key once`, k?.range ?? e.range));
      } else if (e.code === 'alias') {
        const first = e.range.start.line === e.range.end.line ? e.range : lineRange(src.ast().file.text, e.range.start.line);
        res.findings.push(finding(SCHEMA_CODES.yamlAlias, 'error', e.message, first));
        fatal = true;
      } else if (/call stack/i.test(e.message)) {
        res.findings.push(finding(SCHEMA_CODES.yamlTooDeep, 'error', 'document nests too deeply to parse; not validated', e.range));
        fatal = true;
      } else {
        res.findings.push(finding(SCHEMA_CODES.yamlSyntax, e.severity === 'warning' ? 'warning' : 'error', e.message.split('\n')[0], e.range));
        if (e.severity === 'error') fatal = true;
      }
    }
    if (fatal) return res;
    value = doc.value;
    // YAML 1.1 booleans as kubectl reads them (on a copy when the AST is the caller's).
    const ast = src.ownsAst ? doc.yaml : doc.yaml.clone();
    if (applyYaml11Booleans(ast)) {
      try {
        value = ast.toJS({ maxAliasCount: ctx.maxAliasCount });
      } catch {
        /* keep the value parseManifests built */
      }
    }
  }
  if (value === null || value === undefined) return res;
  if (!isRecord(value)) {
    const what = Array.isArray(value) ? 'a list' : `a ${typeof value === 'string' ? 'string' : 'scalar'}`;
    const range = text !== undefined ? firstContentRange(text) : src.range([], false);
    res.notAnObject = finding(SCHEMA_CODES.yamlNotAnObject, 'warning', `this document is ${what}, not a Kubernetes object (a mapping with apiVersion and kind)`, range);
    return res;
  }
  const { apiVersion, kind } = value;
  // Configuration files of the tools (kustomize, Helm, Reconcile): kustomize supplies a missing
  // apiVersion or kind, Chart.yaml has an apiVersion of its own; no note, no missing-field error.
  const toolConfig = !!filePath && TOOL_CONFIG_FILE.test(filePath);
  if (toolConfig && (typeof apiVersion !== 'string' || typeof kind !== 'string')) return res;
  if ((kind === undefined && apiVersion === undefined) || (apiVersion !== undefined && typeof apiVersion !== 'string')) {
    // Another tool's YAML (a Grafana datasource's `apiVersion: 1`, an application's config…): said
    // once per file, never validated as Kubernetes.
    const why = apiVersion === undefined ? 'it has neither apiVersion nor kind' : `its apiVersion is ${shortJson(apiVersion)}, not a string`;
    const range = apiVersion !== undefined ? src.range(['apiVersion'], true) : text !== undefined ? firstContentRange(text) : src.range([], false);
    res.notKubernetes = finding(SCHEMA_CODES.yamlNotKubernetes, 'info', `not a Kubernetes object (${why}): not checked as Kubernetes`, range);
    return res;
  }
  if (typeof kind === 'string' && kind !== '' && apiVersion === undefined) {
    const hint = suggestApiVersion(ctx.registry, kind);
    res.findings.push(finding(SCHEMA_CODES.missingApiVersion, 'error', `kind ${kind} without apiVersion${hint ? ` (${kind} is served by ${hint})` : ''}`, src.range(['kind'], true)));
    return res;
  }
  if (typeof apiVersion === 'string' && kind === undefined) {
    res.findings.push(finding(SCHEMA_CODES.missingApiVersion, 'error', `apiVersion ${apiVersion} without kind: a Kubernetes object needs both`, src.range(['apiVersion'], true)));
    return res;
  }
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !kind) {
    const bad = typeof apiVersion !== 'string' ? 'apiVersion' : 'kind';
    res.findings.push(finding(SCHEMA_CODES.type, 'error', `${bad}: expected a non-empty string`, src.range([bad], false)));
    return res;
  }
  res.isResource = true;
  if (isListDocument(value)) {
    // kubectl apply reads a List as its items (nested Lists flattened): each is checked as itself.
    const x = expandList(value);
    for (const p of x.problems) res.findings.push(finding(SCHEMA_CODES.missingApiVersion, 'error', p.message, src.range(p.path, true)));
    const hinted = new Set<string>();
    for (const item of x.items) {
      const r = validateUnsorted(new ListItemSource(src, item.path, item.object), ctx, filePath);
      res.findings.push(...r.findings);
      if (r.unknownKind && !hinted.has(r.unknownKind.key)) {
        hinted.add(r.unknownKind.key);
        res.findings.push(r.unknownKind.finding);
      }
    }
    return res;
  }
  const { group, version } = splitApiVersion(apiVersion);
  const target = ctx.registry.kubernetesVersion;
  const life = apiStatus(group, version, kind, target);
  if (life.status !== 'ok') {
    const range = src.topLevelValueRange('apiVersion');
    const fixes: Fix[] = [];
    if (filePath && life.entry.replacement && life.entry.renameOnly) {
      fixes.push({ title: `Change apiVersion to ${life.entry.replacement}`, edits: [{ file: filePath, range, newText: life.entry.replacement }], isPreferred: true });
    }
    const removed = life.status === 'removed';
    res.findings.push(finding(removed ? SCHEMA_CODES.removedApi : SCHEMA_CODES.deprecatedApi, removed ? 'error' : 'warning', lifecycleMessage(life, kind, target), range, fixes));
    if (removed) return res;
  }
  const resolved = ctx.registry.resolve(group, version, kind);
  if (!resolved) {
    const others = ctx.registry.versionsOf(group, kind).filter((v) => v !== version);
    const key = `${apiVersion} ${kind}`;
    if (others.length && ctx.registry.isBuiltinGroup(group)) {
      res.findings.push(finding(SCHEMA_CODES.unknownKind, 'error', `${apiVersion} does not serve ${kind} in Kubernetes ${target}; use ${others.map((v) => apiVersionOf(group, v)).join(' or ')}`, src.topLevelValueRange('apiVersion')));
    } else if (ctx.registry.isBuiltinGroup(group) && !kind.endsWith('List') && closestKind(ctx.registry, group, version, kind)) {
      const near = closestKind(ctx.registry, group, version, kind)!;
      res.findings.push(finding(SCHEMA_CODES.unknownKind, 'warning', `${apiVersion} has no kind ${kind} in Kubernetes ${target} (did you mean ${near}?)`, src.topLevelValueRange('kind')));
    } else if (!(group === '' && life.status !== 'ok')) {
      const how = others.length ? `known versions: ${others.map((v) => apiVersionOf(group, v)).join(', ')}; ` : '';
      res.unknownKind = {
        key,
        finding: finding(SCHEMA_CODES.unknownKind, 'info', `no schema is known for ${kind} (${apiVersion}), so its fields are not checked; ${how}add its CustomResourceDefinition to the repository or connect a cluster that serves it`, src.topLevelValueRange('kind')),
      };
    }
    return res;
  }
  if (!resolved.validate) {
    res.findings.push(finding(SCHEMA_CODES.unknownKind, 'info', `the schema of ${kind} (${apiVersion}, from ${resolved.source}) could not be compiled, so its fields are not checked: ${resolved.compileError}`, src.topLevelValueRange('kind')));
    return res;
  }
  if (!src.shared || src.shared.hasNulls) stripNulls(value); // a shared value was checked for nulls already
  // kustomize's strategic-merge directives ($patch, $setElementOrder/…, $retainKeys…): the document
  // is a patch, whatever file it is in; the directives are kustomize's, not fields of the object.
  let partial = !!ctx.partial;
  if (text === undefined || MAYBE_DIRECTIVE.test(text)) {
    const shared = !!src.shared && !src.shared.hasNulls; // not copied above: copy before changing it
    if (hasPatchDirective(value)) {
      if (shared) value = structuredClone(value);
      stripPatchDirectives(value);
      partial = true;
    }
  }
  let ok: boolean;
  try {
    ok = resolved.validate(value) as boolean;
  } catch (e) {
    if (e instanceof RangeError) {
      res.findings.push(finding(SCHEMA_CODES.yamlTooDeep, 'error', 'document nests too deeply to validate', src.range([], false)));
      return res;
    }
    throw e;
  }
  if (!ok && resolved.validate.errors) {
    // A Flux substitution placeholder (`${VAR}`, `${VAR:=default}`…) is a value not known yet: it
    // satisfies any type, enum or pattern (Flux replaces it before the API server sees it).
    const errors = resolved.validate.errors.filter((e) => !(typeof e.data === 'string' && hasPlaceholder(e.data)));
    for (const m of mapAjvErrors(errors, value, kind)) {
      if (partial && m.code === SCHEMA_CODES.required) continue;
      res.findings.push(finding(m.code, 'error', m.message, src.range(m.path, m.key)));
    }
  }
  if (resolved.celRules.length && !partial) {
    const cel = evaluateCel(value, resolved.celRules, ctx.celBudgetMs);
    for (const v of cel.violations) {
      const where = formatPath(v.path) || kind;
      res.findings.push(finding(SCHEMA_CODES.cel, 'error', `${where}: ${v.message}`, src.range(v.path, !v.fromFieldPath)));
    }
    if (cel.skippedForBudget) {
      res.findings.push(finding(SCHEMA_CODES.cel, 'info', `${cel.skippedForBudget} CEL rule evaluation(s) skipped: the time budget of ${ctx.celBudgetMs} ms ran out`, src.topLevelValueRange('kind')));
    }
  }
  return res;
}

/**
 * Configuration files that are never Kubernetes objects, by name: kustomization files, Helm's
 * Chart.yaml/Chart.lock/values files, Reconcile's own, and common CI and tool configuration (GitHub
 * and GitLab CI, Compose, pre-commit, linters, docs) — no note for them in the editor.
 */
const TOOL_CONFIG_FILE = /(?:^|[\\/])(?:kustomization\.ya?ml|Kustomization|Chart\.ya?ml|Chart\.lock|values(?:[.-][^\\/]*)?\.ya?ml|\.reconcile\.ya?ml|(?:docker-)?compose(?:[.-][^\\/]*)?\.ya?ml|\.gitlab-ci\.ya?ml|\.pre-commit-config\.ya?ml|\.golangci\.ya?ml|\.yamllint(?:\.ya?ml)?|mkdocs\.ya?ml|codecov\.ya?ml|\.github[\\/].*)$/;

function shortJson(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

/** A kind of the same group/version whose name is close to `kind` (a typo), if any. */
function closestKind(registry: SchemaRegistry, group: string, version: string, kind: string): string | undefined {
  const prefix = `${group}/${version}/`;
  const kinds = registry.knownKinds().filter((k) => k.key.startsWith(prefix)).map((k) => k.key.slice(prefix.length));
  return closestName(kind, kinds, 2);
}

function suggestApiVersion(registry: SchemaRegistry, kind: string): string | undefined {
  const hits = registry.knownKinds().filter((k) => k.key.endsWith(`/${kind}`)).map((k) => {
    const [g, v] = k.key.split('/');
    return apiVersionOf(g, v);
  });
  return hits.length ? [...new Set(hits)].slice(0, 3).join(', ') : undefined;
}

/** The first line that is not blank, a comment or a `---` marker. */
function firstContentRange(text: string): SourceRange {
  const lines = text.split('\n', 2000);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].replace(/\r$/, '');
    if (/^\s*(#.*)?$/.test(l) || /^---\s*(#.*)?$/.test(l)) continue;
    const start = l.length - l.trimStart().length;
    const line = l.startsWith('---') ? l.slice(3) : l;
    return { start: { line: i, character: start }, end: { line: i, character: Math.max(start, Math.min(line === l ? l.length : l.length, 200)) } };
  }
  return FILE_START;
}

function shift(f: Finding, lines: number, file: string | undefined): Finding {
  const mv = (r: SourceRange): SourceRange =>
    lines ? { start: { line: r.start.line + lines, character: r.start.character }, end: { line: r.end.line + lines, character: r.end.character } } : r;
  const out: Finding = { ...f, range: mv(f.range) };
  if (file) out.file = file;
  if (f.fixes) out.fixes = f.fixes.map((x) => ({ ...x, edits: x.edits.map((e) => ({ ...e, range: mv(e.range) })) }));
  return out;
}

function pathOf(uri: string): string | undefined {
  if (uri.startsWith('file://')) {
    try {
      return decodeURIComponent(new URL(uri).pathname);
    } catch {
      return undefined;
    }
  }
  return /^[a-z][a-z0-9+.-]*:/i.test(uri) && !/^[a-z]:[\\/]/i.test(uri) ? undefined : uri;
}

export interface ValidateFileOptions {
  /**
   * The file is a patch that kustomize merges into an object (`patches:` / `patchesStrategicMerge:`
   * of a kustomization): its objects are partial, so missing required fields and CEL rules are not
   * reported; unknown fields, types and enums still are.
   */
  partial?: boolean;
  /** The same text, parsed once for every engine: documents' values are taken from it when they are the same. */
  parsed?: ParsedText;
}

/** Words that YAML 1.1 (kubectl) reads as booleans and YAML 1.2 (js-yaml's core schema) as strings. */
function isYaml11OnlyWord(s: string): boolean {
  return s.length <= 3 && isYaml11BooleanWord(s); // true/True/false/… (4+ letters) read the same in both
}

/**
 * Whether a value read with js-yaml's core schema is also what KUBECTL_SCHEMA reads from the same text,
 * and whether it holds nulls. The schemas differ only on plain scalars `yes`, `on`, `n`, … (strings in
 * the core schema): a value without such a string, as key or value, read the same under both (a
 * quoted "yes" is refused too, which only costs a parse). Iterative: no recursion.
 */
function kubectlEquivalent(root: unknown): { same: boolean; hasNulls: boolean } {
  let hasNulls = false;
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (v === null) hasNulls = true;
    else if (typeof v === 'string') {
      if (isYaml11OnlyWord(v)) return { same: false, hasNulls };
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (typeof v === 'object') {
      for (const k of Object.keys(v as object)) {
        // js-yaml joins a sequence used as a key with commas: check each part
        if (isYaml11OnlyWord(k) || (k.includes(',') && k.split(',').some(isYaml11OnlyWord))) return { same: false, hasNulls };
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return { same: true, hasNulls };
}

const KEEP_CHOMPING = /[|>][1-9]?\+/;

/**
 * The value of chunk `k` when the fast parse of the whole file (quickParse) read exactly its text:
 * the quick document must span the same lines, and its text may differ only by the final line
 * break of the chunk, which js-yaml adds itself, or — without a keep-chomping block scalar (`|+`),
 * the only construct that sees them — by trailing blank lines. Undefined: parse the chunk itself.
 */
function sharedValue(text: string, chunks: readonly DocumentChunk[], k: number, docs: readonly QuickDocument[], byLine: ReadonlyMap<number, QuickDocument>): SharedValue | undefined {
  const c = chunks[k];
  const next = chunks[k + 1];
  const atLineStart = (ch: DocumentChunk | undefined) => !ch || ch.offset === 0 || text.charCodeAt(ch.offset - 1) === 10;
  if (!atLineStart(c) || !atLineStart(next)) return undefined;
  let d = byLine.get(c.startLine);
  // the first document without a `---` starts (in quickParse's range) at its first content line
  if (!d && k === 0 && docs[0] && docs[0].range.start.line < (next?.startLine ?? Infinity)) d = docs[0];
  if (!d) return undefined;
  if (next) {
    if (d.range.end.line !== next.startLine || d.range.end.character !== 0) return undefined;
    // quickParse read the chunk without its last line break; a blank line before it is harmless
    // unless a block scalar keeps trailing line breaks
    const last = c.text.charCodeAt(c.text.length - 2);
    if ((last === 10 || last === 13) && KEEP_CHOMPING.test(c.text)) return undefined;
  } else if (d !== docs[docs.length - 1]) return undefined;
  const eq = kubectlEquivalent(d.value);
  return eq.same ? { value: d.value, hasNulls: eq.hasNulls } : undefined;
}

interface FileCache {
  generation: number;
  partial: boolean;
  /** Findings of each document, by the document's text (a string key: exact, and cheaper than hashing it). */
  byText: Map<string, DocResult>;
  crdHash?: string;
}

const CRD_KIND = /^kind:[ \t]*CustomResourceDefinition\b/m;

/**
 * The engine: one per language server or CLI run. Holds the registry and, per file, the findings of
 * each document by its text.
 */
export class SchemaValidator {
  readonly registry: SchemaRegistry;
  private readonly ctx: Ctx;
  private readonly maxFileBytes: number;
  private readonly learnCrds: boolean;
  private readonly skipHelm: boolean;
  private readonly cache = new Map<string, FileCache>();
  /** Counters of the last validateFile call. */
  lastStats: ValidationStats = { documents: 0, reused: 0, validated: 0, shared: 0, ms: 0 };

  constructor(opts: SchemaValidatorOptions = {}) {
    this.registry = opts.registry ?? new SchemaRegistry({ kubernetesVersion: opts.kubernetesVersion });
    this.ctx = {
      registry: this.registry,
      maxAliasCount: opts.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT,
      maxDepth: opts.maxDepth ?? INPUT_LIMITS.maxDepth,
      celBudgetMs: opts.celBudgetMs ?? 50,
    };
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.learnCrds = opts.learnCrds ?? true;
    this.skipHelm = opts.skipHelmTemplates ?? true;
  }

  /**
   * Findings for a file's text (`uri`: a path or a URI; findings carry `file` when it is a path).
   * Documents whose text did not change since the last call for the same uri are not re-validated.
   */
  validateFile(uri: string, text: string, opts: ValidateFileOptions = {}): Finding[] {
    const t0 = performance.now();
    const filePath = pathOf(uri);
    const stats: ValidationStats = { documents: 0, reused: 0, validated: 0, shared: 0, ms: 0 };
    const out = this.run(uri, filePath, text, stats, !!opts.partial, opts.parsed?.holds(text) ? opts.parsed : undefined);
    stats.ms = performance.now() - t0;
    this.lastStats = stats;
    return out;
  }

  /** Drops what is cached for a file (closed or deleted); also forgets the CRDs it registered. */
  forget(uri: string): void {
    if (this.cache.get(uri)?.crdHash) this.registry.removeOrigin(uri);
    this.cache.delete(uri);
  }

  clear(): void {
    this.cache.clear();
  }

  private run(uri: string, filePath: string | undefined, text: string, stats: ValidationStats, partial: boolean, parsed: ParsedText | undefined): Finding[] {
    // The limits every reader applies (manifest/limits.ts): a file past one gets that one finding.
    const refusal = screenText(text, { maxFileBytes: this.maxFileBytes, maxDepth: this.ctx.maxDepth });
    if (refusal) {
      this.cache.delete(uri);
      return [withFile(refusalFinding(refusal), filePath)];
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (this.skipHelm && isHelmTemplate(filePath, text)) return [];

    let fc = this.cache.get(uri);
    if (this.learnCrds) {
      this.learnFrom(uri, text, fc);
      fc = this.cache.get(uri);
    }
    if (!fc || fc.generation !== this.registry.generation || fc.partial !== partial) {
      fc = { generation: this.registry.generation, partial, byText: new Map(), crdHash: fc?.crdHash };
      this.cache.set(uri, fc);
    }
    const ctx: Ctx = { ...this.ctx, partial, screened: true };
    const chunks = splitDocuments(text);
    const results: { startLine: number; r: DocResult }[] = [];
    if (!chunks) {
      // Directives or `...`: parse the whole text (no per-document cache).
      const file = parseManifests(text, { maxFileBytes: Number.MAX_SAFE_INTEGER, maxAliasCount: this.ctx.maxAliasCount });
      for (const doc of file.documents) {
        stats.documents++;
        stats.validated++;
        results.push({ startLine: 0, r: safeValidate(new DocSource(undefined, { file, doc }, this.ctx.maxAliasCount), ctx, filePath) });
      }
      fc.byText.clear();
    } else {
      const next = new Map<string, DocResult>();
      // The whole file's parse is used when it exists, or when most documents must be validated
      // anyway; an edit in a big file parses only the document it changed.
      const known = fc.byText;
      const misses = parsed && !parsed.quickDone ? chunks.reduce((n, c) => (known.has(c.text) ? n : n + 1), 0) : 0;
      let quick: { docs: QuickDocument[]; byLine: Map<number, QuickDocument> } | null | undefined =
        parsed && (parsed.quickDone || misses * 2 >= chunks.length) ? undefined : null;
      for (let k = 0; k < chunks.length; k++) {
        const c = chunks[k];
        stats.documents++;
        let r = known.get(c.text) ?? next.get(c.text);
        if (r) stats.reused++;
        else {
          stats.validated++;
          if (quick === undefined) {
            const docs = parsed!.quick();
            quick = docs ? { docs, byLine: new Map(docs.map((d) => [d.range.start.line, d])) } : null;
          }
          const shared = quick ? sharedValue(text, chunks, k, quick.docs, quick.byLine) : undefined;
          if (shared) stats.shared++;
          r = safeValidate(new DocSource(c.text, undefined, this.ctx.maxAliasCount, shared), ctx, filePath);
        }
        next.set(c.text, r);
        results.push({ startLine: c.startLine, r });
      }
      fc.byText = next;
    }
    return assemble(results, filePath);
  }

  private learnFrom(uri: string, text: string, fc: FileCache | undefined): void {
    const has = CRD_KIND.test(text);
    if (!has) {
      if (fc?.crdHash) {
        this.registry.removeOrigin(uri);
        fc.crdHash = undefined;
      }
      return;
    }
    const h = hashText(text);
    if (fc?.crdHash === h) return;
    this.registry.registerCrdsFromText(text, uri);
    if (fc) fc.crdHash = h;
    else this.cache.set(uri, { generation: -1, partial: false, byText: new Map(), crdHash: h });
  }
}

/** The finding of an input refused by one of the limits (manifest/limits.ts). */
export function refusalFinding(r: InputRefusal): Finding {
  return finding(REFUSAL_CODES[r.code], r.severity, r.message, r.range);
}

const REFUSAL_CODES: Record<RefusalCode, SchemaCode> = {
  'too-large': SCHEMA_CODES.yamlTooLarge,
  binary: SCHEMA_CODES.yamlBinary,
  encoding: SCHEMA_CODES.yamlEncoding,
  'too-many-documents': SCHEMA_CODES.yamlTooManyDocuments,
  'too-deep': SCHEMA_CODES.yamlTooDeep,
};

function withFile(f: Finding, file: string | undefined): Finding {
  return file ? { ...f, file } : f;
}

function safeValidate(src: DocSource, ctx: Ctx, filePath: string | undefined): DocResult {
  try {
    return validateOne(src, ctx, filePath);
  } catch (e) {
    if (e instanceof RangeError) {
      const range = src.text !== undefined ? firstContentRange(src.text) : FILE_START;
      return { findings: [finding(SCHEMA_CODES.yamlTooDeep, 'error', `document nests too deeply to parse (${e.message})`, range)], isResource: false };
    }
    throw e;
  }
}

function assemble(results: { startLine: number; r: DocResult }[], filePath: string | undefined): Finding[] {
  const out: Finding[] = [];
  const unknownSeen = new Set<string>();
  const hasResources = results.some((x) => x.r.isResource);
  let notKubernetesSaid = false;
  for (const { startLine, r } of results) {
    for (const f of r.findings) out.push(shift(f, startLine, filePath));
    if (r.unknownKind && !unknownSeen.has(r.unknownKind.key)) {
      unknownSeen.add(r.unknownKind.key);
      out.push(shift(r.unknownKind.finding, startLine, filePath));
    }
    if (r.notAnObject && hasResources) out.push(shift(r.notAnObject, startLine, filePath));
    if (r.notKubernetes && !notKubernetesSaid) {
      notKubernetesSaid = true;
      out.push(shift(r.notKubernetes, startLine, filePath));
    }
  }
  return out;
}

/**
 * Validates the documents of an already parsed file (e.g. rendered output), with the same rules as
 * SchemaValidator.validateFile but no cache. Ranges are those of `file`.
 */
export function validateManifestFile(file: ManifestFile, registry: SchemaRegistry, opts: { filePath?: string; celBudgetMs?: number; maxDepth?: number; partial?: boolean } = {}): Finding[] {
  const ctx: Ctx = { registry, maxAliasCount: DEFAULT_MAX_ALIAS_COUNT, maxDepth: opts.maxDepth ?? INPUT_LIMITS.maxDepth, celBudgetMs: opts.celBudgetMs ?? 50, partial: opts.partial };
  const fileErrors: Finding[] = [];
  if (file.refusal) fileErrors.push(refusalFinding(file.refusal));
  const results = file.documents.map((doc) => ({ startLine: 0, r: safeValidate(new DocSource(undefined, { file, doc }), ctx, opts.filePath) }));
  return [...fileErrors.map((f) => withFile(f, opts.filePath)), ...assemble(results, opts.filePath)];
}

/**
 * Validates rendered output (a tool's stdout) whatever its size within the input limits
 * (manifest/limits.ts: 16 MB, 10,000 documents), streaming: one document at a time is read with the
 * fast loader, validated and dropped; the `yaml` AST (for exact ranges) is built only for a document
 * that has findings. Output past a limit gets one finding that says it was not checked, and why.
 * Ranges are those of `text`.
 */
export function validateRenderedText(text: string, registry: SchemaRegistry, opts: { filePath?: string; celBudgetMs?: number; maxDepth?: number; maxFileBytes?: number; maxDocuments?: number } = {}): Finding[] {
  const maxDepth = opts.maxDepth ?? INPUT_LIMITS.maxDepth;
  const limits: Partial<InputLimits> = { maxDepth };
  if (opts.maxFileBytes !== undefined) limits.maxFileBytes = opts.maxFileBytes;
  if (opts.maxDocuments !== undefined) limits.maxDocuments = opts.maxDocuments;
  const refusal = screenText(text, limits);
  if (refusal) {
    const f = refusalFinding(refusal);
    return [withFile({ ...f, message: `rendered output not checked: ${f.message.replace(/^file (is|holds)/, 'it $1')}` }, opts.filePath)];
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // The output's own CRDs (a chart that ships them) validate its custom resources, for this call only.
  const origin = CRD_KIND.test(text) ? `rendered-output:${opts.filePath ?? ''}` : undefined;
  if (origin) registry.registerCrdsFromText(text, origin);
  try {
    const chunks = splitDocuments(text);
    if (!chunks) return validateManifestFile(parseManifests(text, { maxFileBytes: Number.MAX_SAFE_INTEGER }), registry, opts);
    const ctx: Ctx = { registry, maxAliasCount: DEFAULT_MAX_ALIAS_COUNT, maxDepth, celBudgetMs: opts.celBudgetMs ?? 50, screened: true };
    const results: { startLine: number; r: DocResult }[] = [];
    for (const c of chunks) results.push({ startLine: c.startLine, r: safeValidate(new DocSource(c.text, undefined, DEFAULT_MAX_ALIAS_COUNT), ctx, opts.filePath) });
    return assemble(results, opts.filePath);
  } finally {
    if (origin) registry.removeOrigin(origin);
  }
}

/** Validates one parsed document (no per-file de-duplication of unknown-kind hints). */
export function validateDocument(doc: ManifestDocument, file: ManifestFile, registry: SchemaRegistry, opts: { filePath?: string; celBudgetMs?: number; partial?: boolean } = {}): Finding[] {
  const ctx: Ctx = { registry, maxAliasCount: DEFAULT_MAX_ALIAS_COUNT, maxDepth: INPUT_LIMITS.maxDepth, celBudgetMs: opts.celBudgetMs ?? 50, partial: opts.partial };
  const r = safeValidate(new DocSource(undefined, { file, doc }), ctx, opts.filePath);
  const out = r.findings.map((f) => withFile(f, opts.filePath));
  if (r.unknownKind) out.push(withFile(r.unknownKind.finding, opts.filePath));
  if (r.notAnObject) out.push(withFile(r.notAnObject, opts.filePath));
  if (r.notKubernetes) out.push(withFile(r.notKubernetes, opts.filePath));
  return out;
}

/** True when a text holds at least one CustomResourceDefinition (cheap check). */
export function mentionsCrd(text: string): boolean {
  return CRD_KIND.test(text);
}

export { isCrd };
