// Server errors of dry-runs and applies, in the words a plan and a sync report: the server's own
// message kept verbatim, and for a 409 from server-side apply the managers and fields that conflict
// (from the Status causes: `conflict with "kubectl-edit" using apps/v1` at `.spec.replicas`; since 1.22 a
// manager that wrote through a subresource is named with it: `conflict with "kubectl" with subresource "scale"
// using apps/v1`).
import { ClusterError, isClusterError } from '../cluster/errors';
import type { FieldConflict, ServerFailure } from './types';

/** Any thrown value as a ClusterError (programming errors become `protocol`). */
export function asClusterError(e: unknown): ClusterError {
  if (isClusterError(e)) return e;
  // The HTTP client's internal "kept-alive connection reset before the request was sent", when its
  // one retry met a second dead connection: the request never reached the server.
  if (e instanceof Error && e.constructor?.name === 'RetryableReset') return new ClusterError('unreachable', 'connection reset by the server (the request was not sent)');
  return new ClusterError('protocol', e instanceof Error && e.message ? e.message : `unexpected error: ${String(e)}`);
}

export function failureOf(e: unknown): ServerFailure {
  const err = asClusterError(e);
  const d = err.details;
  return {
    kind: err.kind,
    message: err.message,
    ...(d.serverMessage ? { serverMessage: d.serverMessage } : {}),
    ...(d.status !== undefined ? { status: d.status } : {}),
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.causes?.length ? { causes: d.causes } : {}),
  };
}

const CONFLICT_RE = /conflict with "([^"]+)"(?: with subresource "([^"]+)")?(?: using (\S+?))?(?::|$|\s)/;
const CONFLICT_IN_MESSAGE_RE = /conflict with "([^"]+)"(?: with subresource "([^"]+)")?(?: using (\S+?))?: (\S+)/g;

function conflict(manager: string, field: string, subresource: string | undefined, apiVersion: string | undefined): FieldConflict {
  return { manager, field, ...(apiVersion ? { apiVersion } : {}), ...(subresource ? { subresource } : {}) };
}

/** The field-manager conflicts of a 409 answer to server-side apply; empty for other errors. */
export function conflictsOf(e: unknown): FieldConflict[] {
  if (!isClusterError(e) || e.kind !== 'conflict') return [];
  const out: FieldConflict[] = [];
  for (const c of e.details.causes ?? []) {
    if (c.reason && c.reason !== 'FieldManagerConflict') continue;
    const m = CONFLICT_RE.exec(c.message ?? '');
    if (!m) continue;
    out.push(conflict(m[1], c.field ?? '', m[2], m[3]));
  }
  if (out.length === 0) {
    // Servers that send no causes still name the conflicts in the message:
    // `Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas`
    for (const m of (e.details.serverMessage ?? '').matchAll(CONFLICT_IN_MESSAGE_RE)) out.push(conflict(m[1], m[4], m[2], m[3]));
  }
  return out;
}

/** `kubectl-edit owns .spec.replicas, .spec.template…; helm owns .data.x; kubectl through /scale owns .spec.replicas` */
export function conflictText(conflicts: readonly FieldConflict[]): string {
  const by = new Map<string, string[]>();
  for (const c of conflicts) {
    const who = c.subresource ? `${c.manager} through /${c.subresource}` : c.manager;
    by.set(who, [...(by.get(who) ?? []), c.field]);
  }
  return [...by].map(([m, fields]) => `${m} owns ${fields.join(', ')}`).join('; ');
}

/** The namespace a `namespaces "x" not found` answer is about. */
export function missingNamespaceOf(e: unknown): string | undefined {
  if (!isClusterError(e) || e.kind !== 'not-found') return undefined;
  const m = /namespaces "([^"]+)" not found/.exec(e.details.serverMessage ?? '');
  return m?.[1];
}

/** Failures after which the request may or may not have been carried out. */
export function isUncertain(e: unknown): boolean {
  return isClusterError(e) && (e.kind === 'timeout' || e.kind === 'disconnected' || (e.kind === 'unreachable' && e.details.code === 'ECONNRESET'));
}

/** Failures that say the cluster can no longer be asked anything (the rest of a sync is not attempted). */
export function isOutage(e: unknown): boolean {
  return isClusterError(e) && ['unreachable', 'dns', 'tls', 'timeout', 'disconnected', 'unauthorized', 'config'].includes(e.kind);
}
