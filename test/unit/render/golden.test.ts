// Renders fixture applications with the real tools and compares them with the goldens in
// test/fixtures/golden/ as sets of objects. Needs scripts/setup (fails, never skips, without it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN_CASES, goldenDir, objectsOf, realRenderer, renderCase } from './golden-cases';

test('the golden renders match (kustomize via kubectl, helm, plain)', async (t) => {
  const renderer = realRenderer();
  for (const c of GOLDEN_CASES) {
    await t.test(c.name, async () => {
      const file = join(goldenDir, `${c.name}.yaml`);
      assert.ok(existsSync(file), `${file} is missing: run scripts/refresh-golden`);
      const expected = objectsOf(readFileSync(file, 'utf8'), file);
      const actual = objectsOf(await renderCase(c, renderer), c.name);
      assert.ok(expected.size > 0, `${file} holds no object`);
      assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${c.name}: objects differ (run scripts/refresh-golden if the change is intended)`);
      for (const [k, v] of expected) assert.deepEqual(actual.get(k), v, `${c.name}: ${k} differs`);
    });
  }
});

test('the semantic comparison ignores order and formatting but not content', () => {
  const a = objectsOf('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: "1"}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n', 'a');
  const b = objectsOf('apiVersion: v1\nkind: Secret\nmetadata: {name: b}\n---\n# comment\nkind: ConfigMap\napiVersion: v1\ndata:\n  x: "1"\nmetadata:\n  name: a\n', 'b');
  assert.deepEqual(a, b);
  const c = objectsOf('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: "2"}\n', 'c');
  assert.notDeepEqual(c.get('/ConfigMap//a'), a.get('/ConfigMap//a'));
  assert.throws(() => objectsOf('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n', 'dup'), /appears twice/);
});
