// What a direct sync (server-side apply from the editor) must say when a GitOps engine manages the
// environment: whether, and when, the engine will put back what Git says.
import { managerLabel } from './status';
import type { Manager } from './types';

/** One sentence per manager. */
export function directApplyWarnings(managers: readonly Pick<Manager, 'engine' | 'kind' | 'name' | 'namespace' | 'apiVersion' | 'status'>[]): string[] {
  const out: string[] = [];
  for (const m of managers) {
    const who = managerLabel(m);
    const s = m.status;
    if (s.engine === 'argocd') {
      if (s.automated && s.selfHeal) out.push(`${who} syncs automatically with self-heal: it will revert a direct apply within minutes unless the change is committed to Git (or self-heal is turned off).`);
      else if (s.automated) out.push(`${who} syncs automatically on new commits: it will revert a direct apply at its next sync unless the change is committed to Git; until then it shows OutOfSync.`);
      else out.push(`${who} is synced by hand: a direct apply shows there as OutOfSync, and its next sync will revert it unless the change is committed to Git.`);
      continue;
    }
    if (s.suspended) {
      out.push(`${who} is suspended: it will not revert a direct apply now, but it will when it is resumed, unless the change is committed to Git.`);
      continue;
    }
    const every = s.interval ? ` (every ${s.interval})` : '';
    if (m.kind === 'HelmRelease' && s.driftDetection !== 'enabled') {
      out.push(`${who} does not correct drift (driftDetection ${s.driftDetection ?? 'disabled'}): a direct apply stays until its next upgrade — a new chart revision or values — which overwrites it unless the change is committed to Git.`);
    } else {
      out.push(`${who} reconciles${every}: it will revert a direct apply at its next reconciliation unless the change is committed to Git (or it is suspended).`);
    }
  }
  return out;
}

/** The warning a direct sync shows, or undefined when no engine manages the environment. */
export function directApplyWarning(managers: Parameters<typeof directApplyWarnings>[0]): string | undefined {
  const lines = directApplyWarnings(managers);
  return lines.length ? lines.join('\n') : undefined;
}
