// The two sides of a plan item as YAML for a diff editor: the live object, and what the server would
// store after the sync (its dry-run answer), both normalized (no status, managedFields, resourceVersion…;
// ignore rules applied). Secret values are never shown: `*** (changed)`, `*** (unchanged)`, or which
// side lacks the key.
import { stringify } from 'yaml';
import type { RawObject } from '../cluster/types';
import { applyIgnore } from '../drift/ignore';
import { normalizeObject } from '../drift/normalize';
import { isSecretKind, maskSecretData, MASK_ADDED, MASK_MISSING } from '../drift/secret';
import { planInternals, type PlanViews } from './plan';
import type { Plan, PlanItem } from './types';

export interface PlanDiff {
  /** `Deployment/api — cluster ↔ after sync (dev)` */
  title: string;
  /** The cluster now. */
  live: string;
  /** The cluster after the sync (or Git's object, when the server could not answer). */
  desired: string;
}


function toYaml(v: unknown): string {
  return stringify(v, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Normalized, ignore rules applied, apiVersion/kind/metadata first (list items get them last). */
function prepared(obj: RawObject, views: PlanViews): RawObject {
  const n = normalizeObject(obj, { group: views.group, kind: views.kind, namespace: views.namespace });
  if (!views.ignore.empty) applyIgnore(n, views.ignore);
  const { apiVersion, kind, metadata, ...rest } = n;
  return { apiVersion, kind, metadata, ...rest };
}

/** Replaces the keyed hashes normalizeObject put in Secret data with masks that say how the sides compare. */
function maskSecrets(after: RawObject | undefined, live: RawObject | undefined): void {
  maskSecretData(after, live, { a: MASK_MISSING, b: MASK_ADDED });
}

/** The diff documents of one item of a plan made in this process. */
export function planDiff(plan: Plan, item: PlanItem): PlanDiff {
  const title = `${item.id.kind}/${item.id.name} — cluster ↔ after sync (${plan.environment})`;
  const views = planInternals(plan)?.views.get(item.key);
  if (!views) return { title, live: '# no data for this item\n', desired: '# no data for this item\n' };
  const secret = isSecretKind(views.group, views.kind);
  const live = views.live ? prepared(views.live, views) : undefined;
  let after: RawObject | undefined;
  let header = '';
  if (item.action === 'prune') header = '# not in Git: deleted when pruning is confirmed\n';
  else if (item.action === 'failed') {
    header = `# dry-run failed: ${(item.failure?.serverMessage ?? item.failure?.message ?? '').split('\n').join('\n# ')}\n# Git's object:\n`;
    after = views.desired ? prepared(views.desired, views) : undefined;
  } else {
    after = views.predicted ? prepared(views.predicted, views) : views.desired ? prepared(views.desired, views) : undefined;
    if (!views.predicted) header = `# not checked by the server yet${item.note ? `: ${item.note}` : ''}\n# Git's object:\n`;
  }
  if (secret) maskSecrets(after, live);
  return {
    title,
    live: live ? toYaml(live) : '# not in the cluster\n',
    desired: header + (after ? toYaml(after) : ''),
  };
}
