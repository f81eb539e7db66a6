// A promotion check that is signal, not noise: the differences between two environments sorted by what
// a promotion moves. Each field change is one of
// - `promotion`: what a promotion carries from one environment to the next — images, tags and versions,
//   replicas, Helm values;
// - `config`: any other difference;
// - `environment`: a difference that follows from the environments' own names, namespaces and labels
//   (`shop-staging` ↔ `shop-prod`, `environment: staging` ↔ `environment: prod`, a hostname with the
//   name in it). A resource whose only differences are these folds into one line.
// Resources are grouped by application; within one, promotion-relevant first.
import { parseImage } from '../manifest/image';
import type { EnvironmentsComparison, FieldChange, ResourceChange } from './types';

export type Relevance = 'promotion' | 'config' | 'environment';

export interface PromotionGroup {
  /** The application's id (the right side's; the left's for resources only there). */
  application: string;
  resources: Array<{ change: ResourceChange; relevance: Relevance; summary: string }>;
}

const PROMOTION = /(^|\.)image$|(^|\.)(replicas|tag|newTag|version|targetRevision|chart)$|^spec\.(values|valuesObject|source\.helm)/;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites left-environment words into the right's: the environment name as a word (`staging` in
 * `shop-staging`, `staging.shop.example.com`) and each namespace.
 */
export function environmentRewriter(left: { name: string; namespaces: readonly string[] }, right: { name: string; namespaces: readonly string[] }): (s: string) => string {
  const pairs: Array<[RegExp, string]> = [];
  left.namespaces.forEach((ns, i) => {
    const to = right.namespaces[i] ?? right.namespaces[0];
    if (to && ns !== to) pairs.push([new RegExp(`(?<![A-Za-z0-9])${escape(ns)}(?![A-Za-z0-9])`, 'g'), to]);
  });
  if (left.name !== right.name) pairs.push([new RegExp(`(?<![A-Za-z0-9])${escape(left.name)}(?![A-Za-z0-9])`, 'g'), right.name]);
  return (s) => pairs.reduce((acc, [re, to]) => acc.replace(re, to), s);
}

/** What kind of difference one field change is. */
export function classifyField(f: FieldChange, rewrite: (s: string) => string): Relevance {
  if (f.change === 'changed' && !f.masked) {
    const before = JSON.stringify(f.before);
    const after = JSON.stringify(f.after);
    if (before !== undefined && rewrite(before) === after) return 'environment';
  }
  // A label or annotation whose key or value names the environment (added on one side only).
  if (/^metadata\.(labels|annotations)\.|\.metadata\.labels\./.test(f.path)) {
    const probe = `${f.path}=${JSON.stringify(f.before ?? f.after)}`;
    if (rewrite(probe) !== probe || /environment|(^|\.)env$/.test(f.path)) return 'environment';
  }
  return PROMOTION.test(f.path.replace(/\[[^\]]*\]/g, '')) ? 'promotion' : 'config';
}

const RANK: Record<Relevance, number> = { promotion: 0, config: 1, environment: 2 };

/** One line on what differs: `image web:1.4 → web:1.5`, `only environment names differ`. */
function summarize(c: ResourceChange, fields: Array<{ f: FieldChange; r: Relevance }>, relevance: Relevance, left: string, right: string): string {
  if (c.change === 'added') return `only in ${right}`;
  if (c.change === 'removed') return `only in ${left}`;
  if (relevance === 'environment') return 'only environment names, namespaces and labels differ';
  const shown = fields.filter((x) => x.r !== 'environment').sort((a, b) => RANK[a.r] - RANK[b.r]);
  const text = (x: { f: FieldChange }) => {
    const leaf = x.f.path.replace(/\[[^\]]*\]/g, '').split('.').pop() ?? x.f.path;
    if (x.f.masked) return `${leaf} differs`;
    if (x.f.change !== 'changed') return `${leaf} ${x.f.change === 'added' ? `only in ${right}` : `only in ${left}`}`;
    return `${leaf} ${short(x.f.before)} → ${short(x.f.after)}`;
  };
  const more = shown.length > 2 ? ` +${shown.length - 2} more` : '';
  return `${shown.slice(0, 2).map(text).join(', ')}${more}`;
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

/**
 * The comparison grouped by application, each group's resources ordered promotion-relevant first,
 * then other differences, then those that only differ by the environments' own names (folded).
 */
export function promotionGroups(
  c: EnvironmentsComparison,
  left: { name: string; namespaces: readonly string[] },
  right: { name: string; namespaces: readonly string[] },
  /** The name an application id is shown by: the two environments' copies of one application (two ids) are one group. */
  nameOf: (application: string) => string = (a) => a,
): PromotionGroup[] {
  const rewrite = environmentRewriter(left, right);
  const groups = new Map<string, PromotionGroup>();
  for (const change of c.resources) {
    const fields = change.fields.map((f) => ({ f, r: classifyField(f, rewrite) }));
    const relevance: Relevance =
      change.change !== 'changed' ? 'config' : fields.length === 0 || fields.every((x) => x.r === 'environment') ? 'environment' : fields.some((x) => x.r === 'promotion') ? 'promotion' : 'config';
    const app = change.application ? nameOf(change.application) : '(no application)';
    const g = groups.get(app) ?? { application: app, resources: [] };
    g.resources.push({ change, relevance, summary: summarize(change, fields, relevance, c.left, c.right) });
    groups.set(app, g);
  }
  const out = [...groups.values()];
  for (const g of out) g.resources.sort((a, b) => RANK[a.relevance] - RANK[b.relevance] || `${a.change.id.kind}/${a.change.id.name}`.localeCompare(`${b.change.id.kind}/${b.change.id.name}`));
  // Applications with promotion-relevant differences first.
  const best = (g: PromotionGroup) => Math.min(...g.resources.map((r) => RANK[r.relevance]));
  return out.sort((a, b) => best(a) - best(b) || a.application.localeCompare(b.application));
}

/**
 * What an environment runs of an image: the tags and digests its rendered objects' containers use,
 * mutable tags (`latest`) left out. For "pin to what the next environment runs".
 */
export function imageVersions(objects: Iterable<Record<string, unknown>>, image: string): Array<{ tag?: string; digest?: string }> {
  const out = new Map<string, { tag?: string; digest?: string }>();
  const visit = (v: unknown, depth: number) => {
    if (depth > 12 || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.image === 'string' && typeof o.name === 'string') {
      const s = parseImage(o.image);
      if (s.name === image && (s.digest || (s.tag && s.tag !== 'latest'))) out.set(`${s.tag ?? ''}@${s.digest ?? ''}`, { ...(s.tag ? { tag: s.tag } : {}), ...(s.digest ? { digest: s.digest } : {}) });
    }
    for (const x of Object.values(o)) visit(x, depth + 1);
  };
  for (const obj of objects) visit(obj, 0);
  return [...out.values()];
}
