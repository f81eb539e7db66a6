// Each cluster's folder often has its own source of the same kind, name and namespace: a reference
// resolves to the nearest one (same file, then the deepest shared folder), not the first in the repo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { discover } from '../../../src/core/repo';

test('a HelmRelease uses its own cluster\'s HelmRepository when every cluster has one of that name', async () => {
  const m = await discover(path.join(__dirname, '..', '..', 'fixtures', 'repos', 'flux-two-clusters'));
  const urls = Object.fromEntries(m.environments.flatMap((e) => e.applications.map((a) => [e.name, (a.renderer as { remoteChart?: { repoURL?: string } }).remoteChart?.repoURL])));
  assert.deepEqual(urls, { production: 'https://charts-production.example.com/', staging: 'https://charts-staging.example.com/' });
});
