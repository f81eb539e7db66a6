// Health of live objects (Argo CD's rules per kind, kstatus, Flux, Argo Rollouts, user CEL checks) and its roll-up.
export { assessHealth, healthLine, isWorse, rollUp, MISSING, type Health, type HealthCheckExpr, type HealthStatus } from './assess';
