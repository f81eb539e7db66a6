// The policy engine: runs the built-in rules, the repository's admission policies and the secret
// scanner over a file being edited (checkFile), many files (checkFiles, for CI) or a rendered
// environment (checkEnvironment), applies `.reconcile.yaml` and suppressions, and turns
// violations into Findings with ranges and quick fixes. Files are read as kubectl reads them
// (YAML 1.1 booleans: `privileged: on` is true). An editor passes a PolicyFileCache to checkFile so
// that an edit re-runs the rules only where something changed (file-cache.ts).
import { dedupeFindings, type Finding, type FindingSeverity, type Fix } from '../findings';
import { resourceIdOf, type ResourceId } from '../manifest/identity';
import { isHelmTemplate } from '../schema/helm';
import { expandList, isListDocument } from '../manifest/list';
import { parseManifests, type ManifestDocument, type ManifestFile } from '../manifest/parse';
import type { ParsedText } from '../manifest/parsed-text';
import { ownCopy, quickParse, type QuickDocument } from '../manifest/quick';
import { FILE_START, type SourceLocation, type SourceRange } from '../manifest/range';
import type { RenderedDocument } from '../render/types';
import type { Application } from '../repo/model';
import { checkAdmission, loadPolicies, type PolicyProblem, type PolicySet } from './admission';
import { checkDuplicates, checkMissingPaths, checkNamespace } from './builtin/gitops';
import { checkImageTags, checkPdb, checkProbes, checkResources, checkSingleReplica } from './builtin/practice';
import { checkPss } from './builtin/pss';
import { checkConfigRefs, checkHpaTarget, checkIngressBackends, checkServiceSelector } from './builtin/refs';
import type { PolicyFileCache, ParsedSlice } from './file-cache';
import { asKubectlReads } from './kubectl-reads';
import { RenderedLocator, SourceFiles, lineStartsOf, locateInFile, parseSlice, sliceOfRange, type DocumentView, type Located, type RenderedObjectInfo } from './locate';
import { ruleDocsPath } from './rules';
import { checkPlaintextSecret, isSopsEncrypted, scanText } from './secrets';
import { resolveSeverity } from './settings';
import { IGNORE_ANNOTATION, hasReason, suppressFix, suppresses, suppressionsOf } from './suppress';
import { ObjectSet, type ApplicationInfo, type EnvironmentInfo, type ObjectRef, type PolicyOptions, type RuleContext, type Violation } from './types';
import { CLUSTER_SCOPED_KINDS, isPartialObject, isRecord, type Obj } from './workload';

type ObjectRule = (o: ObjectRef, ctx: RuleContext) => void;

/** Kinds whose values are encrypted: not scanned for high-entropy values. */
const ENCRYPTED_KINDS = new Set(['SealedSecret']);

/** Every per-object rule, in the order findings are reported. */
const OBJECT_RULES: ObjectRule[] = [
  checkPlaintextSecret, checkPss, checkImageTags, checkResources, checkProbes, checkSingleReplica, checkPdb,
  checkConfigRefs, checkServiceSelector, checkIngressBackends, checkHpaTarget, checkNamespace, checkMissingPaths,
];

interface Raw {
  obj?: ObjectRef;
  v: Violation;
}

/** How objects of one check are located in files. */
interface Placement {
  locate(obj: ObjectRef, v: Violation): Located;
}

/**
 * Every rule on every object of the set. With a cache (file checks in an editor), an object's
 * results are taken from the previous check when its value and what its rules read of the set
 * are the same; otherwise the rules run while the set records what they read.
 */
function runRules(set: ObjectSet, options: PolicyOptions, policies: PolicySet | undefined, problems: PolicyProblem[], cache?: PolicyFileCache): Raw[] {
  const raw: Raw[] = [];
  const ctx: RuleContext = { options, set, report: (obj, v) => raw.push({ obj, v }) };
  const sink = { violation: (obj: ObjectRef, v: Violation) => raw.push({ obj, v }), problem: (p: PolicyProblem) => problems.push(p) };
  for (const o of set.objects) {
    const hit = cache?.lookup(o, set);
    if (hit) {
      for (const v of hit.violations) raw.push({ obj: o, v });
      problems.push(...hit.problems);
      continue;
    }
    const r0 = raw.length;
    const p0 = problems.length;
    const reads = cache ? new Set<string>() : undefined;
    set.track(reads);
    try {
      for (const rule of OBJECT_RULES) rule(o, ctx);
      if (policies) checkAdmission(o, policies, { set, options, budget: options.celBudget }, sink);
    } finally {
      set.track(undefined);
    }
    if (cache && reads) {
      const mine = raw.slice(r0);
      // results about other objects would not be found again from this one: not kept
      if (mine.every((r) => r.obj === o)) cache.store(o, set, { violations: mine.map((r) => r.v), problems: problems.slice(p0) }, reads);
    }
  }
  checkDuplicates(ctx);
  return raw;
}

function docsFor(code: string, options: PolicyOptions): string {
  return (options.docsBase ?? '') + ruleDocsPath(code);
}

function sourceOf(code: string): Finding['source'] {
  return code.startsWith('secret/') ? 'secret' : 'policy';
}

interface Emit {
  code: string;
  message: string;
  severity: FindingSeverity;
  location: SourceLocation;
  fixes?: Fix[];
  notChecked?: boolean;
}

function finding(e: Emit, options: PolicyOptions, environment: string | undefined): Finding {
  const f: Finding = {
    code: e.code,
    severity: e.severity,
    message: environment ? `[${environment}] ${e.message}` : e.message,
    range: e.location.range,
    source: sourceOf(e.code),
    docs: docsFor(e.code, options),
  };
  if (e.location.file) f.file = e.location.file;
  if (environment) f.environment = environment;
  if (e.fixes?.length) f.fixes = e.fixes;
  if (e.notChecked) f.notChecked = true;
  return f;
}

function namespaceLabelsOf(obj: ObjectRef | undefined, set: ObjectSet, options: PolicyOptions): Record<string, string> | undefined {
  const ns = obj?.namespace;
  if (!ns) return undefined;
  return set.namespaceLabels(ns) ?? options.namespaceLabels?.(ns);
}

/** Violations → findings: settings, suppressions, locations, fixes. */
function emit(raw: Raw[], set: ObjectSet, placement: Placement, options: PolicyOptions, environment: string | undefined): Finding[] {
  const out: Finding[] = [];
  const envName = options.environment?.name;
  for (const { obj, v } of raw) {
    const severity = resolveSeverity(options.config, { code: v.code, environment: envName, level: v.level, severity: v.severity, namespaceLabels: v.level ? namespaceLabelsOf(obj, set, options) : undefined });
    if (!severity) continue;
    if (obj && suppresses(suppressionsOf(obj.value), v.code)) continue;
    if (v.missing && obj && !set.complete && isPartialObject(obj.value)) continue;
    const located = v.location ? { location: v.location } : obj ? placement.locate(obj, v) : { location: { file: '', range: FILE_START } };
    const fixes: Fix[] = [];
    if (located.target) {
      const f = v.fix?.(located.target);
      if (f) fixes.push(f);
    }
    if (obj) {
      const suppressTarget = located.target ?? placement.locate(obj, { code: v.code, message: '', path: ['metadata', 'name'] }).target;
      const s = suppressTarget ? suppressFix(obj.value, v.code)(suppressTarget) : undefined;
      if (s) fixes.push(s);
    }
    out.push(finding({ code: v.code, message: v.message, severity, location: located.location, fixes, notChecked: v.notChecked }, options, environment));
  }
  // suppressions without a reason
  for (const o of set.objects) {
    const list = suppressionsOf(o.value);
    const bad = list.filter((s) => !hasReason(s));
    if (!bad.length) continue;
    const v: Violation = {
      code: 'policy/suppression-reason',
      path: ['metadata', 'annotations', IGNORE_ANNOTATION],
      message: `suppression of ${bad.flatMap((s) => s.rules).join(', ')} has no reason; write "<rule-id>: <why it is acceptable>"`,
    };
    const severity = resolveSeverity(options.config, { code: v.code, environment: envName });
    if (!severity) continue;
    out.push(finding({ code: v.code, message: v.message, severity, location: placement.locate(o, v).location }, options, environment));
  }
  return out;
}

function problemFindings(problems: PolicyProblem[], options: PolicyOptions, environment: string | undefined, onlyFile?: string): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const p of problems) {
    if (seen.has(p.key) || (onlyFile !== undefined && p.location.file !== onlyFile)) continue;
    seen.add(p.key);
    const severity = resolveSeverity(options.config, { code: p.code, environment: options.environment?.name, severity: p.severity });
    if (!severity) continue;
    out.push(finding({ code: p.code, message: p.message, severity, location: p.location }, options, environment));
  }
  return out;
}

// ——— files ———

function objectRef(value: unknown, id: ResourceId | undefined, index: number, options: PolicyOptions, application?: ApplicationInfo): ObjectRef | undefined {
  if (!id || !isRecord(value)) return undefined;
  const namespaced = !CLUSTER_SCOPED_KINDS.has(id.kind);
  const namespace = id.namespace ?? (namespaced ? (application?.namespace ?? (application ? undefined : options.defaultNamespace)) : undefined);
  const o: ObjectRef = { value: value as Obj, id, index };
  if (namespace) o.namespace = namespace;
  if (application) o.application = application;
  return o;
}

/** Positions of offsets in a text, for files that were not parsed with `yaml`. */
function lineIndex(text: string): (offset: number) => { line: number; character: number } {
  const starts = lineStartsOf(text);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - starts[lo] };
  };
}

interface FileDocs {
  /** Values and ids (quick or full parse), with the lines each document spans. */
  docs: Array<{ index: number; value: unknown; id?: ResourceId; range: SourceRange }>;
  /** The document with ranges (parsed on its own when the file was read quickly). */
  view(index: number): DocumentView | undefined;
  /** Offsets of a document's lines in the text: [start, end). */
  offsets(index: number): [number, number];
}

/**
 * One document parsed on its own with ranges, its keys read as kubectl reads them. It is parsed
 * from a copy of its text: a slice would keep the whole file's text of that version alive for as
 * long as the parse is cached (PolicyFileCache), one copy per edited document.
 */
function kubectlSlice(slice: string): ParsedSlice {
  const p = parseSlice(ownCopy(slice));
  if (p) asKubectlReads({ documents: [p.doc] });
  return p;
}

function fileDocs(file: string, text: string, preferQuick: boolean, parsed: ParsedText | undefined, cache: PolicyFileCache | undefined): FileDocs {
  const quick: QuickDocument[] | undefined = preferQuick ? (parsed?.holds(text) ? parsed.quick() : quickParse(text, { kubectl: true })) : undefined;
  let starts: number[] | undefined;
  const lineStarts = () => (starts ??= lineStartsOf(text));
  if (quick) {
    const views = new Map<number, DocumentView | undefined>();
    let full: ManifestFile | undefined;
    return {
      docs: quick.map((d) => ({ index: d.index, value: d.value, id: d.id, range: d.range })),
      view(index) {
        if (!views.has(index)) {
          const d = quick[index];
          const slice = d && sliceOfRange(text, d.range, lineStarts());
          const p = slice === undefined ? undefined : cache ? cache.slice(slice, () => kubectlSlice(slice)) : kubectlSlice(slice);
          let v: DocumentView | undefined = p && { file, mf: p.mf, doc: p.doc, lineOffset: d.range.start.line };
          if (!v) {
            full ??= asKubectlReads(parseManifests(text));
            const doc = docOf(full, index, d?.id);
            v = doc ? { file, mf: full, doc, lineOffset: 0 } : undefined;
          }
          views.set(index, v);
        }
        return views.get(index);
      },
      offsets(index) {
        const r = quick[index].range;
        const s = lineStarts();
        return [s[r.start.line] ?? text.length, r.end.character > 0 ? (s[r.end.line + 1] ?? text.length) : (s[r.end.line] ?? text.length)];
      },
    };
  }
  const mf = asKubectlReads(parseManifests(text));
  return {
    docs: mf.documents.map((d) => ({ index: d.index, value: d.value, id: d.id, range: d.range })),
    view: (index) => (mf.documents[index] ? { file, mf, doc: mf.documents[index], lineOffset: 0 } : undefined),
    offsets: (index) => mf.documents[index].offsets,
  };
}

function docOf(mf: ManifestFile, index: number, id: ResourceId | undefined): ManifestDocument | undefined {
  const d = mf.documents[index];
  if (d && (!id || (d.id && d.id.kind === id.kind && d.id.name === id.name))) return d;
  return mf.documents.find((x) => x.id && id && x.id.kind === id.kind && x.id.name === id.name && x.id.namespace === id.namespace);
}

/** Whether the policy set must be rebuilt with this file's text (a policy file being edited). */
function policiesFor(file: string, text: string, options: PolicyOptions): PolicySet | undefined {
  const p = options.policies;
  const isPolicyText = /kind:\s*["']?ValidatingAdmissionPolicy/.test(text);
  if (!p) return isPolicyText ? loadPolicies([{ file, text }]) : undefined;
  if (!isPolicyText && !p.files.includes(file)) return p;
  if (p.texts.get(file) === text) return p;
  const files = p.files.filter((f) => f !== file).map((f) => ({ file: f, text: p.texts.get(f) }));
  return loadPolicies([...files, { file, text }]);
}

function checkOneFile(file: string, text: string, options: PolicyOptions, preferQuick: boolean, parsed?: ParsedText, cache?: PolicyFileCache): Finding[] {
  const out: Finding[] = [];
  const templated = isHelmTemplate(file, text);
  const policies = templated ? options.policies : policiesFor(file, text, options);
  const skip: Array<[number, number]> = [];
  const entropySkip: Array<[number, number]> = [];
  let fd: FileDocs | undefined;
  if (!templated) {
    cache?.begin(options, policies);
    fd = fileDocs(file, text, preferQuick, parsed, cache);
    const objects: ObjectRef[] = [];
    const docByObject = new Map<ObjectRef, number>();
    /** Objects that are items of a List document (kubectl applies the items): their path in the document. */
    const itemPath = new Map<ObjectRef, Array<string | number>>();
    fd.docs.forEach((d) => {
      if (isListDocument(d.value)) {
        for (const item of expandList(d.value).items) {
          const o = objectRef(item.object, resourceIdOf(item.object), objects.length, options);
          if (!o) continue;
          objects.push(o);
          docByObject.set(o, d.index);
          itemPath.set(o, item.path);
        }
        return;
      }
      const o = objectRef(d.value, d.id ?? resourceIdOf(d.value), objects.length, options);
      if (!o) return;
      objects.push(o);
      docByObject.set(o, d.index);
    });
    const set = new ObjectSet(objects, false);
    const problems: PolicyProblem[] = [];
    const raw = runRules(set, options, policies, problems, cache);
    const docs = fd;
    const placement: Placement = {
      locate(obj, v) {
        const view = docs.view(docByObject.get(obj) ?? 0);
        if (!view) return { location: { file, range: FILE_START } };
        const prefix = itemPath.get(obj);
        // An item of a List is placed inside the List; quick fixes edit a document's own object, so it gets none.
        if (prefix) return { location: locateInFile(view, { ...v, path: [...prefix, ...v.path], ...(v.anchor ? { anchor: [...prefix, ...v.anchor] } : {}) }).location };
        return locateInFile(view, v);
      },
    };
    // One by one, not push(...): a big file can have more findings than a call takes arguments.
    for (const f of emit(raw, set, placement, options, undefined)) out.push(f);
    // this file's own policy problems (invalid CEL, unknown policies…), and runtime ones found here
    if (policies) out.push(...problemFindings([...policies.problems, ...problems], options, undefined, file));
    // secrets already reported as plaintext Secrets, and SOPS documents, are not scanned again
    const plaintext = new Set(raw.filter((r) => r.v.code === 'secret/plaintext' && r.obj?.id.kind === 'Secret').map((r) => r.obj!));
    const skipDocs = fd.docs.filter((d) => isSopsEncrypted(d.value) || [...plaintext].some((o) => docByObject.get(o) === d.index));
    for (const d of skipDocs) skip.push(fd.offsets(d.index));
    for (const d of fd.docs) if (isRecord(d.value) && typeof d.value.kind === 'string' && ENCRYPTED_KINDS.has(d.value.kind)) entropySkip.push(fd.offsets(d.index));
    cache?.end();
  }
  const secrets = scanText(text, { skip, entropySkip });
  if (secrets.length) {
    const pos = lineIndex(text);
    for (const s of secrets) {
      const doc = fd?.docs.find((d) => {
        const [a, b] = fd!.offsets(d.index);
        return s.start >= a && s.start < b;
      });
      if (doc && isRecord(doc.value) && suppresses(suppressionsOf(doc.value as Obj), s.code)) continue;
      const severity = resolveSeverity(options.config, { code: s.code, environment: options.environment?.name });
      if (!severity) continue;
      out.push(finding({ code: s.code, message: s.message, severity, location: { file, range: { start: pos(s.start), end: pos(s.end) } } }, options, undefined));
    }
  }
  return sortFindings(out);
}

/**
 * Checks one file while it is edited: the rules that need only the file (PSS, practices, secrets,
 * admission policies, duplicate ids inside the file, Argo CD/Flux paths), with quick fixes.
 * Helm templates (text with `{{`) get the secret scan only. Values are read with the fast parser;
 * only documents with findings are parsed again for exact ranges (YAML errors are the schema
 * engine's to report). `parsed`: the same text as the schema engine read it (parse once for both).
 * `cache`: an editor's PolicyFileCache for this file (one per open document), with `parsed` made
 * from the previous version's ParsedText: an edit then re-runs the rules only where it matters.
 */
export function checkFile(file: string, text: string, options: PolicyOptions = {}, parsed?: ParsedText, cache?: PolicyFileCache): Finding[] {
  return checkOneFile(file, text, options, true, parsed, cache);
}

/** Checks many files (CI), each as checkFile does. */
export function checkFiles(files: ReadonlyArray<{ file: string; text: string }>, options: PolicyOptions = {}): Finding[] {
  const out: Finding[] = [];
  for (const f of files) for (const x of checkOneFile(f.file, f.text, options, true)) out.push(x);
  return out;
}

/** The policy files' own problems (invalid CEL, unknown policies, bindings without params). */
export function policyProblems(policies: PolicySet, options: PolicyOptions = {}): Finding[] {
  return sortFindings(problemFindings(policies.problems, options, undefined));
}

// ——— rendered environments ———

export interface EnvironmentObject {
  object: Obj;
  source?: SourceLocation;
  patchedBy?: SourceLocation[];
  application?: ApplicationInfo;
  /** Where to point when the object has no source (e.g. the Application that defines it). */
  fallback?: SourceLocation;
}

/** Rendered documents of the applications of one environment, as checkEnvironment takes them. */
export function environmentObjects(apps: ReadonlyArray<{ application: Application; documents: ReadonlyArray<RenderedDocument> }>): EnvironmentObject[] {
  const out: EnvironmentObject[] = [];
  for (const { application: a, documents } of apps) {
    const info: ApplicationInfo = {
      id: a.id,
      root: a.root,
      deployer: a.sourceKind === 'flux' || a.sourceKind === 'argocd' ? a.sourceKind : 'direct',
    };
    const ns = a.namespace ?? (a.renderer.kind === 'helm' ? a.renderer.namespace : undefined);
    if (ns) info.namespace = ns;
    if (info.deployer === 'direct') info.layout = a.sourceKind;
    const cluster = clusterOf(a.destination);
    if (cluster) info.cluster = cluster;
    for (const d of documents) {
      const o: EnvironmentObject = { object: d.object, application: info };
      if (d.source) o.source = d.source;
      if (d.patchedBy?.length) o.patchedBy = d.patchedBy;
      if (a.definedBy) o.fallback = a.definedBy;
      out.push(o);
    }
  }
  return out;
}

/** An Argo CD destination's cluster: the in-cluster server and the name `in-cluster` are one cluster. */
function clusterOf(d: Application['destination']): string | undefined {
  if (!d) return undefined;
  const server = d.server?.replace(/\/+$/, '');
  if (server === 'https://kubernetes.default.svc' || (!server && d.name === 'in-cluster')) return 'in-cluster';
  return server ? `server:${server}` : d.name ? `name:${d.name}` : undefined;
}

/**
 * Checks a rendered environment: every rule, including reference integrity, PDBs, namespaces and
 * duplicate identities across its applications. Findings point at the overlay change that
 * introduced them when it can be told, else at the base resource, and start with `[<env>] `.
 */
export function checkEnvironment(environment: EnvironmentInfo, objects: ReadonlyArray<EnvironmentObject>, options: PolicyOptions = {}): Finding[] {
  const opts: PolicyOptions = { ...options, environment };
  const refs: ObjectRef[] = [];
  const infos = new Map<ObjectRef, RenderedObjectInfo>();
  for (const e of objects) {
    const o = objectRef(e.object, resourceIdOf(e.object), refs.length, opts, e.application ?? { id: '' });
    if (!o) continue;
    refs.push(o);
    infos.set(o, { value: e.object, source: e.source, patchedBy: e.patchedBy, application: e.application, fallback: e.fallback });
  }
  const set = new ObjectSet(refs, true);
  const problems: PolicyProblem[] = [];
  const raw = runRules(set, opts, options.policies, problems);
  const locator = new RenderedLocator(new SourceFiles(options.readFile));
  const placement: Placement = { locate: (obj, v) => locator.locate(infos.get(obj)!, v) };
  const out = emit(raw, set, placement, opts, environment.name);
  out.push(...problemFindings(problems, opts, environment.name));
  return sortFindings(dedupeFindings(out));
}

/**
 * File findings plus environment findings, without the environment findings that repeat a file
 * finding (same rule, file and range), e.g. a plaintext Secret seen in its file and in the render.
 */
export function mergeFindings(fileFindings: readonly Finding[], environmentFindings: readonly Finding[]): Finding[] {
  const key = (f: Finding) => `${f.code}|${f.file ?? ''}|${f.range.start.line}:${f.range.start.character}`;
  const seen = new Set(fileFindings.map(key));
  return [...fileFindings, ...environmentFindings.filter((f) => !seen.has(key(f)))];
}

const SEVERITY_RANK: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

export function sortFindings(f: Finding[]): Finding[] {
  return f.sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}
