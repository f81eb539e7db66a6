// A big generated repository (5,000 files, 300 apps × 5 environments) is discovered completely and
// correctly. How fast is measured in `npm run bench` (bench/environments.bench.ts), not asserted here:
// the machines are noisy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { discover } from '../../../src/core/repo';
import { generateRepo } from './generated-repo';

test('discovery of a generated repo (≈5,000 files, 300 apps × 5 environments) finds every application', async () => {
  const tmp = await fs.mkdtemp(join(tmpdir(), 'reconcile-big-'));
  try {
    const g = generateRepo(tmp, { apps: 300, resourcesPerBase: 5 });
    assert.ok(g.files >= 4800, `${g.files} files`);
    const model = await discover(tmp);
    const counts = model.environments.map((e) => [e.name, e.applications.length]);
    assert.deepEqual(counts, g.envs.slice().sort().map((e) => [e, 300]));
    assert.ok(model.environments.every((e) => e.applications.every((a) => a.sourceKind === 'flux' && a.renderer.kind === 'kustomize')));
    assert.deepEqual(model.errors, []);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
