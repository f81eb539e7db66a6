// The metrics dashboard page: a strict Content Security Policy, no remote asset, no inline code or
// style, data that cannot break out of its JSON block — and the page itself run in headless Chromium
// (from setup) under that CSP: no violation, five charts with their text alternatives, the environment
// filter and period selector work from the keyboard, colours come from the VS Code theme variables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { computeMetrics, createNonce, dashboardHtml, type MetricsReport } from '../../../src/core/metrics';
import { buildSyntheticRepo, ENVIRONMENTS, INCIDENTS, NOW, SINCE, UNTIL } from './synthetic-repo';

const root = join(__dirname, '..', '..', '..');
const media = join(root, 'media', 'metrics');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;

let report: MetricsReport | undefined;
async function data(): Promise<MetricsReport> {
  if (!report) {
    const repo = buildSyntheticRepo();
    try {
      report = await computeMetrics(repo.dir, { since: SINCE, until: UNTIL, now: NOW, environments: ENVIRONMENTS, incidents: INCIDENTS });
    } finally {
      rmSync(repo.dir, { recursive: true, force: true });
    }
  }
  return report;
}

// What VS Code hands a webview: its CSP source and resource URIs.
const CSP_SOURCE = 'https://*.vscode-cdn.net';
const SCRIPT = 'https://file%2B.vscode-resource.vscode-cdn.net/ext/media/metrics/dashboard.js';
const STYLE = 'https://file%2B.vscode-resource.vscode-cdn.net/ext/media/metrics/dashboard.css';

test('the page has a strict CSP, no remote URL, no inline script, handler or style', async () => {
  const nonce = createNonce();
  const html = dashboardHtml({ cspSource: CSP_SOURCE, nonce, scriptUri: SCRIPT, styleUri: STYLE, data: await data() });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1].replace(/&#39;|&apos;/g, "'");
  assert.equal(csp, `default-src 'none'; img-src ${CSP_SOURCE} data:; style-src ${CSP_SOURCE}; font-src ${CSP_SOURCE}; script-src 'nonce-${nonce}'`);
  assert.ok(!/unsafe-(inline|eval)/.test(html));
  // The only URLs are the ones the host gave.
  const rest = html.split(CSP_SOURCE).join('').split(SCRIPT).join('').split(STYLE).join('');
  assert.deepEqual(rest.match(/https?:\/\/[^\s"'<>]*/g) ?? [], []);
  // Every script carries the nonce; no inline handlers or style attributes or elements.
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  assert.equal(scripts.length, 2);
  for (const s of scripts) assert.ok(s.includes(`nonce="${nonce}"`), s);
  assert.ok(!/\son[a-z]+\s*=/i.test(html));
  assert.ok(!/\sstyle\s*=|<style/i.test(html));
  assert.throws(() => dashboardHtml({ cspSource: CSP_SOURCE, nonce: 'x', scriptUri: SCRIPT, styleUri: STYLE }), /nonce/);
});

test('data cannot break out of its JSON block', async () => {
  const d = structuredClone(await data());
  d.changes[0].subject = '</script><script>alert(1)</script><!-- \u2028';
  const html = dashboardHtml({ cspSource: CSP_SOURCE, nonce: createNonce(), scriptUri: SCRIPT, styleUri: STYLE, data: d });
  assert.equal((html.match(/<script\b/g) ?? []).length, 2);
  const block = /<script type="application\/json" id="reconcile-metrics-data"[^>]*>([\s\S]*?)<\/script>/.exec(html)![1];
  assert.equal(JSON.parse(block).changes[0].subject, d.changes[0].subject);
});

test('the page script and stylesheet load nothing remote and run no strings as code', () => {
  const js = readFileSync(join(media, 'dashboard.js'), 'utf8');
  const css = readFileSync(join(media, 'dashboard.css'), 'utf8');
  assert.deepEqual((js.match(/https?:\/\/[^\s'"]+/g) ?? []).filter((u) => u !== 'http://www.w3.org/2000/svg'), []); // the SVG namespace is a name, not a fetch
  assert.ok(!/\beval\(|new Function|innerHTML|outerHTML|insertAdjacentHTML|document\.write|\.style\.|setAttribute\('style'/.test(js));
  assert.ok(!/url\(|@import|https?:/.test(css));
  for (const v of ['--vscode-foreground', '--vscode-editor-background', '--vscode-charts-blue', '--vscode-focusBorder']) assert.ok(css.includes(v), v);
});

test('in Chromium, under its CSP: charts, tables, keyboard filters, theme colours, messages to the host', async () => {
  const { loadTools } = (await import(harness('tools.mjs'))) as { loadTools: (o: { require: string[] }) => { chromium: string } };
  const { chromium } = await import('playwright-core');
  const tools = loadTools({ require: ['chromium'] });
  const d = await data();
  const nonce = createNonce();
  let html = '';
  const server: Server = createServer((req, res) => {
    const file = req.url === '/dashboard.js' ? join(media, 'dashboard.js') : req.url === '/dashboard.css' ? join(media, 'dashboard.css') : undefined;
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    } else if (file) {
      res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' });
      res.end(readFileSync(file));
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204); // the browser's own request, not the page's
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  html = dashboardHtml({ cspSource: base, nonce, scriptUri: `${base}/dashboard.js`, styleUri: `${base}/dashboard.css`, data: d, period: '30d' });
  const browser = await chromium.launch({ executablePath: tools.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    const console: string[] = [];
    page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
    // What VS Code provides: acquireVsCodeApi, and theme variables on the root element.
    // (A string: functions compiled by tsx carry helpers the page does not have.)
    await page.addInitScript(`
      window.posted = [];
      window.acquireVsCodeApi = function () {
        return { postMessage: function (m) { window.posted.push(m); }, getState: function () { return undefined; }, setState: function () {} };
      };
      document.addEventListener('DOMContentLoaded', function () { document.documentElement.style.setProperty('--vscode-charts-blue', 'rgb(1, 2, 3)'); });
    `);
    await page.goto(base);
    await page.waitForSelector('svg.plot');
    assert.equal(await page.locator('svg.plot').count(), 5);
    assert.equal(await page.locator('details.table table').count(), 5);
    const label = await page.locator('svg.plot').first().getAttribute('aria-label');
    assert.equal(label, 'Deployment frequency per week: 2024-W01 3, 2024-W02 2, 2024-W03 2, 2024-W04 3');
    assert.equal(await page.locator('.card-value').first().textContent(), '10');
    // Theme: the deployment bars take --vscode-charts-blue.
    const fill = await page.evaluate(`getComputedStyle(document.querySelector('svg.c-blue rect.bar')).fill`);
    assert.equal(fill, 'rgb(1, 2, 3)');
    assert.deepEqual(await page.evaluate('window.posted'), [{ type: 'ready' }]);

    // Keyboard: Tab reaches the period selector, then the environment filter.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'period');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'environment');
    await page.selectOption('#environment', 'prod');
    assert.equal(await page.locator('.card-value').first().textContent(), '6');
    assert.match((await page.locator('svg.plot').nth(2).getAttribute('aria-label')) ?? '', /^Change failure rate per week: 2024-W01 50%, 2024-W02 50%, 2024-W03 no data, 2024-W04 50%$/);
    // The table alternative opens from the keyboard.
    await page.locator('details.table summary').first().focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(`document.querySelector('details.table').open`), true);
    assert.deepEqual(await page.locator('details.table').first().locator('tbody tr').allTextContents(), ['2024-W012024-01-012', '2024-W022024-01-082', '2024-W032024-01-150', '2024-W042024-01-222']);

    // A longer period is asked from the host, whose answer re-renders the page.
    await page.selectOption('#period', '180d');
    assert.deepEqual(await page.evaluate('window.posted[window.posted.length - 1]'), { type: 'period', since: '180d' });
    const smaller = structuredClone(d);
    smaller.perEnvironment[1].summary.deployments = 42;
    await page.evaluate(`window.postMessage(${JSON.stringify({ type: 'metrics', data: smaller })}, '*')`);
    await page.waitForFunction(`document.querySelector('.card-value') && document.querySelector('.card-value').textContent === '42'`);
    assert.equal(await page.locator('#environment').inputValue(), 'prod');

    const problems = console.filter((l) => /error|refused|violat|content security/i.test(l));
    assert.deepEqual(problems, [], console.join('\n'));
  } finally {
    await browser.close();
    await new Promise((r) => server.close(r));
  }
});
