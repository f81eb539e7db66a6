// Hooks and phases (Helm, Argo CD, Flux): when each rendered object is applied, in one place that
// render, drift, plan and sync all read.
export {
  classify,
  isHook,
  runBySync,
  comparePhase,
  describe,
  helmEventsOf,
  SYNC_PHASES,
  ARGO_HOOK,
  ARGO_HOOK_DELETE_POLICY,
  ARGO_SYNC_WAVE,
  HELM_HOOK,
  HELM_HOOK_WEIGHT,
  HELM_HOOK_DELETE_POLICY,
  type Classification,
  type DeletePolicy,
  type Deployer,
  type HelmEvent,
  type HookEngine,
  type Phase,
} from './classify';
export { deployerOf } from './deployer';
