// Drift incidents: recorded as JSON lines (start, then the same incident with resolvedAt), read back as
// one incident each; transitions from drift reports; bad files get a clear message with the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendIncident, incidentsOf, incidentTransition, parseIncidents, readIncidents } from '../../../src/core/metrics';

const counts = (c: Partial<Record<'inSync' | 'drifted' | 'missing' | 'unknown' | 'notInGit', number>>) => ({ total: 1, inSync: 0, drifted: 0, missing: 0, unknown: 0, skipped: 0, notInGit: 0, ...c });

test('incidents are appended and read back, a resolution replacing its start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-incidents-'));
  try {
    const file = join(dir, 'sub', 'incidents.jsonl');
    assert.deepEqual(readIncidents(file), []);
    const checkedAt = Date.parse('2024-03-01T10:00:00Z');
    const start = incidentTransition({ environment: 'prod', counts: counts({ drifted: 2 }), checkedAt }, undefined)!;
    assert.deepEqual(start, { environment: 'prod', detectedAt: '2024-03-01T10:00:00.000Z', kind: 'drifted' });
    await appendIncident(file, start);
    assert.equal(incidentTransition({ environment: 'prod', counts: counts({ drifted: 1 }), checkedAt: checkedAt + 1000 }, start), undefined, 'still drifted: no new incident');
    assert.equal(incidentTransition({ environment: 'prod', counts: counts({ unknown: 3 }), checkedAt: checkedAt + 2000 }, start), undefined, 'unverifiable: no resolution');
    const end = incidentTransition({ environment: 'prod', counts: counts({ inSync: 3 }), checkedAt: checkedAt + 3_600_000 }, start)!;
    await appendIncident(file, end);
    await appendIncident(file, { environment: 'dev', detectedAt: checkedAt, kind: 'not-in-git' });
    assert.deepEqual(readIncidents(file), [
      { environment: 'prod', detectedAt: '2024-03-01T10:00:00.000Z', kind: 'drifted', resolvedAt: '2024-03-01T11:00:00.000Z' },
      { environment: 'dev', detectedAt: checkedAt, kind: 'not-in-git' },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad incident files say what and where', () => {
  assert.throws(() => parseIncidents('{"environment":"dev","detectedAt":"2024-01-01"}\n{oops\n', 'f.jsonl'), /^IncidentFileError: f\.jsonl line 2 is not JSON/);
  assert.throws(() => parseIncidents('[{"environment":"dev","detectedAt":"yesterday"}]', 'f.json'), /f\.json: incident 1 needs "environment" and "detectedAt"/);
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-incidents-'));
  try {
    writeFileSync(join(dir, 'x.json'), '[1,');
    assert.throws(() => readIncidents(join(dir, 'x.json')), /x\.json is not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('incidents name their workspace folder and repository; a folder\'s metrics count only its own', async () => {
  const checkedAt = Date.parse('2024-03-01T10:00:00Z');
  const shop = { folder: '/ws/shop', repository: 'git.example.com/org/shop-gitops' };
  const payments = { folder: '/ws/payments', repository: 'git.example.com/org/payments-gitops' };
  const a = incidentTransition({ environment: 'prod', counts: counts({ drifted: 1 }), checkedAt }, undefined, shop)!;
  const b = incidentTransition({ environment: 'prod', counts: counts({ missing: 1 }), checkedAt }, undefined, payments)!;
  assert.deepEqual(a, { environment: 'prod', folder: '/ws/shop', repository: 'git.example.com/org/shop-gitops', detectedAt: '2024-03-01T10:00:00.000Z', kind: 'drifted' });
  const aEnd = incidentTransition({ environment: 'prod', counts: counts({ inSync: 1 }), checkedAt: checkedAt + 60_000 }, a, shop)!;
  assert.equal(aEnd.folder, '/ws/shop', 'the resolution keeps the folder');
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-incidents-'));
  try {
    const file = join(dir, 'incidents.jsonl');
    // Both folders' prod drift in the same millisecond: two incidents, not one.
    for (const i of [a, b, aEnd, { environment: 'prod', detectedAt: checkedAt - 1 }]) await appendIncident(file, i);
    const all = readIncidents(file);
    assert.equal(all.length, 3);
    assert.deepEqual(incidentsOf(all, shop, 'drop'), [aEnd]);
    assert.deepEqual(incidentsOf(all, payments, 'drop'), [b]);
    assert.deepEqual(incidentsOf(all, payments, 'keep').map((i) => i.kind ?? 'unattributed'), ['missing', 'unattributed'], 'a record of an older version counts where it cannot be wrong');
    // The CLI knows only the repository of the path it measures.
    assert.deepEqual(incidentsOf(all, { repository: payments.repository }, 'drop'), [b]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => parseIncidents('{"environment":"prod","detectedAt":1,"folder":3}', 'f.jsonl'), /f\.jsonl line 1: "folder" is not a string/);
});
