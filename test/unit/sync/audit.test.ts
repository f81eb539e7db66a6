// The sync audit log: JSON lines appended to a file the caller names; a truncated or corrupt line is
// skipped and reported, never fatal, and the next append stays whole. Real temp files, no cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, auditRecord, type Plan, type SyncOutcome } from '../../../src/core/sync';

function fakePlan(): Plan {
  return {
    environment: 'dev',
    context: 'reconcile-local',
    server: 'https://127.0.0.1:6443',
    createdAt: Date.parse('2024-05-01T10:00:00Z'),
    durationMs: 12,
    items: [],
    counts: { total: 3, create: 1, update: 1, unchanged: 1, failed: 0, prune: 1, skip: 0, conflicts: 0 },
    warnings: [],
    requests: 9,
  };
}

function fakeOutcome(): SyncOutcome {
  const id = (name: string) => ({ group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop-dev', name });
  return {
    outcome: 'partial',
    reason: 'failed at ConfigMap b',
    notes: [],
    startedAt: Date.parse('2024-05-01T10:01:00Z'),
    durationMs: 321.7,
    counts: { applied: 1, unchanged: 1, failed: 1, skipped: 1, cancelled: 0, pruned: 0 },
    requests: { apply: 2, patch: 0, get: 0, delete: 0, discovery: 1, total: 3 },
    results: [
      { key: '/ConfigMap/shop-dev/a', id: id('a'), action: 'create', status: 'applied', message: 'created', at: 1 },
      { key: '/ConfigMap/shop-dev/b', id: id('b'), action: 'update', status: 'failed', failure: { kind: 'invalid', message: 'rejected by the server: x', serverMessage: 'ConfigMap "b" is invalid: x' }, at: 2 },
      { key: '/ConfigMap/shop-dev/c', id: id('c'), action: 'unchanged', status: 'unchanged', at: 3 },
      { key: '/ConfigMap/shop-dev/d', id: id('d'), action: 'prune', status: 'skipped', message: 'not deleted: pruning was not confirmed for it', at: 4 },
    ],
  };
}

test('auditRecord: commit, author, environment, context, plan counts and per-resource results', () => {
  const r = auditRecord(fakePlan(), fakeOutcome(), { commit: 'abc123', author: 'Ada <ada@example.com>', forced: ['/ConfigMap/shop-dev/a'] });
  assert.equal(r.version, 1);
  assert.equal(r.environment, 'dev');
  assert.equal(r.context, 'reconcile-local');
  assert.equal(r.commit, 'abc123');
  assert.equal(r.author, 'Ada <ada@example.com>');
  assert.equal(r.at, '2024-05-01T10:01:00.000Z');
  assert.equal(r.outcome, 'partial');
  assert.deepEqual(r.plan, fakePlan().counts);
  assert.deepEqual(r.results, fakeOutcome().counts);
  assert.equal(r.durationMs, 322);
  assert.equal(r.requests, 3);
  assert.deepEqual(r.forced, ['/ConfigMap/shop-dev/a']);
  assert.deepEqual(
    r.resources.map((x) => `${x.status} ${x.key} ${x.message ?? ''}`),
    ['applied /ConfigMap/shop-dev/a created', 'failed /ConfigMap/shop-dev/b ConfigMap "b" is invalid: x', 'unchanged /ConfigMap/shop-dev/c ', 'skipped /ConfigMap/shop-dev/d not deleted: pruning was not confirmed for it'],
  );
  const other = auditRecord(fakePlan(), fakeOutcome(), { environment: 'dev2', context: 'kind-x' });
  assert.equal(other.environment, 'dev2');
  assert.equal(other.context, 'kind-x');
  assert.notEqual(other.id, r.id);
});

test('AuditLog: append creates the folder and the file (private), list returns the records oldest first, exportJson', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-audit-'));
  try {
    const log = new AuditLog(join(dir, 'nested', 'globalStorage', 'sync-audit.jsonl'));
    assert.deepEqual(await log.list(), { records: [], problems: [] }, 'a missing file is an empty log');
    const a = auditRecord(fakePlan(), fakeOutcome(), { commit: 'c1' });
    const b = auditRecord(fakePlan(), { ...fakeOutcome(), outcome: 'success' }, { commit: 'c2' });
    await log.append(a);
    await log.append(b);
    assert.equal(statSync(log.file).mode & 0o777, 0o600);
    const text = readFileSync(log.file, 'utf8');
    assert.equal(text.split('\n').length, 3, 'one line per record');
    const { records, problems } = await log.list();
    assert.deepEqual(problems, []);
    assert.deepEqual(records.map((r) => r.commit), ['c1', 'c2']);
    assert.deepEqual(records[0], a);
    const exported = JSON.parse(await log.exportJson());
    assert.equal(exported.records.length, 2);
    assert.deepEqual(exported.skippedLines, []);
    assert.equal(exported.file, log.file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('AuditLog: a truncated last line and a corrupt line are skipped and reported; the next append stays whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-audit-'));
  try {
    const file = join(dir, 'sync-audit.jsonl');
    const log = new AuditLog(file);
    await log.append(auditRecord(fakePlan(), fakeOutcome(), { commit: 'first' }));
    appendFileSync(file, 'this is not json\n');
    appendFileSync(file, '{"version": 99, "id": "x"}\n');
    const whole = JSON.stringify(auditRecord(fakePlan(), fakeOutcome(), { commit: 'cut' }));
    appendFileSync(file, whole.slice(0, whole.length / 2)); // a write cut short (crash, full disk)
    await log.append(auditRecord(fakePlan(), fakeOutcome(), { commit: 'after' }));
    const { records, problems } = await log.list();
    assert.deepEqual(records.map((r) => r.commit), ['first', 'after']);
    assert.deepEqual(problems.map((p) => p.line), [2, 3, 4]);
    assert.match(problems[0].message, /^line 2 is not valid JSON \(this is not json\): skipped$/);
    assert.match(problems[1].message, /^line 3 is not an audit record \(unknown record version 99\): skipped$/);
    assert.match(problems[2].message, /^line 4 is not valid JSON/);
    const exported = JSON.parse(await log.exportJson());
    assert.equal(exported.records.length, 2);
    assert.equal(exported.skippedLines.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('AuditLog: a relative path is refused (the log never lands in the working folder by accident)', () => {
  assert.throws(() => new AuditLog('sync-audit.jsonl'), /absolute path/);
});

test('AuditLog: an empty file and blank lines are an empty log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-audit-'));
  try {
    const file = join(dir, 'a.jsonl');
    writeFileSync(file, '\n\n');
    assert.deepEqual(await new AuditLog(file).list(), { records: [], problems: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
