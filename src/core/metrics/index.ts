// GitOps metrics from git history (deployment frequency, lead time, change failure rate, time to
// restore) plus recorded drift incidents, per ISO week, per environment; reports for `reconcile
// metrics` and the dashboard webview page.
export type { ChangeFailure, ChangeRecord, DriftIncident, EnvironmentMetrics, MetricsProgress, MetricsReport, MetricsSummary, Stat, WeekMetrics } from './types';
export { computeMetrics, ALL, type MetricsOptions } from './compute';
export { environmentInputs, InputMatcher } from './inputs';
export { readHistory, type History, type MainlineCommit, type GraphNode, type ReadHistoryOptions } from './history';
export { parseTime, isoWeek, weeksBetween, isoDate, PeriodError, type IsoWeek } from './time';
export { metricsReport, metricsText, metricsMarkdown, formatHours, formatRate, type MetricsFormat } from './format';
export { dashboardHtml, dashboardData, createNonce, scriptJson, DASHBOARD_SCRIPT, DASHBOARD_STYLE, DASHBOARD_PERIODS, type DashboardData, type DashboardHtmlOptions, type DashboardMessage, type DashboardRequest } from './dashboard';
export { readIncidents, parseIncidents, appendIncident, isDrifted, incidentTransition, incidentsOf, IncidentFileError, type IncidentScope } from './incidents';
