// What Problems shows: one finding per rule, place and environment; a repository policy and a built-in
// rule that flag the same range are one problem that names both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeEquivalentFindings, type Finding } from '../../../src/core/findings';

const at = (line: number, from: number, to: number) => ({ start: { line, character: from }, end: { line, character: to } });
const f = (code: string, severity: Finding['severity'], message: string, range = at(18, 12, 18), environment = 'dev', source: Finding['source'] = 'policy'): Finding =>
  ({ code, severity, message: `[${environment}] ${message}`, file: '/repo/apps/web/overlays/dev/kustomization.yaml', range, source, environment });

test('the same rule on the same range of one environment is one problem, however it is worded', () => {
  const out = mergeEquivalentFindings([
    f('secret/plaintext', 'error', 'Secret api-db is committed with 2 plaintext values (password, username)', at(3, 0, 6)),
    f('secret/plaintext', 'error', 'Secret api-db is committed with 2 plaintext values (username, password)', at(3, 0, 6)),
    f('secret/plaintext', 'error', 'Secret api-db is committed with 2 plaintext values (username, password)', at(3, 0, 6), 'staging'),
  ]);
  assert.deepEqual(out.map((x) => `${x.environment} ${x.message}`), [
    'dev [dev] Secret api-db is committed with 2 plaintext values (password, username)',
    'staging [staging] Secret api-db is committed with 2 plaintext values (username, password)',
  ]);
});

test('a repository policy and a built-in rule saying the same thing are shown once, naming both, at the higher severity', () => {
  const out = mergeEquivalentFindings([
    f('practice/image-tag', 'warning', 'container web uses the mutable tag :latest'),
    f('vap/shop-image-tag-policy', 'error', 'ValidatingAdmissionPolicy shop-image-tag-policy denies it: images must be pinned'),
    f('practice/resource-limits', 'warning', 'container web has no limits', at(30, 4, 10)),
  ]);
  assert.deepEqual(out.map((x) => [x.code, x.severity, x.message]), [
    ['vap/shop-image-tag-policy', 'error', '[dev] ValidatingAdmissionPolicy shop-image-tag-policy denies it: images must be pinned (also built-in practice/image-tag)'],
    ['practice/resource-limits', 'warning', '[dev] container web has no limits'],
  ]);
  // Another environment's or another line's findings are not merged.
  const apart = mergeEquivalentFindings([f('practice/image-tag', 'warning', 'x', at(18, 12, 18), 'staging'), f('vap/p', 'error', 'y')]);
  assert.equal(apart.length, 2);
  // Schema findings are not policies: never merged into one.
  const schema = mergeEquivalentFindings([f('schema/type', 'error', 'replicas must be an integer', at(18, 12, 18), 'dev', 'schema'), f('vap/p', 'error', 'y')]);
  assert.equal(schema.length, 2);
});
