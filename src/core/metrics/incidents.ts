// Drift incidents, recorded locally by the extension as JSON lines (one DriftIncident per line, appended)
// and read back for the metrics. An incident starts when an environment that was in sync is seen drifted
// and ends when it is seen in sync again: the end is appended as the same incident with `resolvedAt`
// (records with the same environment, resource and detectedAt are one incident; the last one wins).
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentDriftReport } from '../drift/types';
import type { DriftIncident } from './types';

export class IncidentFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncidentFileError';
  }
}

function check(x: unknown, where: string): DriftIncident {
  const o = x as Partial<DriftIncident> | null;
  const time = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v))) || (typeof v === 'number' && Number.isFinite(v));
  if (!o || typeof o !== 'object' || typeof o.environment !== 'string' || !time(o.detectedAt)) throw new IncidentFileError(`${where} needs "environment" and "detectedAt" (an ISO date or ms)`);
  if (o.resolvedAt !== undefined && !time(o.resolvedAt)) throw new IncidentFileError(`${where}: "resolvedAt" is not a date`);
  for (const f of ['folder', 'repository'] as const) if (o[f] !== undefined && typeof o[f] !== 'string') throw new IncidentFileError(`${where}: "${f}" is not a string`);
  return o as DriftIncident;
}

/** Incidents from text: a JSON array, or one JSON object per line. */
export function parseIncidents(text: string, file = 'incidents'): DriftIncident[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  let list: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      list = JSON.parse(trimmed) as unknown[];
    } catch (e) {
      throw new IncidentFileError(`${file} is not valid JSON: ${(e as Error).message}`);
    }
    list = list.map((x, i) => check(x, `${file}: incident ${i + 1}`));
  } else {
    list = [];
    trimmed.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let x: unknown;
      try {
        x = JSON.parse(line);
      } catch (e) {
        throw new IncidentFileError(`${file} line ${i + 1} is not JSON: ${(e as Error).message}`);
      }
      list.push(check(x, `${file} line ${i + 1}`));
    });
  }
  // One incident per (folder, environment, resource, detectedAt): the last record (its resolution) wins.
  const byKey = new Map<string, DriftIncident>();
  for (const i of list as DriftIncident[]) byKey.set(`${i.folder ?? i.repository ?? ''}\u0000${i.environment}\u0000${i.resource ?? ''}\u0000${new Date(i.detectedAt).getTime()}`, i);
  return [...byKey.values()];
}

/** Reads an incident file (a missing file has no incidents). */
export function readIncidents(file: string): DriftIncident[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new IncidentFileError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return parseIncidents(text, file);
}

/** Appends one record (creating the file and its folder). */
export async function appendIncident(file: string, incident: DriftIncident): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.appendFile(file, `${JSON.stringify(incident)}\n`);
}

/** True when a drift report shows the environment out of sync with Git (drifted, missing or not in Git). */
export function isDrifted(report: Pick<EnvironmentDriftReport, 'counts'>): boolean {
  return report.counts.drifted + report.counts.missing + report.counts.notInGit > 0;
}

/**
 * What to record when a new drift report comes in, given the open incident of the environment (if any):
 * a new incident when it drifts, its resolution when it is back in sync, nothing otherwise. Reports
 * that could not be verified (unknown results only) change nothing.
 */
export function incidentTransition(
  report: Pick<EnvironmentDriftReport, 'environment' | 'counts' | 'checkedAt'>,
  open: DriftIncident | undefined,
  where: IncidentScope = {},
): DriftIncident | undefined {
  const drifted = isDrifted(report);
  if (!drifted && report.counts.unknown > 0 && report.counts.inSync === 0) return undefined;
  if (drifted && !open) {
    const kind = report.counts.drifted ? 'drifted' : report.counts.missing ? 'missing' : 'not-in-git';
    return {
      environment: report.environment,
      ...(where.folder !== undefined ? { folder: where.folder } : {}),
      ...(where.repository !== undefined ? { repository: where.repository } : {}),
      detectedAt: new Date(report.checkedAt).toISOString(),
      kind,
    };
  }
  if (!drifted && open) return { ...open, resolvedAt: new Date(report.checkedAt).toISOString() };
  return undefined;
}

/** The workspace folder (path) and repository (repositoryIdentity()) an environment is defined in. */
export interface IncidentScope {
  folder?: string;
  repository?: string;
}

/**
 * The incidents of one workspace folder (or repository): compared by folder path when both the record
 * and the scope have one, else by repository. Records that cannot be compared (written before incidents
 * named their folder) are kept only when `unattributed` is 'keep' — in a workspace of one folder they
 * can only be its own.
 */
export function incidentsOf(incidents: readonly DriftIncident[], scope: IncidentScope, unattributed: 'keep' | 'drop'): DriftIncident[] {
  return incidents.filter((i) => {
    if (i.folder !== undefined && scope.folder !== undefined) return i.folder === scope.folder;
    if (i.repository !== undefined && scope.repository !== undefined) return i.repository === scope.repository;
    return unattributed === 'keep';
  });
}
