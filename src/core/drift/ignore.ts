// Ignore rules (`ignore:` in .reconcile.yaml, like Argo CD's ignoreDifferences): per group/kind/name/
// namespace and optionally per environment, fields named by JSON pointers or jq-like paths are removed
// from both sides before comparing, and fields owned by the listed field managers are not reported.
//
// jq-like paths: the common subset Argo CD users write —
//   .spec.replicas                      .metadata.annotations["example.com/x"]   .metadata.annotations."x"
//   .spec.template.spec.containers[0].image                .spec.template.spec.containers[].env
//   .spec.template.spec.containers[] | select(.name == "x") | .image
//   .spec.rules[] | select(.host != "a")                     .items[] | select(.enabled)
// i.e. field access, [n], [], pipes, and select() with ==, != or truthiness against a path. Anything
// else (functions, alternatives `//`, arithmetic) is reported as unsupported and ignored.
import type { IgnoreRule } from '../repo/model';
import { isRecord } from '../util/record';

export type JqStep =
  | { type: 'field'; name: string }
  | { type: 'index'; index: number }
  | { type: 'iterate' }
  | { type: 'select'; path: JqStep[]; op?: '==' | '!='; value?: unknown };

export interface IgnoreProblem {
  expression: string;
  message: string;
  rule: IgnoreRule;
}

export interface ResourceIgnore {
  pointers: string[][];
  jq: JqStep[][];
  managers: Set<string>;
  /** True when nothing is ignored. */
  empty: boolean;
}

export interface IgnoreTarget {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
  environment?: string;
}

// --- JSON pointers ----------------------------------------------------------------------------------

export function parseJsonPointer(p: string): string[] {
  if (p === '' || p === '/') return [];
  if (!p.startsWith('/')) throw new Error('a JSON pointer starts with "/"');
  return p
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Removes the value at the pointer (in place). */
export function deletePointer(obj: unknown, tokens: string[]): void {
  if (tokens.length === 0) return;
  let cur: unknown = obj;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i];
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isRecord(cur)) cur = cur[t];
    else return;
  }
  const last = tokens[tokens.length - 1];
  if (Array.isArray(cur)) {
    const i = Number(last);
    if (Number.isInteger(i) && i >= 0 && i < cur.length) cur.splice(i, 1);
  } else if (isRecord(cur)) delete cur[last];
}

// --- jq-like paths --------------------------------------------------------------------------------

class JqParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): JqStep[] {
    const steps = this.pipeline();
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected "${this.s.slice(this.i, this.i + 10)}"`);
    return steps;
  }

  private fail(msg: string): never {
    throw new Error(`${msg} at ${this.i + 1}`);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private pipeline(): JqStep[] {
    const steps: JqStep[] = [];
    for (;;) {
      this.ws();
      if (this.s.startsWith('select', this.i)) steps.push(this.select());
      else steps.push(...this.path(true));
      this.ws();
      if (this.s[this.i] === '|') {
        this.i++;
        continue;
      }
      return steps;
    }
  }

  private select(): JqStep {
    this.i += 'select'.length;
    this.ws();
    if (this.s[this.i] !== '(') this.fail('expected "(" after select');
    this.i++;
    this.ws();
    const path = this.path(true);
    this.ws();
    let op: '==' | '!=' | undefined;
    let value: unknown;
    if (this.s.startsWith('==', this.i) || this.s.startsWith('!=', this.i)) {
      op = this.s.slice(this.i, this.i + 2) as '==' | '!=';
      this.i += 2;
      this.ws();
      value = this.literal();
      this.ws();
    }
    if (this.s[this.i] !== ')') this.fail('only `select(.path)`, `select(.path == value)` and `select(.path != value)` are supported');
    this.i++;
    return { type: 'select', path, ...(op ? { op, value } : {}) };
  }

  private literal(): unknown {
    const rest = this.s.slice(this.i);
    const m = /^("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(rest);
    if (!m) this.fail('expected a string, number, true, false or null');
    this.i += m[0].length;
    return JSON.parse(m[0]);
  }

  private string(): string {
    const m = /^"(?:[^"\\]|\\.)*"/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected a string');
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  /** `.a.b["c"][0][]`; `.` alone is the identity. */
  private path(required: boolean): JqStep[] {
    const steps: JqStep[] = [];
    this.ws();
    if (this.s[this.i] !== '.') {
      if (required) this.fail('expected a path starting with "."');
      return steps;
    }
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '.') {
        this.i++;
        const next = this.s[this.i];
        if (next === '"') steps.push({ type: 'field', name: this.string() });
        else if (next !== undefined && /[A-Za-z_$]/.test(next)) {
          const m = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(this.s.slice(this.i))!;
          this.i += m[0].length;
          steps.push({ type: 'field', name: m[0] });
        } else if (next === '[') continue;
        else if (steps.length === 0) continue; // identity
        else this.fail('expected a field name after "."');
      } else if (c === '[') {
        this.i++;
        this.ws();
        if (this.s[this.i] === ']') {
          this.i++;
          steps.push({ type: 'iterate' });
        } else if (this.s[this.i] === '"') {
          const name = this.string();
          this.ws();
          if (this.s[this.i] !== ']') this.fail('expected "]"');
          this.i++;
          steps.push({ type: 'field', name });
        } else {
          const m = /^-?\d+/.exec(this.s.slice(this.i));
          if (!m) this.fail('expected an index, a string or "]"');
          this.i += m[0].length;
          this.ws();
          if (this.s[this.i] !== ']') this.fail('expected "]"');
          this.i++;
          steps.push({ type: 'index', index: Number(m[0]) });
        }
      } else break;
    }
    return steps;
  }
}

/** Parses a jq-like path (the supported subset); throws an Error saying what is not supported. */
export function parseJqPath(expression: string): JqStep[] {
  return new JqParser(expression.trim()).parse();
}

function evaluate(v: unknown, steps: JqStep[]): unknown {
  let cur = v;
  for (const s of steps) {
    if (s.type === 'field') cur = isRecord(cur) ? cur[s.name] : undefined;
    else if (s.type === 'index') cur = Array.isArray(cur) ? cur[s.index < 0 ? cur.length + s.index : s.index] : undefined;
    else return undefined; // iterate/select inside a condition: not supported, never matches
  }
  return cur;
}

function selects(v: unknown, s: Extract<JqStep, { type: 'select' }>): boolean {
  const x = evaluate(v, s.path);
  if (!s.op) return x !== undefined && x !== null && x !== false;
  const eq = JSON.stringify(x) === JSON.stringify(s.value);
  return s.op === '==' ? eq : !eq;
}

/** Removes every value the path selects (in place). */
export function deleteJq(obj: unknown, steps: JqStep[]): void {
  if (steps.length === 0) return;
  const holder = { root: obj };
  visit(holder, 'root', steps, 0);
}

function remove(parent: unknown, key: string | number): void {
  if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
  else if (isRecord(parent)) delete parent[key as string];
}

function visit(parent: unknown, key: string | number, steps: JqStep[], i: number): void {
  const cur = Array.isArray(parent) ? parent[key as number] : isRecord(parent) ? parent[key as string] : undefined;
  if (cur === undefined) return;
  if (i === steps.length) {
    if (parent !== undefined && key !== 'root') remove(parent, key);
    return;
  }
  const s = steps[i];
  switch (s.type) {
    case 'field':
      if (isRecord(cur)) visit(cur, s.name, steps, i + 1);
      return;
    case 'index':
      if (Array.isArray(cur)) visit(cur, s.index < 0 ? cur.length + s.index : s.index, steps, i + 1);
      return;
    case 'iterate':
      if (Array.isArray(cur)) for (let j = cur.length - 1; j >= 0; j--) visit(cur, j, steps, i + 1);
      else if (isRecord(cur)) for (const k of Object.keys(cur)) visit(cur, k, steps, i + 1);
      return;
    case 'select':
      if (selects(cur, s)) visit(parent, key, steps, i + 1);
      return;
  }
}

// --- rules ------------------------------------------------------------------------------------------

function matchName(pattern: string | undefined, value: string | undefined): boolean {
  if (pattern === undefined || pattern === '' || pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === (value ?? '');
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value ?? '');
}

export interface CompiledIgnore {
  /** Expressions that could not be used, with why. */
  problems: IgnoreProblem[];
  forResource(target: IgnoreTarget): ResourceIgnore;
}

const NOTHING: ResourceIgnore = { pointers: [], jq: [], managers: new Set(), empty: true };

/** Checks and compiles the rules once; forResource() picks those that apply to one object. */
export function compileIgnoreRules(rules: readonly IgnoreRule[]): CompiledIgnore {
  const problems: IgnoreProblem[] = [];
  const compiled = rules.map((rule) => {
    const pointers: string[][] = [];
    const jq: JqStep[][] = [];
    for (const p of rule.jsonPointers ?? []) {
      try {
        pointers.push(parseJsonPointer(p));
      } catch (e) {
        problems.push({ rule, expression: p, message: (e as Error).message });
      }
    }
    for (const x of rule.jqPathExpressions ?? []) {
      try {
        jq.push(parseJqPath(x));
      } catch (e) {
        problems.push({ rule, expression: x, message: `unsupported jq path: ${(e as Error).message}` });
      }
    }
    return { rule, pointers, jq };
  });
  return {
    problems,
    forResource(t: IgnoreTarget): ResourceIgnore {
      let out: ResourceIgnore | undefined;
      for (const c of compiled) {
        const r = c.rule;
        if (r.group !== undefined && r.group !== '*' && r.group !== t.group) continue;
        if (r.kind !== undefined && r.kind !== '*' && r.kind !== t.kind) continue;
        if (!matchName(r.name, t.name)) continue;
        if (!matchName(r.namespace, t.namespace)) continue;
        if (r.environments && r.environments.length && (!t.environment || !r.environments.includes(t.environment))) continue;
        out ??= { pointers: [], jq: [], managers: new Set(), empty: true };
        out.pointers.push(...c.pointers);
        out.jq.push(...c.jq);
        for (const m of r.managedFieldsManagers ?? []) out.managers.add(m);
        out.empty = out.pointers.length === 0 && out.jq.length === 0 && out.managers.size === 0;
      }
      return out ?? NOTHING;
    },
  };
}

/** Removes the ignored fields from a (normalized, already copied) object, in place. */
export function applyIgnore(obj: unknown, ignore: ResourceIgnore): void {
  for (const p of ignore.pointers) deletePointer(obj, p);
  for (const j of ignore.jq) deleteJq(obj, j);
}
