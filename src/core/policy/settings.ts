// Severity of a finding: `.reconcile.yaml` (per environment, then per rule, `family/*` keys too),
// then the namespace's Pod Security labels for PSS checks, then the check's own (admission
// actions), then the rule's default. `undefined` means the finding is not reported.
import type { FindingSeverity } from '../findings';
import type { PolicyConfig, PolicyRuleConfig } from '../repo/model';
import { ruleMeta, type PssLevel } from './rules';

const LEVEL_RANK: Record<string, number> = { privileged: 0, baseline: 1, restricted: 2 };

function settingFor(config: PolicyConfig | undefined, code: string): PolicyRuleConfig[] {
  if (!config) return [];
  const out: PolicyRuleConfig[] = [];
  const exact = config.rules[code];
  if (exact) out.push(exact);
  const slash = code.indexOf('/');
  const family = slash > 0 ? config.rules[`${code.slice(0, slash)}/*`] : undefined;
  if (family) out.push(family);
  const all = config.rules['*'];
  if (all) out.push(all);
  return out;
}

/** Is a code switched off for the environment (before the check runs)? */
export function isDisabled(config: PolicyConfig | undefined, code: string, environment?: string): boolean {
  for (const s of settingFor(config, code)) {
    const e = environment ? s.environments?.[environment] : undefined;
    if (e?.disable !== undefined) return e.disable;
    if (s.disable !== undefined) return s.disable;
  }
  return false;
}

/** The severity a namespace's `pod-security.kubernetes.io/*` labels give a check of `level`. */
export function pssSeverityFromLabels(level: PssLevel, labels: Record<string, string> | undefined): FindingSeverity | null | undefined {
  if (!labels) return undefined;
  const modes: Array<[string, FindingSeverity]> = [['enforce', 'error'], ['warn', 'warning'], ['audit', 'info']];
  let any = false;
  for (const [mode, severity] of modes) {
    const l = labels[`pod-security.kubernetes.io/${mode}`];
    if (l === undefined) continue;
    any = true;
    if ((LEVEL_RANK[l] ?? -1) >= LEVEL_RANK[level]) return severity;
  }
  return any ? null : undefined;
}

export interface SeverityInput {
  code: string;
  environment?: string;
  level?: PssLevel;
  /** The check's own severity (admission actions). */
  severity?: FindingSeverity;
  namespaceLabels?: Record<string, string>;
}

export function resolveSeverity(config: PolicyConfig | undefined, x: SeverityInput): FindingSeverity | undefined {
  for (const s of settingFor(config, x.code)) {
    const e = x.environment ? s.environments?.[x.environment] : undefined;
    if (e?.disable === true || (e?.disable === undefined && s.disable === true)) return undefined;
    const sev = e?.severity ?? s.severity;
    if (sev) return sev;
    if (e?.disable === false || s.disable === false) break;
  }
  if (x.level) {
    const fromLabels = pssSeverityFromLabels(x.level, x.namespaceLabels);
    if (fromLabels === null) return undefined;
    if (fromLabels) return fromLabels;
  }
  if (x.severity) return x.severity;
  if (x.level) return x.level === 'baseline' ? 'error' : 'warning';
  return ruleMeta(x.code)?.defaultSeverity ?? 'warning';
}
