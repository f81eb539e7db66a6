// "Not checked" is said, never silent (issue 15): the files of a Helm chart's templates/ folder
// cannot be checked as files; one note per chart says so and how to check them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { helmTemplateNotes } from '../../../src/core/check/file-checks';
import { failsRun, isNotChecked } from '../../../src/core/findings';

const chart = join(__dirname, '..', '..', 'fixtures', 'checks-cli', 'chart');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)])).sort();
}

test('Helm templates: one "not checked" note per chart, on its Chart.yaml, counting the templates', () => {
  const notes = helmTemplateNotes(files(chart), (f) => readFileSync(f, 'utf8'));
  assert.equal(notes.length, 1);
  const [n] = notes;
  assert.equal(n.file, join(chart, 'web', 'Chart.yaml'));
  assert.equal(n.severity, 'info');
  assert.ok(isNotChecked(n));
  assert.match(n.message, /^2 Helm templates of chart web not checked as files: .*reconcile check --env/);
  assert.equal(failsRun(n, 'error'), false);
  assert.equal(failsRun(n, 'warning'), true);
  // values.yaml and Chart.yaml are YAML, and are checked as such
  assert.deepEqual(helmTemplateNotes([join(chart, 'web', 'values.yaml'), join(chart, 'web', 'Chart.yaml')], (f) => readFileSync(f, 'utf8')), []);
});
