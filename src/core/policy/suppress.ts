// Per-resource suppression: `metadata.annotations["reconcile.dev/ignore"]: "<rule-id>[,…]: <reason>"`.
// Several entries may be separated by `;` (`pss/seccomp: legacy image; practice/probes: batch`).
// A rule id ending in `/*` suppresses a whole family (`pss/*`). An entry without a reason (or with
// the quick fix's TODO placeholder) still suppresses, and is itself reported.
import type { Fix } from '../findings';
import type { EditTarget } from './yaml-edit';
import { quote, setFields } from './yaml-edit';
import { isRecord, type Obj } from './workload';

export const IGNORE_ANNOTATION = 'reconcile.dev/ignore';
export const REASON_PLACEHOLDER = 'TODO explain why this is acceptable';

export interface Suppression {
  rules: string[];
  reason?: string;
}

export function parseSuppressions(raw: string): Suppression[] {
  const out: Suppression[] = [];
  for (const entry of raw.split(';')) {
    const e = entry.trim();
    if (!e) continue;
    const colon = e.search(/:(\s|$)/);
    const ids = (colon < 0 ? e : e.slice(0, colon)).split(',').map((s) => s.trim()).filter(Boolean);
    const reason = colon < 0 ? undefined : e.slice(colon + 1).trim() || undefined;
    if (ids.length) out.push({ rules: ids, reason });
  }
  return out;
}

export function suppressionsOf(obj: Obj): Suppression[] {
  const a = isRecord(obj.metadata) && isRecord(obj.metadata.annotations) ? obj.metadata.annotations[IGNORE_ANNOTATION] : undefined;
  return typeof a === 'string' ? parseSuppressions(a) : [];
}

export function suppresses(list: Suppression[], code: string): boolean {
  return list.some((s) => s.rules.some((r) => r === code || r === '*' || (r.endsWith('/*') && code.startsWith(r.slice(0, -1)))));
}

export function hasReason(s: Suppression): boolean {
  return s.reason !== undefined && !/^TODO\b/i.test(s.reason);
}

/** The quick fix: add `code` to the object's ignore annotation, with a reason placeholder. */
export function suppressFix(obj: Obj, code: string): (t: EditTarget) => Fix | undefined {
  return (t) => {
    const current = isRecord(obj.metadata) && isRecord(obj.metadata.annotations) ? obj.metadata.annotations[IGNORE_ANNOTATION] : undefined;
    const entry = `${code}: ${REASON_PLACEHOLDER}`;
    const value = typeof current === 'string' && current.trim() ? `${current.trim().replace(/;$/, '')}; ${entry}` : entry;
    const edits = setFields(t, ['metadata', 'annotations'], [{ key: IGNORE_ANNOTATION, value: quote(value) }]);
    return edits && { title: `Suppress ${code} for this resource`, edits };
  };
}
