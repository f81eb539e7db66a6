// A sync applies the files on disk, not the commit: its audit record says when the working tree had
// uncommitted changes and lists them (modified, added, deleted, renamed, untracked), and says a clean
// tree was clean. Real temporary git repositories; the record goes through the real AuditLog file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openRepo } from '../../../src/core/git';
import { AuditLog, auditGitContext, auditRecord, AUDIT_MAX_DIRTY_FILES, type Plan, type SyncOutcome } from '../../../src/core/sync';
import { cleanupAll, TempRepo, tempDir } from '../git/temp-repo';

after(cleanupAll);

const plan: Plan = {
  environment: 'dev',
  context: 'reconcile-local',
  server: 'https://127.0.0.1:6443',
  createdAt: Date.parse('2024-05-01T10:00:00Z'),
  durationMs: 12,
  items: [],
  counts: { total: 0, create: 0, update: 0, unchanged: 0, failed: 0, prune: 0, skip: 0, conflicts: 0 },
  warnings: [],
  requests: 1,
};

const outcome = {
  outcome: 'success',
  startedAt: Date.parse('2024-05-01T10:01:00Z'),
  durationMs: 5,
  counts: { applied: 0, unchanged: 0, failed: 0, skipped: 0, cancelled: 0, pruned: 0 },
  requests: { total: 0 },
  results: [],
} as unknown as SyncOutcome;

function repoWithHistory(): TempRepo {
  const r = TempRepo.init();
  r.write('apps/web/deployment.yaml', 'kind: Deployment\n');
  r.write('apps/web/service.yaml', 'kind: Service\n');
  r.write('apps/web/old-name.yaml', 'kind: ConfigMap\n');
  r.write('apps/web/gone.yaml', 'kind: Secret\n');
  r.commit('first');
  return r;
}

test('a sync from a dirty working tree: the record says dirty and lists every uncommitted file with its change', async () => {
  const r = repoWithHistory();
  r.write('apps/web/deployment.yaml', 'kind: Deployment\nspec: {replicas: 3}\n'); // modified, not staged
  r.write('apps/web/service.yaml', 'kind: Service\nspec: {}\n');
  r.git('add', 'apps/web/service.yaml'); // modified, staged
  r.git('mv', 'apps/web/old-name.yaml', 'apps/web/new-name.yaml'); // renamed
  r.git('rm', '-q', 'apps/web/gone.yaml'); // deleted
  r.write('apps/web/new.yaml', 'kind: ConfigMap\n'); // untracked: a plain-manifest render picks it up
  const ctx = await auditGitContext(await openRepo(r.dir));
  assert.equal(ctx.commit, r.head());
  assert.equal(ctx.author, 'Test Author <author@example.test>');

  const record = auditRecord(plan, outcome, ctx);
  assert.equal(record.dirty, true);
  assert.deepEqual(
    [...(record.dirtyFiles ?? [])].sort((a, b) => a.path.localeCompare(b.path)),
    [
      { path: 'apps/web/deployment.yaml', change: 'modified' },
      { path: 'apps/web/gone.yaml', change: 'deleted' },
      { path: 'apps/web/new-name.yaml', change: 'renamed' },
      { path: 'apps/web/new.yaml', change: 'untracked' },
      { path: 'apps/web/service.yaml', change: 'modified' },
    ],
  );
  assert.equal(record.dirtyFileCount, undefined);

  // Written and read back as one line of the audit log.
  const log = new AuditLog(join(tempDir(), 'audit.jsonl'));
  await log.append(record);
  const { records } = await log.list();
  assert.equal(records[0].dirty, true);
  assert.equal(records[0].dirtyFiles?.length, 5);
});

test('a sync from a clean working tree says clean; without git nothing is claimed either way', async () => {
  const r = repoWithHistory();
  const record = auditRecord(plan, outcome, await auditGitContext(await openRepo(r.dir)));
  assert.equal(record.dirty, false);
  assert.equal(record.dirtyFiles, undefined);
  assert.equal(record.commit, r.head());

  const unknown = auditRecord(plan, outcome, {});
  assert.equal('dirty' in unknown, false);
  assert.equal('dirtyFiles' in unknown, false);
});

test('a very dirty tree: the first AUDIT_MAX_DIRTY_FILES files are listed and the total is given', async () => {
  const r = repoWithHistory();
  const n = AUDIT_MAX_DIRTY_FILES + 25;
  const name = (i: number) => `many/f${String(i).padStart(4, '0')}.yaml`;
  for (let i = 0; i < n; i++) r.write(name(i), 'x: 1\n');
  r.commit('many');
  for (let i = 0; i < n; i++) r.write(name(i), 'x: 2\n');
  r.write('untracked-folder/a.yaml', 'x: 1\n'); // git names an untracked folder once
  const record = auditRecord(plan, outcome, await auditGitContext(await openRepo(r.dir)));
  assert.equal(record.dirty, true);
  assert.equal(record.dirtyFiles?.length, AUDIT_MAX_DIRTY_FILES);
  assert.equal(record.dirtyFileCount, n + 1);
  assert.ok(record.dirtyFiles!.every((f) => f.change === 'modified' || f.path === 'untracked-folder/'));
});
