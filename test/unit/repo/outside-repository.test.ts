// Discovery reads only the repository: a kustomization entry that leads outside it (`../..`, an
// absolute path, a symbolic link) is an error at its line and is not followed. A render's own
// inputs (the cache key) still include the overlay's bases, which lie outside the overlay's folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover } from '../../../src/core/repo';
import { inputsOf } from '../../../src/core/render';

test('kustomize references outside the repository are errors at their line and are not read; render inputs still include the bases', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'reconcile-outside-'));
  try {
    const repo = join(tmp, 'repo');
    const outside = join(tmp, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'kustomization.yaml'), 'resources:\n  - secret.yaml\n');
    writeFileSync(join(outside, 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n');
    const overlay = join(repo, 'app', 'overlays', 'dev');
    mkdirSync(overlay, { recursive: true });
    mkdirSync(join(repo, 'app', 'base'));
    writeFileSync(join(repo, 'app', 'base', 'kustomization.yaml'), 'resources:\n  - cm.yaml\n');
    writeFileSync(join(repo, 'app', 'base', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    symlinkSync(outside, join(repo, 'escape'));
    writeFileSync(join(overlay, 'kustomization.yaml'), `resources:\n  - ../../base\n  - ../../../../outside\n  - ${join(outside, 'secret.yaml')}\n  - ../../../escape\n`);

    const m = await discover(repo);
    const app = m.environments.flatMap((e) => e.applications).find((a) => a.root === overlay);
    assert.ok(app, JSON.stringify(m.environments));
    const out = app.errors.filter((e) => e.code === 'outside-repository');
    assert.deepEqual(
      out.map((e) => [e.location?.range.start.line, e.message]),
      [
        [2, `resources entry '../../../../outside' points outside the repository (${outside}); not followed`],
        [3, `resources entry '${join(outside, 'secret.yaml')}' points outside the repository (${join(outside, 'secret.yaml')}); not followed`],
        [4, `resources entry '../../../escape' points outside the repository (${outside}); not followed`],
      ],
    );
    assert.ok(!app.sourcePaths.some((p) => p.startsWith(outside)), `nothing outside is an input: ${app.sourcePaths.join(', ')}`);
    assert.ok(app.sourcePaths.includes(join(repo, 'app', 'base', 'cm.yaml')));

    // A render's inputs are found from the overlay's folder: its base is outside that folder, inside the repository.
    const inputs = inputsOf({ kind: 'kustomize', dir: overlay });
    assert.ok(inputs.includes(join(repo, 'app', 'base', 'cm.yaml')), inputs.join(', '));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
