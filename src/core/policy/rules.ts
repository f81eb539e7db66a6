// The built-in rules: stable ids, default severities, one-line descriptions and their docs pages.
// The id is what users write in `.reconcile.yaml` (`policy.rules`) and in the
// `reconcile.dev/ignore` annotation; it never changes once released.
import type { FindingSeverity } from '../findings';

export type RuleCategory = 'pss' | 'practice' | 'ref' | 'gitops' | 'secret' | 'vap' | 'policy';

/** Pod Security Standards level a check belongs to. */
export type PssLevel = 'baseline' | 'restricted';

export interface RuleMeta {
  id: string;
  category: RuleCategory;
  defaultSeverity: FindingSeverity;
  /** One line, for lists, SARIF shortDescription and JUnit test names. */
  title: string;
  /** PSS rules: the level (rules with checks at both levels say 'baseline' and list both in `levels`). */
  levels?: PssLevel[];
  /** Rules that need the whole rendered environment (cross-object), not a single file. */
  scope: 'object' | 'environment' | 'file';
}

const r = (id: string, category: RuleCategory, defaultSeverity: FindingSeverity, title: string, scope: RuleMeta['scope'] = 'object', levels?: PssLevel[]): RuleMeta =>
  levels ? { id, category, defaultSeverity, title, scope, levels } : { id, category, defaultSeverity, title, scope };

/**
 * Every built-in rule. PSS checks take their severity from the level (baseline → error,
 * restricted → warning) unless the namespace's `pod-security.kubernetes.io/*` labels say
 * otherwise or `.reconcile.yaml` overrides it.
 */
export const BUILTIN_RULES: readonly RuleMeta[] = Object.freeze([
  // Pod Security Standards — baseline
  r('pss/privileged', 'pss', 'error', 'Privileged containers and Windows HostProcess pods are not allowed', 'object', ['baseline']),
  r('pss/host-namespaces', 'pss', 'error', 'hostNetwork, hostPID and hostIPC must not be set', 'object', ['baseline']),
  r('pss/host-path', 'pss', 'error', 'hostPath volumes are not allowed', 'object', ['baseline']),
  r('pss/host-ports', 'pss', 'error', 'hostPort must not be set on container ports', 'object', ['baseline']),
  r('pss/capabilities', 'pss', 'error', 'Only the baseline capabilities may be added; restricted: drop ALL, add at most NET_BIND_SERVICE', 'object', ['baseline', 'restricted']),
  r('pss/proc-mount', 'pss', 'error', 'procMount must be Default', 'object', ['baseline']),
  r('pss/sysctls', 'pss', 'error', 'Only the safe sysctls are allowed', 'object', ['baseline']),
  r('pss/seccomp', 'pss', 'error', 'seccomp must not be Unconfined; restricted: RuntimeDefault or Localhost must be set', 'object', ['baseline', 'restricted']),
  r('pss/apparmor', 'pss', 'error', 'AppArmor must not be set to unconfined', 'object', ['baseline']),
  r('pss/selinux', 'pss', 'error', 'SELinux type must be a container type; user and role must not be set', 'object', ['baseline']),
  // Pod Security Standards — restricted
  r('pss/privilege-escalation', 'pss', 'warning', 'allowPrivilegeEscalation must be false', 'object', ['restricted']),
  r('pss/run-as-non-root', 'pss', 'warning', 'Containers must run as non-root (runAsNonRoot: true, runAsUser not 0)', 'object', ['restricted']),
  r('pss/volume-types', 'pss', 'warning', 'Only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes', 'object', ['restricted']),
  // Practices
  r('practice/image-tag', 'practice', 'warning', 'Images must be pinned: no :latest, an explicit tag or digest'),
  r('practice/resources', 'practice', 'warning', 'Containers must set cpu and memory requests and limits'),
  r('practice/probes', 'practice', 'warning', 'Long-running containers need probes; containers behind a Service need a readinessProbe'),
  r('practice/single-replica-protected', 'practice', 'warning', 'A workload in a protected environment must run more than one replica'),
  r('practice/pdb', 'practice', 'warning', 'A workload with more than one replica needs a PodDisruptionBudget', 'environment'),
  // Reference integrity (one rendered environment)
  r('ref/service-selector', 'ref', 'warning', 'A Service selector must match the pods of a workload', 'environment'),
  r('ref/config-missing', 'ref', 'error', 'Referenced ConfigMaps, Secrets and PersistentVolumeClaims must be defined', 'environment'),
  r('ref/ingress-backend', 'ref', 'error', 'An Ingress backend must name an existing Service and port', 'environment'),
  r('ref/hpa-target', 'ref', 'error', 'A HorizontalPodAutoscaler must target an existing workload', 'environment'),
  // GitOps hygiene
  r('gitops/namespace', 'gitops', 'warning', 'Namespaced resources need a namespace where the environment has one', 'environment'),
  r('gitops/duplicate-id', 'gitops', 'error', 'Two different objects with the same identity after rendering', 'environment'),
  r('gitops/missing-path', 'gitops', 'error', 'Argo CD and Flux objects must point at paths that exist in the repository'),
  // Secrets
  r('secret/plaintext', 'secret', 'error', 'A Secret with data or stringData is committed in plaintext', 'file'),
  r('secret/private-key', 'secret', 'error', 'A private key is committed', 'file'),
  r('secret/cloud-credential', 'secret', 'error', 'A cloud or SaaS credential (AWS, GCP, Azure, GitHub, GitLab, Slack) is committed', 'file'),
  r('secret/high-entropy', 'secret', 'warning', 'A high-entropy value under a password/token/secret key is committed (heuristic)', 'file'),
  // The repository's own policies
  r('vap/invalid', 'vap', 'error', 'A ValidatingAdmissionPolicy or binding cannot be evaluated (invalid CEL, missing params, unknown policy)', 'file'),
  r('vap/budget', 'vap', 'error', 'A CEL expression exceeded its evaluation budget and was stopped', 'file'),
  // Suppressions
  r('policy/suppression-reason', 'policy', 'warning', 'A reconcile.dev/ignore suppression must give a reason'),
]);

/** Prefix of the codes of findings from the repository's ValidatingAdmissionPolicies: `vap/<policy name>`. */
export const VAP_PREFIX = 'vap/';

const byId = new Map(BUILTIN_RULES.map((x) => [x.id, x]));

export function ruleMeta(id: string): RuleMeta | undefined {
  return byId.get(id);
}

/** True for the codes of policy violations (`vap/<name>`), as opposed to vap/invalid and vap/budget. */
export function isVapViolationCode(code: string): boolean {
  return code.startsWith(VAP_PREFIX) && !byId.has(code);
}

/** The docs page of a code, relative to the extension/repository root: `docs/rules/pss-privileged.md`. */
export function ruleDocsPath(code: string): string {
  return `docs/rules/${isVapViolationCode(code) ? 'vap' : code.replace(/\//g, '-')}.md`;
}

/** The docs page as a URL under `base` (which should end with `/`). */
export function ruleDocsUrl(code: string, base: string): string {
  return base + ruleDocsPath(code);
}

/** A short description of any code, for reports (built-in rule title, or the policy's name). */
export function ruleTitle(code: string): string {
  const m = byId.get(code);
  if (m) return m.title;
  if (isVapViolationCode(code)) return `ValidatingAdmissionPolicy ${code.slice(VAP_PREFIX.length)}`;
  return code;
}
