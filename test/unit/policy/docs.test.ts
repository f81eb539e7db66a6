// Every rule id has its docs page (docs/rules/<id with / → ->.md), linked from every finding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_RULES, ruleDocsPath } from '../../../src/core/policy';
import { repoRoot } from './helpers';

test('docs: every built-in rule has a page that starts with its id, states its default severity and shows how to configure it', () => {
  for (const r of BUILTIN_RULES) {
    const file = join(repoRoot, ruleDocsPath(r.id));
    assert.ok(existsSync(file), `${r.id}: ${ruleDocsPath(r.id)} is missing`);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith(`# ${r.id}\n`), `${r.id}: title`);
    assert.match(text, new RegExp(`\\*\\*Default severity:\\*\\* ${r.defaultSeverity}`), `${r.id}: default severity`);
    assert.ok(text.includes(`reconcile.dev/ignore: "${r.id}: `), `${r.id}: suppression example`);
  }
});

test('docs: the repository policies share one page (vap.md), broken and runaway policies have their own', () => {
  assert.equal(ruleDocsPath('vap/shop-image-tag-policy'), 'docs/rules/vap.md');
  assert.equal(ruleDocsPath('vap/invalid'), 'docs/rules/vap-invalid.md');
  assert.ok(existsSync(join(repoRoot, 'docs/rules/vap.md')));
});
