// The repository's own ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1) and their
// bindings, evaluated offline with CEL against the objects being checked:
// matchConstraints (resourceRules, excludeResourceRules, namespaceSelector, objectSelector),
// the binding's matchResources, matchConditions, variables, validations (message,
// messageExpression), paramKind with params from ConfigMaps or custom resources in the
// repository (paramRef name/namespace/selector, parameterNotFoundAction) and validationActions
// (Deny → error, Warn → warning, Audit → info).
//
// A broken policy (invalid CEL, unknown policy, missing params, a field the API server does not
// know, such as a validation's `fieldPath`, which only CRD validation rules have) is reported on the
// policy or binding file at the expression (`vap/invalid`); an expression stopped by the CEL budget
// too (`vap/budget`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isScalar, type Scalar } from 'yaml';
import type { FindingSeverity } from '../findings';
import { resourceKey } from '../manifest/identity';
import { parseManifests, rangeOfPath, type ManifestDocument, type ManifestFile } from '../manifest/parse';
import { rangeAt, type SourceLocation } from '../manifest/range';
import { FileTree, isYamlName } from '../repo/file-tree';
import { matchesGlobOrParent } from '../util/glob';
import { compileCel, toCel, type CelBudget, type CelError, type CelProgram } from './cel/evaluator';
import { asKubectlReads } from './kubectl-reads';
import { crdResources, resourceOf, type ResourceInfo } from './resources';
import { VAP_PREFIX } from './rules';
import type { ObjectRef, ObjectSet, PolicyOptions, Violation } from './types';
import { get, groupOf, isRecord, labelsOf, selectorMatches, str, type Obj, type Path } from './workload';

export const VAP_VARIABLES = ['namespaceObject', 'object', 'oldObject', 'params', 'request', 'variables'] as const;

interface PolicyDoc {
  file: string;
  mf: ManifestFile;
  doc: ManifestDocument;
  value: Obj;
  name: string;
}

interface Expr {
  path: Path;
  expression: string;
  program?: CelProgram;
}

interface Validation {
  index: number;
  expr: Expr;
  message?: string;
  messageExpr?: Expr;
}

export interface AdmissionPolicy extends PolicyDoc {
  failurePolicy: 'Fail' | 'Ignore';
  paramKind?: { group: string; kind: string; apiVersion: string };
  matchConstraints?: Obj;
  matchConditions: Array<Expr & { name: string }>;
  variables: Array<Expr & { name: string }>;
  validations: Validation[];
}

export interface AdmissionBinding extends PolicyDoc {
  policyName: string;
  actions: Array<'Deny' | 'Warn' | 'Audit'>;
  paramRef?: Obj;
  matchResources?: Obj;
}

/** A problem of a policy or binding itself (not of the checked objects). */
export interface PolicyProblem {
  code: 'vap/invalid' | 'vap/budget';
  message: string;
  location: SourceLocation;
  severity?: FindingSeverity;
  /** Dedupe key. */
  key: string;
}

export interface ParamObject {
  value: Obj;
  file?: string;
  namespace?: string;
}

/** The policies, bindings, CRDs and parameter objects found in the policy files. */
export class PolicySet {
  readonly policies = new Map<string, AdmissionPolicy>();
  readonly bindings: AdmissionBinding[] = [];
  readonly params: ParamObject[] = [];
  /** Load-time problems (invalid CEL, unknown policies, bindings without params…). */
  readonly problems: PolicyProblem[] = [];
  crds = new Map<string, ResourceInfo>();
  readonly files: string[] = [];
  /** The text each file was loaded from. */
  readonly texts = new Map<string, string>();

  get size(): number {
    return this.policies.size;
  }
}

/** A location for a CEL expression in a policy file; inside the expression when the error says where. */
export function expressionLocation(p: Pick<PolicyDoc, 'file' | 'mf' | 'doc'>, exprPath: Path, err?: Pick<CelError, 'start' | 'end'>): SourceLocation {
  const whole = rangeOfPath(p.mf, p.doc, exprPath) ?? rangeOfPath(p.mf, p.doc, exprPath.slice(0, -1)) ?? p.doc.contentRange;
  const node = p.doc.yaml.getIn(exprPath, true) as Scalar | undefined;
  if (err?.start === undefined || !isScalar(node) || !node.range || typeof node.value !== 'string') return { file: p.file, range: whole };
  const inner = scalarOffset(p.mf.text, node, err.start, Math.max(err.end ?? err.start, err.start + 1));
  return { file: p.file, range: inner ? rangeAt(p.mf.lineCounter, inner[0], inner[1]) : whole };
}

/** Maps offsets in a scalar's value to offsets in the text (plain, quoted without escapes, simple blocks). */
function scalarOffset(text: string, node: Scalar, start: number, end: number): [number, number] | undefined {
  const [s, e] = node.range!;
  const raw = text.slice(s, e);
  const value = String(node.value);
  const clamp = (x: number) => Math.min(Math.max(x, 0), value.length);
  start = clamp(start);
  end = clamp(end);
  if (end <= start) {
    // an error at the very end (e.g. `Unexpected token: EOF`): underline the last character
    if (start < value.length) end = start + 1;
    else start = Math.max(0, end - 1);
  }
  if (node.type === 'PLAIN' && !raw.includes('\n')) return [s + start, s + end];
  if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && !raw.includes('\n') && raw.slice(1, -1) === value) return [s + 1 + start, s + 1 + end];
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    const headerEnd = text.indexOf('\n', s);
    if (headerEnd < 0) return undefined;
    const body = text.slice(headerEnd + 1, e);
    const lines = body.split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
    if (!Number.isFinite(indent)) return undefined;
    // offsets of each content character in the text, in value order
    const map: number[] = [];
    let rebuilt = '';
    let at = headerEnd + 1;
    lines.forEach((l, i) => {
      const content = l.slice(indent).replace(/\r$/, '');
      if (i > 0 && rebuilt !== '') {
        rebuilt += node.type === 'BLOCK_LITERAL' ? '\n' : ' ';
        map.push(at - 1);
      }
      for (let k = 0; k < content.length; k++) map.push(at + indent + k);
      rebuilt += content;
      at += l.length + 1;
    });
    if (!rebuilt.startsWith(value.replace(/\n$/, '')) && rebuilt.trimEnd() !== value.trimEnd()) return undefined;
    if (start >= map.length) return undefined;
    return [map[start], (map[Math.min(end, map.length) - 1] ?? map[start]) + 1];
  }
  return undefined;
}

const VARIABLE_REF = /\bvariables\.([A-Za-z_][A-Za-z0-9_]*)/g;

function compileExpr(p: PolicyDoc, exprPath: Path, expression: unknown, problems: PolicyProblem[], defined?: Set<string>): Expr | undefined {
  if (typeof expression !== 'string' || !expression.trim()) {
    problems.push({ code: 'vap/invalid', key: `${p.file}:${exprPath.join('.')}:empty`, message: `${p.value.kind} ${p.name}: expression is empty`, location: expressionLocation(p, exprPath) });
    return undefined;
  }
  if (defined) {
    for (const m of expression.matchAll(VARIABLE_REF)) {
      if (!defined.has(m[1])) {
        problems.push({
          code: 'vap/invalid', key: `${p.file}:${exprPath.join('.')}:var:${m[1]}`,
          message: `ValidatingAdmissionPolicy ${p.name}: variables.${m[1]} is not defined (defined: ${[...defined].join(', ') || 'none'})`,
          location: expressionLocation(p, exprPath, { start: m.index, end: m.index + m[0].length }),
        });
        return { path: exprPath, expression };
      }
    }
  }
  const c = compileCel(expression, VAP_VARIABLES);
  if (c.ok) return { path: exprPath, expression, program: c.program };
  const authorizer = /Unknown variable: authorizer/.test(c.error.message);
  problems.push({
    code: 'vap/invalid',
    key: `${p.file}:${exprPath.join('.')}`,
    severity: authorizer ? 'info' : undefined,
    message: authorizer
      ? `ValidatingAdmissionPolicy ${p.name}: uses authorizer, which needs a cluster; this expression is not evaluated offline`
      : `ValidatingAdmissionPolicy ${p.name}: invalid CEL (${c.error.kind === 'syntax' ? 'syntax' : 'type'} error): ${c.error.message}`,
    location: expressionLocation(p, exprPath, c.error),
  });
  return { path: exprPath, expression };
}

// The fields of admissionregistration.k8s.io/v1 the API server knows (it refuses a policy with any other).
const POLICY_SPEC_FIELDS = ['paramKind', 'matchConstraints', 'validations', 'failurePolicy', 'auditAnnotations', 'matchConditions', 'variables'];
const VALIDATION_FIELDS = ['expression', 'message', 'reason', 'messageExpression'];
const BINDING_SPEC_FIELDS = ['policyName', 'paramRef', 'validationActions', 'matchResources'];

/** A `vap/invalid` problem for each key of `value` (at `at`) the API server does not know. */
function unknownFields(p: PolicyDoc, value: unknown, at: Path, known: readonly string[], problems: PolicyProblem[]): void {
  if (!isRecord(value)) return;
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const where = at.map((x) => (typeof x === 'number' ? `[${x}]` : `.${x}`)).join('').slice(1);
    problems.push({
      code: 'vap/invalid', key: `${p.file}:${p.name}:${at.join('.')}:${key}`,
      message: `${p.value.kind} ${p.name}: ${where}.${key} is not a field of ${p.value.kind} (known: ${known.join(', ')}); the API server refuses it`,
      location: { file: p.file, range: rangeOfPath(p.mf, p.doc, [...at, key], { key: true }) ?? expressionLocation(p, [...at, key]).range },
    });
  }
}

function loadPolicy(p: PolicyDoc, set: PolicySet): void {
  const spec = isRecord(p.value.spec) ? p.value.spec : {};
  const problems = set.problems;
  unknownFields(p, spec, ['spec'], POLICY_SPEC_FIELDS, problems);
  const variables: AdmissionPolicy['variables'] = [];
  const defined = new Set<string>();
  const vars = Array.isArray(spec.variables) ? spec.variables : [];
  vars.forEach((v, i) => {
    const name = str(get(v, ['name'])) ?? `#${i}`;
    const e = compileExpr(p, ['spec', 'variables', i, 'expression'], get(v, ['expression']), problems, new Set(defined));
    defined.add(name);
    if (e) variables.push({ ...e, name });
  });
  const matchConditions: AdmissionPolicy['matchConditions'] = [];
  const mcs = Array.isArray(spec.matchConditions) ? spec.matchConditions : [];
  mcs.forEach((mc, i) => {
    const at: Path = ['spec', 'matchConditions', i, 'expression'];
    const expression = get(mc, ['expression']);
    // The API server compiles matchConditions without the policy's variables (it refuses the policy).
    const usesVariables = typeof expression === 'string' ? /\bvariables\b/.exec(expression) : null;
    if (usesVariables) {
      problems.push({
        code: 'vap/invalid', key: `${p.file}:${at.join('.')}:variables`,
        message: `ValidatingAdmissionPolicy ${p.name}: matchConditions cannot use variables (the API server evaluates them without the policy's variables and refuses the policy)`,
        location: expressionLocation(p, at, { start: usesVariables.index, end: usesVariables.index + usesVariables[0].length }),
      });
      matchConditions.push({ path: at, expression: String(expression), name: str(get(mc, ['name'])) ?? `#${i}` });
      return;
    }
    const e = compileExpr(p, at, expression, problems);
    if (e) matchConditions.push({ ...e, name: str(get(mc, ['name'])) ?? `#${i}` });
  });
  const validations: Validation[] = [];
  const vals = Array.isArray(spec.validations) ? spec.validations : [];
  vals.forEach((val, i) => {
    const expr = compileExpr(p, ['spec', 'validations', i, 'expression'], get(val, ['expression']), problems, defined);
    if (!expr) return;
    const v: Validation = { index: i, expr };
    const msg = str(get(val, ['message']));
    if (msg) v.message = msg;
    const me = get(val, ['messageExpression']);
    if (me !== undefined) v.messageExpr = compileExpr(p, ['spec', 'validations', i, 'messageExpression'], me, problems, defined);
    unknownFields(p, val, ['spec', 'validations', i], VALIDATION_FIELDS, problems);
    validations.push(v);
  });
  if (!vals.length && !(Array.isArray(spec.auditAnnotations) && spec.auditAnnotations.length)) {
    problems.push({ code: 'vap/invalid', key: `${p.file}:${p.name}:noval`, message: `ValidatingAdmissionPolicy ${p.name} has no validations`, location: expressionLocation(p, ['spec']) });
  }
  if (spec.failurePolicy !== undefined && spec.failurePolicy !== 'Fail' && spec.failurePolicy !== 'Ignore') {
    problems.push({ code: 'vap/invalid', key: `${p.file}:${p.name}:failurePolicy`, message: `ValidatingAdmissionPolicy ${p.name}: failurePolicy must be Fail or Ignore, not '${String(spec.failurePolicy)}'`, location: expressionLocation(p, ['spec', 'failurePolicy']) });
  }
  const pk = spec.paramKind;
  let paramKind: AdmissionPolicy['paramKind'];
  if (isRecord(pk) && str(pk.kind) && str(pk.apiVersion)) paramKind = { group: groupOf(pk.apiVersion), kind: str(pk.kind)!, apiVersion: str(pk.apiVersion)! };
  const policy: AdmissionPolicy = {
    ...p,
    failurePolicy: spec.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail',
    paramKind,
    matchConstraints: isRecord(spec.matchConstraints) ? spec.matchConstraints : undefined,
    matchConditions,
    variables,
    validations,
  };
  if (set.policies.has(p.name)) {
    problems.push({ code: 'vap/invalid', key: `${p.file}:dup:${p.name}`, message: `ValidatingAdmissionPolicy ${p.name} is defined more than once (the last one is used)`, location: expressionLocation(p, ['metadata', 'name']) });
  }
  set.policies.set(p.name, policy);
}

function loadBinding(p: PolicyDoc, set: PolicySet): void {
  const spec = isRecord(p.value.spec) ? p.value.spec : {};
  unknownFields(p, spec, ['spec'], BINDING_SPEC_FIELDS, set.problems);
  const raw = Array.isArray(spec.validationActions) ? spec.validationActions.map(String) : [];
  const actions = raw.filter((a): a is 'Deny' | 'Warn' | 'Audit' => a === 'Deny' || a === 'Warn' || a === 'Audit');
  if (!raw.length || actions.length !== raw.length) {
    set.problems.push({
      code: 'vap/invalid', key: `${p.file}:${p.name}:actions`,
      message: `ValidatingAdmissionPolicyBinding ${p.name}: validationActions must be a non-empty list of Deny, Warn, Audit`,
      location: expressionLocation(p, raw.length ? ['spec', 'validationActions'] : ['spec']),
    });
  } else if (actions.includes('Deny') && actions.includes('Warn')) {
    set.problems.push({
      code: 'vap/invalid', key: `${p.file}:${p.name}:deny-warn`,
      message: `ValidatingAdmissionPolicyBinding ${p.name}: validationActions must not contain both Deny and Warn (the API server refuses the binding)`,
      location: expressionLocation(p, ['spec', 'validationActions']),
    });
  }
  set.bindings.push({
    ...p,
    policyName: str(spec.policyName) ?? '',
    actions: actions.length ? actions : ['Deny'],
    paramRef: isRecord(spec.paramRef) ? spec.paramRef : undefined,
    matchResources: isRecord(spec.matchResources) ? spec.matchResources : undefined,
  });
}

const ADMISSION_GROUP = 'admissionregistration.k8s.io';

/** Loads policies, bindings, CRDs and candidate parameter objects from files (text given, or read from disk). */
export function loadPolicies(files: Array<{ file: string; text?: string }>): PolicySet {
  const set = new PolicySet();
  const crdObjects: Obj[] = [];
  for (const f of files) {
    let text = f.text;
    if (text === undefined) {
      try {
        text = fs.readFileSync(f.file, 'utf8');
      } catch {
        continue;
      }
    }
    if (!text.includes('kind')) continue;
    const mf = asKubectlReads(parseManifests(text)); // params as kubectl reads them (YAML 1.1 booleans)
    set.files.push(f.file);
    set.texts.set(f.file, text);
    for (const doc of mf.documents) {
      if (!doc.id || !isRecord(doc.value)) continue;
      const value = doc.value;
      const p: PolicyDoc = { file: f.file, mf, doc, value, name: doc.id.name };
      if (doc.id.group === ADMISSION_GROUP && doc.id.kind === 'ValidatingAdmissionPolicy') loadPolicy(p, set);
      else if (doc.id.group === ADMISSION_GROUP && doc.id.kind === 'ValidatingAdmissionPolicyBinding') loadBinding(p, set);
      else {
        if (doc.id.kind === 'CustomResourceDefinition') crdObjects.push(value);
        set.params.push({ value, file: f.file, namespace: doc.id.namespace });
      }
    }
  }
  set.crds = crdResources(crdObjects);
  for (const b of set.bindings) {
    const policy = set.policies.get(b.policyName);
    if (!policy) {
      set.problems.push({
        code: 'vap/invalid', key: `${b.file}:${b.name}:policy`,
        message: `ValidatingAdmissionPolicyBinding ${b.name}: policy '${b.policyName}' is not defined in the policy files${set.policies.size ? ` (defined: ${[...set.policies.keys()].join(', ')})` : ''}`,
        location: expressionLocation(b, ['spec', 'policyName']),
      });
    } else if (policy.paramKind && !b.paramRef) {
      set.problems.push({
        code: 'vap/invalid', key: `${b.file}:${b.name}:paramRef`,
        message: `ValidatingAdmissionPolicyBinding ${b.name}: policy ${policy.name} needs params (${policy.paramKind.kind}) but the binding has no paramRef`,
        location: expressionLocation(b, ['spec', 'policyName']),
      });
    }
  }
  // params named explicitly (name + namespace, or a cluster-scoped kind) must be in the files
  for (const b of set.bindings) {
    const policy = set.policies.get(b.policyName);
    const ref = b.paramRef;
    if (!policy?.paramKind || !ref || ref.parameterNotFoundAction === 'Allow' || !str(ref.name)) continue;
    const pk = policy.paramKind;
    const namespaced = resourceOf({ apiVersion: pk.apiVersion, kind: pk.kind }, set.crds).namespaced;
    const ns = str(ref.namespace);
    if (namespaced && !ns) continue; // the object's namespace: known only when objects are checked
    const found = set.params.some((x) => groupOf(x.value.apiVersion) === pk.group && x.value.kind === pk.kind && get(x.value, ['metadata', 'name']) === ref.name && (!namespaced || x.namespace === ns));
    if (found) continue;
    const what = `${pk.kind} ${namespaced ? `${ns}/` : ''}${str(ref.name)}`;
    set.problems.push(missingParams(b, policy, what));
  }
  // keep only the parameter objects some policy can use
  const kinds = new Set([...set.policies.values()].flatMap((p) => (p.paramKind ? [`${p.paramKind.group}/${p.paramKind.kind}`] : [])));
  const keep = set.params.filter((x) => kinds.has(`${groupOf(x.value.apiVersion)}/${String(x.value.kind)}`));
  set.params.length = 0;
  set.params.push(...keep);
  return set;
}

/**
 * The files that hold the repository's policies. With `policyPaths` (relative to the root; folders,
 * files or globs): the YAML files there. Without: every folder that holds a
 * ValidatingAdmissionPolicy or binding, with all its YAML files (parameters usually sit next to
 * the policy).
 */
export function findPolicyFiles(root: string, policyPaths: readonly string[] = [], tree?: FileTree): string[] {
  const t = tree ?? FileTree.scan(root);
  const all = [...t.files].filter((f) => isYamlName(path.basename(f)) || f.endsWith('.json')).sort();
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  if (policyPaths.length) return all.filter((f) => policyPaths.some((p) => matchesGlobOrParent(rel(f), p)));
  const dirs = new Set<string>();
  for (const f of all) {
    const r = t.read(f);
    if (r.text !== undefined && /kind:\s*["']?ValidatingAdmissionPolicy/.test(r.text)) dirs.add(path.dirname(f));
  }
  return all.filter((f) => dirs.has(path.dirname(f)));
}

function missingParams(binding: AdmissionBinding, policy: AdmissionPolicy, what: string): PolicyProblem {
  return {
    code: 'vap/invalid',
    key: `${binding.file}:${binding.name}:params:${what}`,
    message: `ValidatingAdmissionPolicyBinding ${binding.name}: no params found for policy ${policy.name} (${what}); the API server would reject every matching request`,
    location: expressionLocation(binding, isRecord(binding.paramRef) && binding.paramRef.name !== undefined ? ['spec', 'paramRef', 'name'] : ['spec', 'paramRef']),
  };
}

// ——— evaluation ———

export interface AdmissionSink {
  violation(obj: ObjectRef, v: Violation): void;
  problem(p: PolicyProblem): void;
}

export interface AdmissionContext {
  set: ObjectSet;
  options: PolicyOptions;
  budget?: Partial<CelBudget>;
}

const SEVERITY_OF_ACTION: Record<string, FindingSeverity> = { Deny: 'error', Warn: 'warning', Audit: 'info' };
const RANK: Record<FindingSeverity, number> = { error: 3, warning: 2, info: 1, hint: 0 };

function severityOf(actions: readonly string[]): FindingSeverity {
  let best: FindingSeverity = 'info';
  for (const a of actions) {
    const s = SEVERITY_OF_ACTION[a];
    if (s && RANK[s] > RANK[best]) best = s;
  }
  return best;
}

function listMatches(list: unknown, value: string): boolean {
  return Array.isArray(list) && list.some((x) => x === '*' || x === value);
}

function ruleMatches(rule: unknown, obj: ObjectRef, res: ResourceInfo, equivalent: boolean): boolean {
  if (!isRecord(rule)) return false;
  const group = obj.id.group;
  if (!listMatches(rule.apiGroups, group)) return false;
  if (!equivalent && !listMatches(rule.apiVersions, obj.id.version)) return false;
  if (!Array.isArray(rule.operations) || !rule.operations.some((o) => o === '*' || o === 'CREATE' || o === 'UPDATE')) return false;
  if (!Array.isArray(rule.resources) || !rule.resources.some((r) => r === '*' || r === '*/*' || r === res.resource || r === `${res.resource}/*`)) return false;
  if (Array.isArray(rule.resourceNames) && rule.resourceNames.length && !rule.resourceNames.includes(obj.id.name)) return false;
  const scope = rule.scope;
  if (scope === 'Cluster' && res.namespaced) return false;
  if (scope === 'Namespaced' && !res.namespaced) return false;
  return true;
}

type Labels = Record<string, string> | undefined;

/** Does a matchConstraints / matchResources block select the object? undefined: cannot tell (unknown namespace). */
function matchResources(m: Obj | undefined, obj: ObjectRef, res: ResourceInfo, nsLabels: () => Labels, requireRules: boolean): boolean | undefined {
  if (!m) return !requireRules;
  const equivalent = m.matchPolicy !== 'Exact';
  const rules = m.resourceRules;
  if (Array.isArray(rules) && rules.length) {
    if (!rules.some((r) => ruleMatches(r, obj, res, equivalent))) return false;
  } else if (requireRules) return false;
  const excl = m.excludeResourceRules;
  if (Array.isArray(excl) && excl.some((r) => ruleMatches(r, obj, res, equivalent))) return false;
  if (isRecord(m.objectSelector) && !selectorMatches(m.objectSelector, labelsOf(obj.value.metadata))) return false;
  const nsSel = m.namespaceSelector;
  const selective = isRecord(nsSel) && (Object.keys(isRecord(nsSel.matchLabels) ? nsSel.matchLabels : {}).length > 0 || (Array.isArray(nsSel.matchExpressions) && nsSel.matchExpressions.length > 0));
  if (selective) {
    if (obj.id.kind === 'Namespace' && obj.id.group === '') return selectorMatches(nsSel, labelsOf(obj.value.metadata));
    if (!res.namespaced) return true;
    const labels = nsLabels();
    if (!labels) return undefined;
    if (!selectorMatches(nsSel, labels)) return false;
  }
  return true;
}

function paramsFor(policy: AdmissionPolicy, binding: AdmissionBinding, obj: ObjectRef, set: PolicySet, ctx: AdmissionContext): { params: Array<Obj | null>; missing?: string } {
  if (!policy.paramKind) return { params: [null] };
  const ref = binding.paramRef;
  if (!ref) return { params: [] };
  const pk = policy.paramKind;
  const pkNamespaced = resourceOf({ apiVersion: pk.apiVersion, kind: pk.kind }, set.crds).namespaced;
  const ns = str(ref.namespace) ?? (pkNamespaced ? obj.namespace : undefined);
  const name = str(ref.name);
  const pool = ctx.set.memo(`params:${pk.group}/${pk.kind}`, () => {
    const seen = new Set<string>();
    const out: ParamObject[] = [];
    const candidates: ParamObject[] = [...set.params, ...ctx.set.ofKind(pk.kind).map((o) => ({ value: o.value, namespace: o.namespace }))];
    for (const c of candidates) {
      if (groupOf(c.value.apiVersion) !== pk.group || c.value.kind !== pk.kind) continue;
      const key = resourceKey({ group: pk.group, kind: pk.kind, namespace: c.namespace, name: str(get(c.value, ['metadata', 'name'])) ?? '' });
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(c);
    }
    return out;
  });
  const index = ctx.set.memo(`paramIndex:${pk.group}/${pk.kind}`, () => {
    const m = new Map<string, ParamObject[]>();
    const add = (k: string, c: ParamObject) => {
      const l = m.get(k);
      if (l) l.push(c);
      else m.set(k, [c]);
    };
    for (const c of pool) {
      add(`${c.namespace ?? ''}\u0000${str(get(c.value, ['metadata', 'name'])) ?? ''}`, c);
      add(`${c.namespace ?? ''}\u0000*`, c);
      add('*', c);
    }
    return m;
  });
  const nsKey = pkNamespaced ? (ns ?? '') : undefined;
  const matches = name
    ? nsKey !== undefined
      ? (index.get(`${nsKey}\u0000${name}`) ?? [])
      : (index.get('*') ?? []).filter((c) => get(c.value, ['metadata', 'name']) === name)
    : (nsKey !== undefined ? (index.get(`${nsKey}\u0000*`) ?? []) : (index.get('*') ?? [])).filter((c) => selectorMatches(isRecord(ref.selector) ? ref.selector : {}, labelsOf(c.value.metadata)));
  if (matches.length) return { params: matches.map((m) => m.value) };
  const what = name ? `${pk.kind} ${ns ? `${ns}/` : ''}${name}` : `${pk.kind} matching the selector${ns ? ` in ${ns}` : ''}`;
  return { params: [], missing: ref.parameterNotFoundAction === 'Allow' ? undefined : what };
}

function requestFor(obj: ObjectRef, res: ResourceInfo): Obj {
  const kind = { group: obj.id.group, version: obj.id.version, kind: obj.id.kind };
  const resource = { group: obj.id.group, version: obj.id.version, resource: res.resource };
  return {
    uid: 'reconcile-offline-check',
    kind, resource, requestKind: kind, requestResource: resource,
    name: obj.id.name,
    namespace: res.namespaced ? (obj.namespace ?? '') : '',
    operation: 'CREATE',
    userInfo: { username: 'reconcile', groups: ['system:authenticated'] },
    dryRun: true,
    options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
  };
}

class VariableFailure extends Error {
  constructor(
    readonly variable: Expr & { name: string },
    readonly error: CelError,
  ) {
    super(`variables.${variable.name}: ${error.message}`);
  }
}

type Outcome = { kind: 'pass' } | { kind: 'skip' } | { kind: 'fail'; message: string } | { kind: 'error'; message: string } | { kind: 'budget'; expr: Expr; message: string };

/**
 * One policy evaluated on one object with one param: the activation and its lazily computed
 * variables are shared by the matchConditions and every validation (like the API server does).
 */
class PolicyRun {
  private readonly activation: Record<string, unknown>;

  constructor(
    private readonly policy: AdmissionPolicy,
    base: Obj,
    objectValue: unknown,
    private readonly budget: Partial<CelBudget> | undefined,
  ) {
    const activation: Record<string, unknown> = { ...base, object: objectValue };
    const variables: Record<string, unknown> = {};
    for (const v of policy.variables) {
      Object.defineProperty(variables, v.name, {
        enumerable: true,
        configurable: true,
        get() {
          if (!v.program) throw new VariableFailure(v, { kind: 'type', message: 'invalid expression' });
          const r = v.program.evaluate(activation, budget);
          if (!r.ok) throw new VariableFailure(v, r.error);
          Object.defineProperty(variables, v.name, { value: r.value, enumerable: true });
          return r.value;
        },
      });
    }
    activation.variables = variables;
    this.activation = activation;
  }

  private failure(e: CelError, expr: Expr): Outcome {
    return e.kind === 'budget' ? { kind: 'budget', expr, message: e.message } : { kind: 'error', message: e.message };
  }

  private evalExpr(e: Expr, activation = this.activation): { ok: true; value: unknown } | { ok: false; outcome: Outcome } {
    let r;
    try {
      r = e.program!.evaluate(activation, this.budget);
    } catch (err) {
      if (err instanceof VariableFailure) return { ok: false, outcome: this.failure(err.error, err.variable) };
      throw err;
    }
    if (r.ok) return { ok: true, value: r.value };
    // an error inside a variable's getter surfaces here: attribute it to the variable
    const vf = /^variables\.([A-Za-z_]\w*): /.exec(r.error.message);
    const v = vf ? this.policy.variables.find((x) => x.name === vf[1]) : undefined;
    if (v && /budget exceeded/.test(r.error.message)) return { ok: false, outcome: { kind: 'budget', expr: v, message: r.error.message.slice(vf![0].length) } };
    return { ok: false, outcome: this.failure(r.error, e) };
  }

  /**
   * The matchConditions: undefined when they all hold, else the outcome (skip, error, budget).
   * The API server evaluates them without the namespace: `namespaceObject` is null there (so
   * `namespaceObject.metadata` is an error and `has(namespaceObject.metadata)` false).
   */
  matchConditions(): Outcome | undefined {
    const activation = { ...this.activation, namespaceObject: null };
    for (const mc of this.policy.matchConditions) {
      if (!mc.program) return { kind: 'skip' };
      const r = this.evalExpr(mc, activation);
      if (!r.ok) {
        if (r.outcome.kind === 'budget') return r.outcome;
        return this.policy.failurePolicy === 'Ignore' ? { kind: 'skip' } : { kind: 'error', message: `matchCondition ${mc.name}: ${(r.outcome as { message: string }).message}` };
      }
      if (r.value === false) return { kind: 'skip' };
    }
    return undefined;
  }

  validate(val: Validation): Outcome {
    if (!val.expr.program) return { kind: 'skip' };
    const r = this.evalExpr(val.expr);
    if (!r.ok) return r.outcome.kind === 'budget' || this.policy.failurePolicy !== 'Ignore' ? r.outcome : { kind: 'skip' };
    if (r.value === true) return { kind: 'pass' };
    if (r.value !== false) return this.policy.failurePolicy === 'Ignore' ? { kind: 'skip' } : { kind: 'error', message: `expression returned ${typeof r.value}, not bool` };
    let message = val.message ?? `failed expression: ${val.expr.expression.trim()}`;
    if (val.messageExpr?.program) {
      const m = this.evalExpr(val.messageExpr);
      if (m.ok && typeof m.value === 'string' && m.value.trim() && m.value.length <= 5000 && !m.value.includes('\n')) message = m.value.trim();
    }
    return { kind: 'fail', message };
  }
}

/** Evaluates one validation (with the policy's matchConditions and variables) on one object value. */
function runValidation(policy: AdmissionPolicy, val: Validation, base: Obj, objectValue: unknown, budget: Partial<CelBudget> | undefined): Outcome {
  const run = new PolicyRun(policy, base, objectValue, budget);
  return run.matchConditions() ?? run.validate(val);
}

/** Evaluates every binding of the set on one object. */
export function checkAdmission(obj: ObjectRef, policies: PolicySet, ctx: AdmissionContext, sink: AdmissionSink): void {
  if (!policies.bindings.length) return;
  const crds = ctx.set.memo('crds', () => {
    const m = new Map(policies.crds);
    for (const [k, v] of crdResources(ctx.set.ofKind('CustomResourceDefinition').map((o) => o.value))) m.set(k, v);
    return m;
  });
  const res = resourceOf(obj.value, crds);
  const nsLabels = (): Labels => {
    const ns = obj.namespace;
    if (!ns) return undefined;
    return ctx.set.namespaceLabels(ns) ?? ctx.options.namespaceLabels?.(ns);
  };
  let objectCel: unknown;
  let base: Obj | undefined;
  for (const binding of policies.bindings) {
    const policy = policies.policies.get(binding.policyName);
    if (!policy || !policy.validations.length) continue;
    if (matchResources(policy.matchConstraints, obj, res, nsLabels, true) !== true) continue;
    if (binding.matchResources && matchResources(binding.matchResources, obj, res, nsLabels, false) !== true) continue;
    const { params, missing } = paramsFor(policy, binding, obj, policies, ctx);
    if (missing) {
      sink.problem(missingParams(binding, policy, missing));
      continue;
    }
    objectCel ??= toCel(obj.value);
    if (!base) {
      const nsObj = obj.namespace ? (ctx.set.namespaceObject(obj.namespace)?.value ?? null) : null;
      base = { oldObject: null, request: toCel(requestFor(obj, res)), namespaceObject: nsObj ? toCel(nsObj) : null, params: null };
    }
    const severity = severityOf(binding.actions);
    for (const param of params) {
      const b = { ...base, params: param ? toCel(param) : null };
      const run = new PolicyRun(policy, b, objectCel, ctx.budget);
      const unmatched = run.matchConditions();
      if (unmatched?.kind === 'skip') continue;
      for (const val of unmatched ? policy.validations.slice(0, 1) : policy.validations) {
        const out = unmatched ?? run.validate(val);
        if (out.kind === 'pass' || out.kind === 'skip') continue;
        if (out.kind === 'budget') {
          sink.problem({
            code: 'vap/budget', key: `${policy.file}:${policy.name}:${out.expr.path.join('.')}`,
            message: `ValidatingAdmissionPolicy ${policy.name}: ${out.message}; the expression is too expensive (on ${obj.id.kind} ${obj.id.name})`,
            location: expressionLocation(policy, out.expr.path),
          });
          continue;
        }
        const message = out.kind === 'fail' ? out.message : `expression could not be evaluated: ${out.message}`;
        sink.violation(obj, {
          code: `${VAP_PREFIX}${policy.name}`,
          message: `${policy.name}: ${message}`,
          path: ['metadata', 'name'],
          anchor: ['metadata', 'name'],
          severity,
          reproduces: (candidate) => runValidation(policy, val, b, toCel(candidate), ctx.budget).kind === 'fail',
        });
      }
    }
  }
}
