// Every built-in rule has a positive (bad.yaml) and a negative (good.yaml) fixture under
// test/fixtures/policy/rules/<rule id with / → ->/. The bad fixture marks each line where a
// finding must start with `# expect: <code>`: the findings must be exactly those. The good
// fixture must give no finding at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_RULES } from '../../../src/core/policy';
import { fixture, markers, positions, read, runCase, type RuleCase } from './helpers';

const dir = fixture('rules');
const cases = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'case.json')));

// Rules tested elsewhere with their own fixtures: secrets content scanning (secrets.test.ts),
// admission policies (admission.test.ts).
const ELSEWHERE = new Set(['secret/private-key', 'secret/cloud-credential', 'secret/high-entropy', 'vap/invalid', 'vap/budget']);

test('every built-in rule has a fixture folder (or a dedicated test)', () => {
  const covered = new Set(cases.map((d) => (JSON.parse(read(join(dir, d, 'case.json'))) as RuleCase).rule));
  const missing = BUILTIN_RULES.map((r) => r.id).filter((id) => !covered.has(id) && !ELSEWHERE.has(id));
  assert.deepEqual(missing, []);
});

for (const d of cases) {
  const c = JSON.parse(read(join(dir, d, 'case.json'))) as RuleCase;
  test(`${c.rule}: bad.yaml gives exactly the marked findings`, () => {
    const text = read(join(dir, d, 'bad.yaml'));
    const expected = markers(text);
    assert.ok(expected.length > 0, 'the bad fixture marks at least one finding');
    assert.ok(expected.every((m) => m.code === c.rule), 'markers name the rule under test');
    const findings = runCase(join(dir, d), c, 'bad');
    assert.deepEqual(positions(findings), expected, JSON.stringify(findings.map((f) => `${f.range.start.line + 1} ${f.code} ${f.message}`), null, 1));
    for (const f of findings) {
      assert.equal(f.docs, `docs/rules/${c.rule.replace(/\//g, '-')}.md`);
      assert.ok(f.message.length > 10 && f.message.length < 300, f.message);
      if (c.mode === 'environment') assert.ok(f.message.startsWith(`[${c.environment!.name}] `), f.message);
    }
  });
  test(`${c.rule}: good.yaml gives no finding`, () => {
    const findings = runCase(join(dir, d), c, 'good');
    assert.deepEqual(findings.map((f) => `${f.range.start.line + 1} ${f.code} ${f.message}`), []);
  });
}
