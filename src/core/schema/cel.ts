// The `x-kubernetes-validations` CEL rules of CRD schemas, evaluated with @marcbachmann/cel-js the
// way the API server evaluates them on create: `self` is the value at the rule's place, there is no
// `oldSelf` (transition rules are skipped), integers are CEL ints (BigInt). Evaluation is bounded
// by a time budget per document and a step budget per rule.
// One CEL engine for the whole product: the policy engine's evaluator (compile cache, the Kubernetes
// CEL libraries, a step and time budget per evaluation) also runs CRD validation rules.
import { compileCel } from '../policy/cel/evaluator';
import type { CelRule, CelRuleSet, JsonSchema } from './types';
import { isRecord } from '../util/record';
import { holdsPlaceholder } from './placeholders';

export interface CelViolation {
  /** Where the rule sits (object path), or where its fieldPath points. */
  path: (string | number)[];
  /** Whether `path` came from the rule's fieldPath (point at the field, not the object). */
  fromFieldPath: boolean;
  message: string;
  rule: string;
}

export interface CelResult {
  violations: CelViolation[];
  /** Rules not evaluated because the time budget ran out. */
  skippedForBudget: number;
  /** Rules that cel-js could not compile (e.g. Kubernetes library functions it lacks): not checked. */
  unsupported: number;
}

function schemaType(s: JsonSchema | undefined): unknown {
  return s?.type;
}

/** The value as CEL sees it: integers where the schema says integer (or does not say) become BigInt. */
export function toCelValue(v: unknown, s: JsonSchema | undefined): unknown {
  if (typeof v === 'number') {
    const t = schemaType(s);
    const numberTyped = t === 'number' || (Array.isArray(t) && t.includes('number') && !t.includes('integer'));
    return Number.isInteger(v) && !numberTyped ? BigInt(v) : v;
  }
  if (Array.isArray(v)) {
    const items = isRecord(s?.items) ? (s!.items as JsonSchema) : undefined;
    return v.map((x) => toCelValue(x, items));
  }
  if (isRecord(v)) {
    const props = isRecord(s?.properties) ? (s!.properties as Record<string, JsonSchema>) : undefined;
    const extra = isRecord(s?.additionalProperties) ? (s!.additionalProperties as JsonSchema) : undefined;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCelValue(x, props?.[k] ?? extra);
    // defaults, as the API server applies them before it runs the rules (Gateway API's parentRefs[].kind…)
    if (props) for (const [k, ps] of Object.entries(props)) if (!(k in out) && isRecord(ps) && ps.default !== undefined) out[k] = toCelValue(structuredClone(ps.default), ps);
    return out;
  }
  return v;
}

/** Every (path, value) that a rule path (`*` = each item or map value) reaches in `root`. */
function reach(root: unknown, path: string[]): { path: (string | number)[]; value: unknown }[] {
  let cur: { path: (string | number)[]; value: unknown }[] = [{ path: [], value: root }];
  for (const seg of path) {
    const next: typeof cur = [];
    for (const c of cur) {
      if (seg === '*') {
        if (Array.isArray(c.value)) c.value.forEach((x, i) => next.push({ path: [...c.path, i], value: x }));
        else if (isRecord(c.value)) for (const [k, x] of Object.entries(c.value)) next.push({ path: [...c.path, k], value: x });
      } else if (isRecord(c.value) && c.value[seg] !== undefined && c.value[seg] !== null) {
        next.push({ path: [...c.path, seg], value: c.value[seg] });
      }
    }
    cur = next;
  }
  return cur;
}

/** `.spec.replicas`, `.spec['a.b']`, `.items[0]` → path segments (relative). */
export function parseFieldPath(fp: string): (string | number)[] | undefined {
  const out: (string | number)[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]|\[(\d+)\]/y;
  let i = 0;
  while (i < fp.length) {
    re.lastIndex = i;
    const m = re.exec(fp);
    if (!m) return undefined;
    out.push(m[1] ?? m[2] ?? m[3] ?? Number(m[4]));
    i = re.lastIndex;
  }
  return out;
}

/** Evaluates every rule set on a document's value. */
export function evaluateCel(root: unknown, ruleSets: readonly CelRuleSet[], budgetMs = 50): CelResult {
  const res: CelResult = { violations: [], skippedForBudget: 0, unsupported: 0 };
  // Compiled before the clock starts (once per rule and process, cached): the budget is for evaluation,
  // so that a kind's first object does not lose its rules to compilation on a busy machine.
  for (const set of ruleSets) for (const r of set.rules) compileCel(r.rule, ['self']);
  const started = performance.now();
  for (const set of ruleSets) {
    for (const target of reach(root, set.path)) {
      const self = toCelValue(target.value, set.schema);
      for (const r of set.rules) {
        if (/\boldSelf\b/.test(r.rule)) continue; // transition rule: no old object on create
        if (performance.now() - started > budgetMs) {
          res.skippedForBudget++;
          continue;
        }
        const v = check(r, self, budgetMs - (performance.now() - started));
        if (v === 'unsupported') res.unsupported++;
        else if (v === 'budget') res.skippedForBudget++;
        else if (v !== undefined) {
          if (holdsPlaceholder(target.value)) continue; // a `${VAR}` not substituted yet: unknown, not a violation
          const fp = r.fieldPath ? parseFieldPath(r.fieldPath) : undefined;
          res.violations.push({ path: fp ? [...target.path, ...fp] : target.path, fromFieldPath: !!fp, message: v, rule: r.rule });
        }
      }
    }
  }
  return res;
}

/** undefined when the rule holds; the message when it fails; 'unsupported' when it cannot be run. */
function check(r: CelRule, self: unknown, maxMillis: number): string | 'unsupported' | 'budget' | undefined {
  const c = compileCel(r.rule, ['self']);
  if (!c.ok) return 'unsupported';
  const out = c.program.evaluate({ self }, { maxMillis: Math.max(1, maxMillis) });
  if (!out.ok) {
    if (out.error.kind === 'budget') return 'budget';
    // A missing field is an error for the API server too ("no such key"); anything else is most
    // likely a function the engine lacks, and is not reported.
    if (!/no such key/i.test(out.error.message)) return 'unsupported';
    return `${messageOf(r, self)} (${out.error.message.split('\n')[0]})`;
  }
  if (out.value === true) return undefined;
  return messageOf(r, self);
}

function messageOf(r: CelRule, self: unknown): string {
  if (r.messageExpression) {
    const c = compileCel(r.messageExpression, ['self']);
    if (c.ok) {
      const m = c.program.evaluate({ self });
      if (m.ok && typeof m.value === 'string' && m.value.trim()) return m.value;
    }
  }
  return r.message ?? `failed rule: ${r.rule}`;
}
