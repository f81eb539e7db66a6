// The two sides of a drift result as YAML for a diff editor: normalized, ignore rules applied, Secret
// values masked (`*** (changed)` / `*** (unchanged)`). With the local strategy the live side shows the
// fields Git sets plus the drifted ones — in Git's order and, where values are equal (`500m` vs `0.5`),
// in Git's spelling — so the diff shows the drift and nothing else. With the server-side strategy both
// sides are whole objects: the live one, and the one the server would store.
import { stringify } from 'yaml';
import type { RawObject } from '../cluster/types';
import { sameScalar } from './compare';
import { viewsOf, type ResultViews } from './engine';
import { applyIgnore } from './ignore';
import { normalizeObject } from './normalize';
import { formatPath, listRule, mergeKeyOf, mergeKeyText, type FieldPath, type ListItemSegment } from './paths';
import { isSecretKind, maskSecretData, MASK_ADDED, MASK_MISSING } from './secret';
import type { DriftResult } from './types';
import { isRecord } from '../util/record';

export interface DiffDocuments {
  live: string;
  desired: string;
  /** `Deployment/api — live ↔ Git (dev)` */
  title: string;
}

function toYaml(v: unknown): string {
  return stringify(v, { lineWidth: 0, aliasDuplicateObjects: false });
}

function prepared(obj: RawObject, views: ResultViews, namespace: string | undefined): RawObject {
  const n = normalizeObject(obj, { group: views.group, kind: views.kind, namespace });
  if (!views.ignore.empty) applyIgnore(n, views.ignore);
  return n;
}

/** Secret data on both sides: `*** (changed)`, `*** (unchanged)`, or which side lacks the key. */
function maskSecrets(desired: RawObject | undefined, live: RawObject | undefined): void {
  maskSecretData(desired, live, { a: MASK_MISSING, b: MASK_ADDED });
}

function reportedUnder(reported: Set<string>, p: string): boolean {
  if (reported.has(p)) return true;
  for (const r of reported) if (r.startsWith(`${p}.`) || r.startsWith(`${p}[`)) return true;
  return false;
}

/** The parts of a value only the cluster has that were reported as drift. */
function reportedPart(views: ResultViews, l: unknown, path: FieldPath, sp: string[], reported: Set<string>): unknown {
  const p = formatPath(path);
  if (reported.has(p)) return l;
  if (!reportedUnder(reported, p)) return undefined;
  if (isRecord(l)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(l)) {
      const x = reportedPart(views, v, [...path, k], [...sp, k], reported);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  return l;
}

/** The live object cut to what Git sets plus the reported fields, in Git's order and spelling. */
function project(views: ResultViews, d: unknown, l: unknown, path: FieldPath, sp: string[], reported: Set<string>): unknown {
  if (isRecord(d) && isRecord(l)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(d)) if (k in l) out[k] = project(views, d[k], l[k], [...path, k], [...sp, k], reported);
    for (const k of Object.keys(l)) {
      if (k in d) continue;
      const x = reportedPart(views, l[k], [...path, k], [...sp, k], reported);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  if (Array.isArray(d) && Array.isArray(l)) {
    const rule = listRule(views.group, views.kind, sp);
    const isp = [...sp, '[]'];
    if (rule.type === 'map' && d.every(isRecord) && l.every(isRecord)) {
      const keyOf = (item: Record<string, unknown>) => mergeKeyOf(rule, item);
      const text = (key: Record<string, unknown>) => mergeKeyText(rule, key);
      const byKey = new Map(l.map((item, index) => [text(keyOf(item)), { item, index }]));
      const out: unknown[] = [];
      const used = new Set<string>();
      for (const item of d) {
        const t = text(keyOf(item));
        const m = byKey.get(t);
        if (!m) continue;
        used.add(t);
        const seg: ListItemSegment = { index: m.index, key: keyOf(m.item) };
        out.push(project(views, item, m.item, [...path, seg], isp, reported));
      }
      l.forEach((item, index) => {
        const key = keyOf(item);
        if (!used.has(text(key)) && reported.has(formatPath([...path, { index, key }]))) out.push(item);
      });
      return out;
    }
    if (rule.type === 'ordered' && d.length === l.length) return d.map((x, i) => project(views, x, l[i], [...path, { index: i }], isp, reported));
    return l;
  }
  if (!isRecord(d) && !Array.isArray(d) && !isRecord(l) && !Array.isArray(l) && sameScalar(views.kind, sp, d, l)) return d;
  return l;
}

function titleOf(result: DriftResult, environment?: string): string {
  return `${result.id.kind}/${result.id.name} — live ↔ Git${environment ? ` (${environment})` : ''}`;
}

/**
 * YAML of the live and the desired object for a diff editor. Results made by compareLocal /
 * compareServerSide carry what is needed; for others the documents say so.
 */
export function diffDocuments(result: DriftResult, environment?: string): DiffDocuments {
  const title = titleOf(result, environment);
  const views = viewsOf(result);
  if (!views) return { title, live: '# no comparison data for this result\n', desired: '# no comparison data for this result\n' };
  const ns = result.id.namespace;
  const desired = views.desired ? prepared(views.desired, views, ns) : undefined;
  if (result.status === 'missing') {
    if (desired && isSecretKind(views.group, views.kind)) maskSecrets(desired, undefined);
    return { title, live: `# not in the cluster${views.note ? `: ${views.note}` : ''}\n`, desired: desired ? toYaml(desired) : '' };
  }
  if (result.status === 'unknown' || result.status === 'skipped' || !views.live) {
    const why = result.status === 'unknown' ? `? ${result.reason.message}` : result.status === 'skipped' ? `skipped: ${result.reason}` : 'no live object';
    if (desired && isSecretKind(views.group, views.kind)) maskSecrets(desired, undefined);
    return { title, live: `# ${why}\n`, desired: desired ? toYaml(desired) : '' };
  }
  const live = prepared(views.live, views, ns);
  if (views.strategy === 'server-side' && views.predicted) {
    const predicted = prepared(views.predicted, views, ns);
    if (isSecretKind(views.group, views.kind)) maskSecrets(predicted, live);
    return { title, live: toYaml(live), desired: toYaml(predicted) };
  }
  const reported = new Set(views.fields.filter((f) => f.change === 'added' || f.change === 'changed').map((f) => f.path));
  const shown = project(views, desired, live, [], [], reported) as RawObject;
  if (isSecretKind(views.group, views.kind)) maskSecrets(desired, shown);
  return { title, live: toYaml(shown), desired: toYaml(desired) };
}
