// The GitOps metrics dashboard (webview page of src/core/metrics/dashboard.ts): weekly SVG bar charts of
// deployment frequency, lead time, change failure rate, time to restore and drift incidents, with a
// table under each chart as its text alternative. No library, no remote asset, no inline handler: the
// data comes from the JSON block of the page or a `metrics` message from the extension.
(function () {
  'use strict';

  var SVG = 'http://www.w3.org/2000/svg';
  var vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  var saved = (vscode && vscode.getState()) || {};
  var state = { data: null, environment: saved.environment || 'all', period: saved.period || null };

  var CHARTS = [
    { id: 'deployments', title: 'Deployment frequency', unit: 'changes merged per week', color: 'blue', value: function (w) { return w.deployments; }, text: function (v) { return String(v); } },
    { id: 'lead', title: 'Lead time for changes', unit: 'median, first commit → merge', color: 'purple', value: function (w) { return w.leadTimeHours ? w.leadTimeHours.median : null; }, text: hours },
    { id: 'failure', title: 'Change failure rate', unit: 'changes reverted or fixed within the window', color: 'red', value: function (w) { return w.changeFailureRate === null ? null : w.changeFailureRate * 100; }, text: function (v) { return Math.round(v) + '%'; }, max: 100 },
    { id: 'restore', title: 'Time to restore', unit: 'median, failed change → its revert or fix', color: 'orange', value: function (w) { return w.restoreHours ? w.restoreHours.median : null; }, text: hours },
    { id: 'drift', title: 'Drift incidents', unit: 'drift found in the cluster per week', color: 'green', value: function (w) { return w.driftIncidents; }, text: function (v) { return String(v); } },
  ];

  function hours(h) {
    if (h === null || h === undefined) return '–';
    if (h === 0) return '0 h';
    if (h < 1) return Math.round(h * 60) + ' min';
    if (h < 48) return Math.round(h * 10) / 10 + ' h';
    return Math.round((h / 24) * 10) / 10 + ' d';
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function periodDays(p) {
    var n = parseInt(p, 10);
    return isFinite(n) && n > 0 ? n : 90;
  }

  function dataDays(data) {
    return Math.round((Date.parse(data.until) - Date.parse(data.since)) / 86400000);
  }

  /** The series of the selected environment, cut to the selected period. */
  function selected() {
    var d = state.data;
    var series = d.overall;
    if (state.environment !== 'all') {
      for (var i = 0; i < d.perEnvironment.length; i++) if (d.perEnvironment[i].name === state.environment) series = d.perEnvironment[i];
    }
    var from = Date.parse(d.until) - periodDays(state.period) * 86400000;
    var weeks = series.weeks.filter(function (w) { return Date.parse(w.start + 'T00:00:00Z') + 7 * 86400000 > from; });
    return { series: series, weeks: weeks };
  }

  function median(xs) {
    if (!xs.length) return null;
    var s = xs.slice().sort(function (a, b) { return a - b; });
    var m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }

  /** Totals over the shown weeks (medians of weekly medians, weighted by count, are approximations: the summary uses the report's own when the whole period is shown). */
  function totals(sel) {
    var weeks = sel.weeks;
    if (weeks.length === sel.series.weeks.length) return sel.series.summary;
    var dep = 0, fail = 0, drift = 0, leads = [], restores = [];
    weeks.forEach(function (w) {
      dep += w.deployments; fail += w.failures; drift += w.driftIncidents;
      if (w.leadTimeHours) for (var i = 0; i < w.leadTimeHours.count; i++) leads.push(w.leadTimeHours.median);
      if (w.restoreHours) for (var j = 0; j < w.restoreHours.count; j++) restores.push(w.restoreHours.median);
    });
    return {
      deployments: dep,
      deploymentsPerWeek: weeks.length ? Math.round((dep / weeks.length) * 100) / 100 : 0,
      leadTimeHours: leads.length ? { median: median(leads), count: leads.length } : null,
      failures: fail,
      changeFailureRate: dep ? fail / dep : null,
      restoreHours: restores.length ? { median: median(restores), count: restores.length } : null,
      driftIncidents: drift,
    };
  }

  function renderControls() {
    var select = document.getElementById('environment');
    var names = ['all'].concat(state.data.environments);
    if (names.indexOf(state.environment) < 0) state.environment = 'all';
    clear(select);
    names.forEach(function (n) {
      var o = el('option', { value: n }, n === 'all' ? 'All environments' : n);
      if (n === state.environment) o.selected = true;
      select.appendChild(o);
    });
    var period = document.getElementById('period');
    if (state.period) period.value = state.period;
    else state.period = period.value;
  }

  function renderNotes() {
    var notes = document.getElementById('notes');
    clear(notes);
    state.data.notes.forEach(function (n) { notes.appendChild(el('p', { class: 'note' }, n)); });
    if (dataDays(state.data) + 7 < periodDays(state.period)) notes.appendChild(el('p', { class: 'note' }, 'Loading the longer period…'));
  }

  function card(label, value, detail) {
    var c = el('div', { class: 'card' });
    c.appendChild(el('div', { class: 'card-label' }, label));
    c.appendChild(el('div', { class: 'card-value' }, value));
    if (detail) c.appendChild(el('div', { class: 'card-detail muted' }, detail));
    return c;
  }

  function renderSummary(sel) {
    var s = totals(sel);
    var box = document.getElementById('summary');
    clear(box);
    box.appendChild(card('Deployments', String(s.deployments), s.deploymentsPerWeek + ' per week'));
    box.appendChild(card('Lead time', hours(s.leadTimeHours ? s.leadTimeHours.median : null), 'median'));
    box.appendChild(card('Change failure rate', s.changeFailureRate === null ? '–' : Math.round(s.changeFailureRate * 100) + '%', s.failures + ' failed'));
    box.appendChild(card('Time to restore', hours(s.restoreHours ? s.restoreHours.median : null), 'median'));
    box.appendChild(card('Drift incidents', String(s.driftIncidents), ''));
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function chart(def, weeks) {
    var section = el('section', { class: 'chart', 'aria-labelledby': 'h-' + def.id });
    var head = el('div', { class: 'chart-head' });
    head.appendChild(el('h2', { id: 'h-' + def.id }, def.title));
    head.appendChild(el('span', { class: 'muted' }, def.unit));
    section.appendChild(head);

    var values = weeks.map(def.value);
    var present = values.filter(function (v) { return v !== null; });
    var max = def.max || niceMax(Math.max.apply(null, [0].concat(present)));
    var W = 640, H = 180, left = 44, bottom = 22, top = 8, right = 8;
    var plotW = W - left - right, plotH = H - top - bottom;
    var label = def.title + ' per week: ' + (present.length ? weeks.map(function (w, i) { return w.week + ' ' + (values[i] === null ? 'no data' : def.text(values[i])); }).join(', ') : 'no data in this period');
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': label, tabindex: '0', class: 'plot c-' + def.color, preserveAspectRatio: 'none' });
    root.appendChild(svg('title', {}, label));
    [0, 0.5, 1].forEach(function (f) {
      var y = top + plotH - f * plotH;
      root.appendChild(svg('line', { x1: left, x2: W - right, y1: y, y2: y, class: f === 0 ? 'axis' : 'grid' }));
      root.appendChild(svg('text', { x: left - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' }, def.text(max * f)));
    });
    var slot = weeks.length ? plotW / weeks.length : plotW;
    var every = Math.max(1, Math.ceil(weeks.length / 8));
    weeks.forEach(function (w, i) {
      var v = values[i];
      var x = left + i * slot;
      if (v !== null && v > 0) {
        var h = Math.max(1, (Math.min(v, max) / max) * plotH);
        var bar = svg('rect', { x: x + slot * 0.15, y: top + plotH - h, width: Math.max(1, slot * 0.7), height: h, class: 'bar' });
        bar.appendChild(svg('title', {}, w.week + ' (' + w.start + '): ' + def.text(v)));
        root.appendChild(bar);
      } else if (v === 0) {
        root.appendChild(svg('rect', { x: x + slot * 0.15, y: top + plotH - 1, width: Math.max(1, slot * 0.7), height: 1, class: 'bar zero' }));
      }
      if (i % every === 0) root.appendChild(svg('text', { x: x + slot / 2, y: H - 6, class: 'tick', 'text-anchor': 'middle' }, w.week.slice(5)));
    });
    section.appendChild(root);

    var details = el('details', { class: 'table' });
    details.appendChild(el('summary', {}, 'Table: ' + def.title + ' per week'));
    var table = el('table');
    table.appendChild(el('caption', { class: 'visually-hidden' }, def.title + ' per week (' + def.unit + ')'));
    var thead = el('thead');
    var hr = el('tr');
    hr.appendChild(el('th', { scope: 'col' }, 'Week'));
    hr.appendChild(el('th', { scope: 'col' }, 'Starts'));
    hr.appendChild(el('th', { scope: 'col' }, def.title));
    thead.appendChild(hr);
    table.appendChild(thead);
    var tbody = el('tbody');
    weeks.forEach(function (w, i) {
      var tr = el('tr');
      tr.appendChild(el('th', { scope: 'row' }, w.week));
      tr.appendChild(el('td', {}, w.start));
      tr.appendChild(el('td', {}, values[i] === null ? '–' : def.text(values[i])));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    details.appendChild(table);
    section.appendChild(details);
    return section;
  }

  function renderFailures(sel) {
    var from = sel.weeks.length ? Date.parse(sel.weeks[0].start + 'T00:00:00Z') : 0;
    var failed = state.data.changes.filter(function (c) {
      return c.failure && Date.parse(c.mergedAt) >= from && (state.environment === 'all' || c.failure.environments.indexOf(state.environment) >= 0);
    });
    var section = el('section', { class: 'chart', 'aria-labelledby': 'h-failed' });
    section.appendChild(el('h2', { id: 'h-failed' }, 'Failed changes'));
    if (!failed.length) {
      section.appendChild(el('p', { class: 'muted' }, 'No change was reverted or fixed in this period.'));
      return section;
    }
    var table = el('table');
    var hr = el('tr');
    ['Change', 'Merged', 'Restored by', 'Time to restore'].forEach(function (h) { hr.appendChild(el('th', { scope: 'col' }, h)); });
    var thead = el('thead');
    thead.appendChild(hr);
    table.appendChild(thead);
    var tbody = el('tbody');
    failed.slice(-50).reverse().forEach(function (c) {
      var tr = el('tr');
      tr.appendChild(el('td', {}, c.sha.slice(0, 8) + ' ' + c.subject));
      tr.appendChild(el('td', {}, c.mergedAt.slice(0, 10)));
      tr.appendChild(el('td', {}, c.failure.kind + ' ' + c.failure.by.slice(0, 8)));
      tr.appendChild(el('td', {}, hours(c.failure.restoreHours)));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    section.appendChild(table);
    return section;
  }

  function render() {
    var subtitle = document.getElementById('subtitle');
    var charts = document.getElementById('charts');
    if (!state.data) {
      subtitle.textContent = 'Computing…';
      return;
    }
    renderControls();
    renderNotes();
    var d = state.data;
    subtitle.textContent = d.branch + ' · ' + (state.environment === 'all' ? 'all environments' : state.environment) + ' · last ' + periodDays(state.period) + ' days to ' + d.until.slice(0, 10) + ' · failure window ' + d.failureWindowDays + ' days';
    var sel = selected();
    renderSummary(sel);
    clear(charts);
    CHARTS.forEach(function (def) { charts.appendChild(chart(def, sel.weeks)); });
    charts.appendChild(renderFailures(sel));
    if (vscode) vscode.setState({ environment: state.environment, period: state.period });
  }

  document.getElementById('environment').addEventListener('change', function (e) {
    state.environment = e.target.value;
    render();
  });
  document.getElementById('period').addEventListener('change', function (e) {
    state.period = e.target.value;
    if (vscode) vscode.postMessage({ type: 'period', since: state.period });
    render();
  });
  window.addEventListener('message', function (e) {
    var m = e.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'metrics' && m.data) {
      state.data = m.data;
      render();
    } else if (m.type === 'loading') {
      document.getElementById('subtitle').textContent = 'Computing the last ' + periodDays(m.since) + ' days…';
    } else if (m.type === 'error') {
      var notes = document.getElementById('notes');
      clear(notes);
      notes.appendChild(el('p', { class: 'note error' }, String(m.message)));
    }
  });

  try {
    var block = document.getElementById('reconcile-metrics-data');
    state.data = block ? JSON.parse(block.textContent || 'null') : null;
  } catch (err) {
    state.data = null;
  }
  render();
  if (vscode) {
    vscode.postMessage({ type: 'ready' });
    // A longer period remembered from last time than the data covers: ask for it.
    if (state.data && state.period && dataDays(state.data) + 7 < periodDays(state.period)) vscode.postMessage({ type: 'period', since: state.period });
  }
})();
