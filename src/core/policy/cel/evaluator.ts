// celEvaluator: the one CEL wrapper for admission policies and CRD x-kubernetes-validations.
//   compileCel(expression, variableNames) → a cached program (or a syntax/type error with offsets)
//   program.evaluate(activation, budget)   → value, or an error (evaluation or budget)
// Values go in through toCel (integers become BigInt, as CEL's int) and come out through fromCel.
//
// Budget: @marcbachmann/cel-js has no cost limit, so every evaluation step (AST node run,
// comprehension iteration) is counted through the library's evaluator, and the clock is read
// every 1,024 steps. Once over budget every further step fails at once (so `||`/`exists` cannot
// swallow the error) and the evaluation reports `budget`.
import { Environment, ParseError, TypeError as CelTypeError, Optional, type ParseResult } from '@marcbachmann/cel-js';
import { CEL_LIBRARY, registerKubernetesLibrary } from './library';

export { CEL_LIBRARY };

export interface CelBudget {
  /** Evaluation steps (AST node evaluations, comprehension iterations). */
  maxSteps: number;
  /** Wall-clock limit for one evaluation. */
  maxMillis: number;
}

export const DEFAULT_CEL_BUDGET: Readonly<CelBudget> = Object.freeze({ maxSteps: 1_000_000, maxMillis: 250 });

export type CelErrorKind = 'syntax' | 'type' | 'evaluation' | 'budget';

export interface CelError {
  kind: CelErrorKind;
  /** One line, without the source excerpt. */
  message: string;
  /** Offsets in the expression, when known: [start, end). */
  start?: number;
  end?: number;
}

export type CelOutcome = { ok: true; value: unknown; steps: number } | { ok: false; error: CelError; steps: number };

export interface CelProgram {
  readonly expression: string;
  readonly variables: readonly string[];
  evaluate(activation: Record<string, unknown>, budget?: Partial<CelBudget>): CelOutcome;
}

export type CelCompileResult = { ok: true; program: CelProgram } | { ok: false; error: CelError };

// ——— budget meter ———
interface Meter {
  steps: number;
  maxSteps: number;
  deadline: number;
  exhausted?: 'steps' | 'time';
}
let meter: Meter | undefined;
let meterInstalled = false;
class BudgetExceeded extends Error {}
const budgetError = new BudgetExceeded('CEL evaluation budget exceeded');

/** Wraps the library's evaluator `run` (found through a probe function's `this`) to count steps. */
function installMeter(): void {
  if (meterInstalled) return;
  meterInstalled = true;
  let ev: { run?: unknown } | undefined;
  const probe = new Environment().registerFunction('reconcileMeterProbe(): bool', function (this: { run?: unknown }) {
    ev = this;
    return true;
  });
  probe.evaluate('reconcileMeterProbe()');
  const proto = ev ? (Object.getPrototypeOf(ev) as { run?: (ast: unknown, ctx: unknown) => unknown }) : undefined;
  if (!proto || typeof proto.run !== 'function') return;
  const original = proto.run;
  proto.run = function (this: unknown, ast: unknown, ctx: unknown) {
    const m = meter;
    if (m !== undefined) {
      if (m.exhausted) throw budgetError;
      if (++m.steps > m.maxSteps) {
        m.exhausted = 'steps';
        throw budgetError;
      }
      if ((m.steps & 1023) === 0 && performance.now() > m.deadline) {
        m.exhausted = 'time';
        throw budgetError;
      }
    }
    return original.call(this, ast, ctx);
  };
}

/** True when evaluation steps are metered (the library's internals were found). */
export function isMetered(): boolean {
  const r = compileCel('[1, 2, 3].all(x, x > 0)', []);
  if (!r.ok) return false;
  const o = r.program.evaluate({});
  return o.steps > 0;
}

// ——— environments and the compile cache ———
let base: Environment | undefined;
const environments = new Map<string, Environment>();
const compiled = new Map<string, CelCompileResult>();
const MAX_CACHE = 5000;

function baseEnvironment(): Environment {
  if (!base) {
    installMeter();
    base = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false });
    registerKubernetesLibrary(base);
  }
  return base;
}

function environmentFor(variables: readonly string[]): Environment {
  const key = variables.join(',');
  let env = environments.get(key);
  if (!env) {
    env = baseEnvironment().clone();
    for (const v of variables) env.registerVariable(v, 'dyn');
    environments.set(key, env);
  }
  return env;
}

function firstLine(e: unknown): string {
  const s = (e as { summary?: string }).summary ?? (e instanceof Error ? e.message : String(e));
  return s.split('\n')[0].trim();
}

function errorOf(kind: CelErrorKind, e: unknown): CelError {
  const r = (e as { range?: { start: number; end: number } }).range;
  const out: CelError = { kind, message: firstLine(e) };
  if (r && Number.isFinite(r.start)) {
    out.start = r.start;
    out.end = Math.max(r.start, r.end);
  }
  return out;
}

/** Compiles (parses and type-checks) an expression over `variables` (all typed dyn). Cached. */
export function compileCel(expression: string, variables: readonly string[]): CelCompileResult {
  const key = `${variables.join(',')}\u0000${expression}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const env = environmentFor(variables);
  let result: CelCompileResult;
  let parsed: ParseResult | undefined;
  try {
    parsed = env.parse(expression);
  } catch (e) {
    result = { ok: false, error: errorOf(e instanceof ParseError ? 'syntax' : 'type', e) };
  }
  if (parsed) {
    const check = parsed.check();
    if (!check.valid) {
      result = { ok: false, error: errorOf(check.error instanceof ParseError ? 'syntax' : 'type', check.error) };
    } else {
      result = { ok: true, program: program(expression, variables, parsed) };
    }
  }
  if (compiled.size >= MAX_CACHE) compiled.clear();
  compiled.set(key, result!);
  return result!;
}

function program(expression: string, variables: readonly string[], parsed: ParseResult): CelProgram {
  return {
    expression,
    variables,
    evaluate(activation, budget) {
      const b = { ...DEFAULT_CEL_BUDGET, ...budget };
      const m: Meter = { steps: 0, maxSteps: b.maxSteps, deadline: performance.now() + b.maxMillis };
      const outer = meter;
      meter = m;
      try {
        const value: unknown = parsed(activation);
        if (m.exhausted) return { ok: false, error: budgetMessage(m, b), steps: m.steps };
        return { ok: true, value, steps: m.steps };
      } catch (e) {
        if (m.exhausted || e instanceof BudgetExceeded) return { ok: false, error: budgetMessage(m, b), steps: m.steps };
        return { ok: false, error: errorOf(e instanceof CelTypeError ? 'type' : 'evaluation', e), steps: m.steps };
      } finally {
        meter = outer;
        if (outer) outer.steps += m.steps;
      }
    },
  };
}

function budgetMessage(m: Meter, b: CelBudget): CelError {
  return {
    kind: 'budget',
    message: m.exhausted === 'time' ? `evaluation stopped after ${b.maxMillis} ms (budget exceeded)` : `evaluation stopped after ${b.maxSteps.toLocaleString('en-US')} steps (budget exceeded)`,
  };
}

/** Compiles (cached) and evaluates. */
export function evaluateCel(expression: string, activation: Record<string, unknown>, budget?: Partial<CelBudget>): CelOutcome {
  const c = compileCel(expression, Object.keys(activation).sort());
  if (!c.ok) return { ok: false, error: c.error, steps: 0 };
  return c.program.evaluate(activation, budget);
}

const celCache = new WeakMap<object, unknown>();

function convert(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (v === null || typeof v !== 'object' || v instanceof Date || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(convert);
  const o: Record<string, unknown> = {};
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) o[k] = convert(x);
  }
  return o;
}

/** A JSON-like value as CEL sees it: integers become BigInt (CEL int), deeply; the result is cached per object. */
export function toCel(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return convert(v);
  const hit = celCache.get(v);
  if (hit !== undefined) return hit;
  const out = convert(v);
  celCache.set(v, out);
  return out;
}

/** A CEL result as plain JSON-like data (BigInt → number, Optional → value or null, Map → object). */
export function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Optional) return v.hasValue() ? fromCel(v.value()) : null;
  if (Array.isArray(v)) return v.map(fromCel);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), fromCel(x)]));
  if (v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    if (Object.getPrototypeOf(v) !== Object.prototype) return String(v);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromCel(x)]));
  }
  return v;
}

/** Forgets compiled programs (tests; a policy file reloaded with many changes). */
export function clearCelCache(): void {
  compiled.clear();
}
