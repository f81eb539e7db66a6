// The metrics dashboard page for a VS Code webview, as a pure function (no vscode import): the host
// creates the panel, passes the webview's cspSource, a fresh nonce and the webview URIs of
// media/metrics/dashboard.js and dashboard.css, and sets the returned HTML. The page has a strict
// Content Security Policy (nothing but the nonce'd script and the extension's stylesheet), no remote
// asset, no inline handler or style; the data travels as a JSON block that is never executed.
//
// Messages (see DashboardMessage): the page posts `ready` and `period` (the period selector; the host
// recomputes and answers with `metrics`); the environment filter works on the data the page has.
import { randomBytes } from 'node:crypto';
import type { MetricsReport } from './types';

/** The page's files, relative to the extension's folder. */
export const DASHBOARD_SCRIPT = 'media/metrics/dashboard.js';
export const DASHBOARD_STYLE = 'media/metrics/dashboard.css';
/** Periods the selector offers. */
export const DASHBOARD_PERIODS = ['30d', '90d', '180d', '365d'] as const;

/** What the page shows: the report without the per-change list's details it does not use. */
export type DashboardData = Omit<MetricsReport, 'changes'> & { changes: Array<Pick<MetricsReport['changes'][number], 'sha' | 'subject' | 'mergedAt' | 'environments' | 'failure'>> };

/** page → host */
export type DashboardRequest = { type: 'ready' } | { type: 'period'; since: (typeof DASHBOARD_PERIODS)[number] };
/** host → page */
export type DashboardMessage = { type: 'metrics'; data: DashboardData } | { type: 'loading'; since: string } | { type: 'error'; message: string };

export interface DashboardHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** A fresh random nonce per page (createNonce()). */
  nonce: string;
  /** webview.asWebviewUri(<extension>/media/metrics/dashboard.js) as a string. */
  scriptUri: string;
  /** webview.asWebviewUri(<extension>/media/metrics/dashboard.css) as a string. */
  styleUri: string;
  /** The first data to show (or none: the page waits for a `metrics` message). */
  data?: MetricsReport | DashboardData;
  /** The period selected at first (default: from the data, else 90d). */
  period?: string;
}

export function createNonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, (c) => (c === '+' ? '-' : c === '/' ? '_' : ''));
}

/** The data the page needs (the change list cut to what it shows, newest 200). */
export function dashboardData(report: MetricsReport | DashboardData): DashboardData {
  const changes = report.changes.slice(-200).map((c) => ({ sha: c.sha, subject: c.subject, mergedAt: c.mergedAt, environments: c.environments, ...(c.failure ? { failure: c.failure } : {}) }));
  return { ...report, changes };
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** JSON that can sit inside a <script> element: no `</script>`, no `<!--`, no line separators. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function periodOf(data: DashboardData | undefined): string {
  if (!data) return '90d';
  const days = Math.round((Date.parse(data.until) - Date.parse(data.since)) / 86_400_000);
  const known = DASHBOARD_PERIODS.map((p) => parseInt(p, 10));
  const best = known.reduce((a, b) => (Math.abs(b - days) < Math.abs(a - days) ? b : a), known[0]);
  return `${best}d`;
}

/** The dashboard's HTML (see the header). */
export function dashboardHtml(o: DashboardHtmlOptions): string {
  if (!/^[A-Za-z0-9+/_=-]{16,}$/.test(o.nonce)) throw new Error('dashboardHtml: the nonce must be a random base64 string of 16 characters or more');
  const data = o.data ? dashboardData(o.data) : undefined;
  const period = o.period ?? periodOf(data);
  const csp = [`default-src 'none'`, `img-src ${o.cspSource} data:`, `style-src ${o.cspSource}`, `font-src ${o.cspSource}`, `script-src 'nonce-${o.nonce}'`].join('; ');
  const options = DASHBOARD_PERIODS.map((p) => `<option value="${p}"${p === period ? ' selected' : ''}>Last ${parseInt(p, 10)} days</option>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${attr(o.styleUri)}">
<title>GitOps metrics</title>
</head>
<body>
<header class="top">
  <div>
    <h1>GitOps metrics</h1>
    <p id="subtitle" class="muted" aria-live="polite">${data ? '' : 'Computing…'}</p>
  </div>
  <div class="controls" role="group" aria-label="Filters">
    <label for="period">Period</label>
    <select id="period" aria-describedby="subtitle">${options}</select>
    <label for="environment">Environment</label>
    <select id="environment"><option value="all">All environments</option></select>
  </div>
</header>
<div id="notes" class="notes" role="status" aria-live="polite"></div>
<section id="summary" class="summary" aria-label="Summary for the period"></section>
<main id="charts" class="charts"></main>
<script type="application/json" id="reconcile-metrics-data" nonce="${attr(o.nonce)}">${data ? scriptJson(data) : 'null'}</script>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}
