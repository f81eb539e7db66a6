// The local audit log of syncs: one JSON line per sync — when, who (the commit's author), which commit,
// environment and context, the plan's counts and every resource's result — appended to a file the
// caller names (the extension's global storage, never the repository). Reading skips a truncated or
// corrupt line and says which, so that one bad write never hides the rest of the history.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { status, type ChangeKind, type GitRepo } from '../git';
import { headCommit, runGit } from '../git/repo';
import type { Plan, PlanCounts, SyncOutcome, SyncStatus } from './types';
import { isRecord } from '../util/record';

export const AUDIT_VERSION = 1;

export interface AuditRecord {
  version: typeof AUDIT_VERSION;
  id: string;
  /** When the sync started (ISO 8601). */
  at: string;
  environment: string;
  /** The folder the environment was defined in (two folders may both have a `prod`), when told. */
  folder?: string;
  /** The repository it came from: the `reconcile.dev/repository` mark its sync wrote. */
  repository?: string;
  context?: string;
  server: string;
  /** The commit that was synced (HEAD of the environment's own repository), when known. */
  commit?: string;
  /** Its author, `Name <email>`. */
  author?: string;
  /** Who ran the sync, when told (the OS user). */
  user?: string;
  /**
   * The working tree had uncommitted changes (untracked files included) when the sync ran, so what was
   * applied is not (only) `commit`. false: it was clean; absent: not known (no git).
   */
  dirty?: boolean;
  /** The uncommitted files, repository-relative, with how each differs (at most AUDIT_MAX_DIRTY_FILES). */
  dirtyFiles?: AuditDirtyFile[];
  /** How many there were, when more than are listed. */
  dirtyFileCount?: number;
  outcome: SyncOutcome['outcome'];
  reason?: string;
  plan: PlanCounts;
  results: Record<SyncStatus, number>;
  /** Per resource: key, what the plan said, what happened. */
  resources: Array<{ key: string; action: string; status: SyncStatus; message?: string; uncertain?: boolean }>;
  forced?: boolean | string[];
  /** Keys of prune candidates the user confirmed. */
  pruneConfirmed?: string[];
  durationMs: number;
  requests: number;
}

export interface AuditContext {
  commit?: string;
  author?: string;
  /** Default: the plan's environment. */
  environment?: string;
  folder?: string;
  repository?: string;
  /** Default: the plan's context. */
  context?: string;
  user?: string;
  /** The uncommitted files of the working tree (auditGitContext); an empty list says the tree was clean. */
  dirtyFiles?: readonly AuditDirtyFile[];
  forced?: boolean | readonly string[];
  pruneConfirmed?: readonly string[];
}

/** The audit record of one sync. Holds no object content (so no Secret value either). */
export function auditRecord(plan: Plan, outcome: SyncOutcome, ctx: AuditContext = {}): AuditRecord {
  const context = ctx.context ?? plan.context;
  return {
    version: AUDIT_VERSION,
    id: randomUUID(),
    at: new Date(outcome.startedAt).toISOString(),
    environment: ctx.environment ?? plan.environment,
    ...(ctx.folder ? { folder: ctx.folder } : {}),
    ...(ctx.repository ? { repository: ctx.repository } : {}),
    ...(context ? { context } : {}),
    server: plan.server,
    ...(ctx.commit ? { commit: ctx.commit } : {}),
    ...(ctx.author ? { author: ctx.author } : {}),
    ...(ctx.user ? { user: ctx.user } : {}),
    ...(ctx.dirtyFiles
      ? {
          dirty: ctx.dirtyFiles.length > 0,
          ...(ctx.dirtyFiles.length ? { dirtyFiles: ctx.dirtyFiles.slice(0, AUDIT_MAX_DIRTY_FILES).map((f) => ({ ...f })) } : {}),
          ...(ctx.dirtyFiles.length > AUDIT_MAX_DIRTY_FILES ? { dirtyFileCount: ctx.dirtyFiles.length } : {}),
        }
      : {}),
    outcome: outcome.outcome,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    plan: { ...plan.counts },
    results: { ...outcome.counts },
    resources: outcome.results.map((r) => ({
      key: r.key,
      action: r.action,
      status: r.status,
      ...(r.failure || r.message ? { message: r.failure ? (r.failure.serverMessage ?? r.failure.message) : r.message } : {}),
      ...(r.uncertain ? { uncertain: true } : {}),
    })),
    ...(ctx.forced ? { forced: typeof ctx.forced === 'boolean' ? ctx.forced : [...ctx.forced] } : {}),
    ...(ctx.pruneConfirmed?.length ? { pruneConfirmed: [...ctx.pruneConfirmed] } : {}),
    durationMs: Math.round(outcome.durationMs),
    requests: outcome.requests.total,
  };
}

export const AUDIT_MAX_DIRTY_FILES = 200;

export interface AuditDirtyFile {
  /** Repository-relative. */
  path: string;
  change: ChangeKind;
}

/**
 * What the audit record says of the repository a sync came from: HEAD, its author, and the working
 * tree's uncommitted files (a sync renders the files on disk, not the commit). Parts git cannot tell
 * are left out, never guessed.
 */
export async function auditGitContext(repo: GitRepo): Promise<Pick<AuditContext, 'commit' | 'author' | 'dirtyFiles'>> {
  const commit = await headCommit(repo).catch(() => undefined);
  const author = commit ? (await runGit(repo, ['log', '-1', '--format=%an <%ae>', commit]).catch(() => undefined))?.stdout.trim() || undefined : undefined;
  const st = await status(repo).catch(() => undefined);
  return {
    ...(commit ? { commit } : {}),
    ...(author ? { author } : {}),
    ...(st ? { dirtyFiles: st.files.map((f) => ({ path: f.path, change: f.kind })) } : {}),
  };
}

export interface AuditProblem {
  /** 1-based line number in the file. */
  line: number;
  message: string;
}

export interface AuditListing {
  /** Oldest first. */
  records: AuditRecord[];
  /** Lines that were skipped (truncated writes, hand edits). */
  problems: AuditProblem[];
}

function validate(v: unknown): string | undefined {
  if (!isRecord(v)) return 'not a JSON object';
  if (v.version !== AUDIT_VERSION) return `unknown record version ${JSON.stringify(v.version)}`;
  for (const k of ['id', 'at', 'environment', 'outcome'] as const) if (typeof v[k] !== 'string') return `no ${k}`;
  if (!Array.isArray(v.resources)) return 'no resources';
  return undefined;
}

export class AuditLog {
  /** @param file where the log lives (created with its folder on the first append). */
  constructor(readonly file: string) {
    if (!path.isAbsolute(file)) throw new Error(`the audit log needs an absolute path, got ${file}`);
  }

  /** Appends one record as one line. A previous line cut short is closed first, so the new one stays whole. */
  async append(record: AuditRecord): Promise<void> {
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    let prefix = '';
    try {
      const fh = await fsp.open(this.file, 'r');
      try {
        const { size } = await fh.stat();
        if (size > 0) {
          const b = Buffer.alloc(1);
          await fh.read(b, 0, 1, size - 1);
          if (b[0] !== 0x0a) prefix = '\n';
        }
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await fsp.appendFile(this.file, `${prefix}${JSON.stringify(record)}\n`, { encoding: 'utf8', mode: 0o600 });
  }

  /** Every record, oldest first; bad lines are skipped and reported. A missing file is an empty log. */
  async list(): Promise<AuditListing> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], problems: [] };
      throw e;
    }
    const records: AuditRecord[] = [];
    const problems: AuditProblem[] = [];
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        problems.push({ line: i + 1, message: `line ${i + 1} is not valid JSON (${line.length > 40 ? `${line.slice(0, 40)}…` : line}): skipped` });
        return;
      }
      const bad = validate(v);
      if (bad) problems.push({ line: i + 1, message: `line ${i + 1} is not an audit record (${bad}): skipped` });
      else records.push(v as AuditRecord);
    });
    return { records, problems };
  }

  /** The whole log as one JSON document (for "Export as JSON"): records, and the lines that were skipped. */
  async exportJson(): Promise<string> {
    const { records, problems } = await this.list();
    return `${JSON.stringify({ exportedAt: new Date().toISOString(), file: this.file, records, skippedLines: problems }, null, 2)}\n`;
  }
}
