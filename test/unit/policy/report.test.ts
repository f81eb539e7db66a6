// CI report formats: golden files for text, JSON, SARIF and JUnit (UPDATE_GOLDEN=1 rewrites
// them), SARIF validated against a subset of the SARIF 2.1.0 schema (test/fixtures/policy/report/
// sarif-2.1.0-subset.schema.json, written from the specification: no network), plus what GitHub
// code scanning needs on top (relative URIs, rules for every ruleId, 1-based regions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import type { Finding } from '../../../src/core/findings';
import { BUILTIN_RULES, checkFiles, docsBaseFromRepository, failsOn, formatReport, REPORT_FORMATS, summarize, toSarif, type ReportFormat } from '../../../src/core/policy';
import { fixture, read } from './helpers';

const dir = fixture('report');
const GOLDEN = { text: 'report.txt', json: 'report.json', sarif: 'report.sarif.json', junit: 'report.junit.xml' } as const;

/** Findings from several engines: the policy engine on two files, plus a schema finding without fixes. */
function findings(): Finding[] {
  const files = [join(dir, 'deploy.yaml'), join(dir, 'team a', 'values.yaml')].map((file) => ({ file, text: read(file) }));
  const policy = checkFiles(files, {});
  const schema: Finding = {
    code: 'schema/unknown-field', severity: 'error', message: 'unknown field "replica" in <Deployment shop & co> (did you mean "replicas"?)', source: 'schema',
    file: join(dir, 'deploy.yaml'), range: { start: { line: 6, character: 2 }, end: { line: 6, character: 9 } }, docs: 'docs/rules/schema-unknown-field.md',
  };
  const env: Finding = { ...policy.find((f) => f.code === 'practice/image-tag')!, message: "[prod] image of container 'web' uses the mutable :latest tag; pin a version or digest", environment: 'prod', severity: 'info' };
  return [...policy, schema, env];
}

function compileSarifSchema() {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, formats: { uri: /^[a-z][a-z0-9+.-]*:[^\s]*$/i, 'uri-reference': /^[^\s]*$/ } });
  return ajv.compile(JSON.parse(read(join(dir, 'sarif-2.1.0-subset.schema.json'))));
}

for (const format of REPORT_FORMATS) {
  test(`report: ${format} output matches the golden file`, () => {
    const out = formatReport(format as ReportFormat, findings(), { root: dir, version: '0.1.0' });
    const golden = join(dir, 'golden', GOLDEN[format]);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, out);
    assert.equal(out, read(golden), `${GOLDEN[format]} differs; rerun with UPDATE_GOLDEN=1 after checking the change`);
  });
}

test('report: the findings feeding the goldens come from every engine and severity', () => {
  const f = findings();
  assert.deepEqual([...new Set(f.map((x) => x.source))].sort(), ['policy', 'schema', 'secret']);
  assert.deepEqual([...new Set(f.map((x) => x.severity))].sort(), ['error', 'info', 'warning']);
  assert.deepEqual(summarize(f), { errors: 2, warnings: 3, info: 1, hints: 0, total: 6, notChecked: 0 });
});

test('report: SARIF validates against the SARIF 2.1.0 schema subset, and the schema rejects broken SARIF', () => {
  const validate = compileSarifSchema();
  const sarif = toSarif(findings(), { root: dir, version: '0.1.0' });
  assert.ok(validate(sarif), JSON.stringify(validate.errors, null, 1));
  assert.ok(validate(toSarif([], { root: dir })), 'an empty run is valid');
  const broken = structuredClone(sarif) as any;
  broken.runs[0].results[0].level = 'fatal';
  delete broken.runs[0].tool.driver.name;
  broken.runs[0].results[1].locations[0].physicalLocation.region.startLine = 0;
  broken.runs[0].results[2].messageText = 'typo';
  assert.equal(validate(broken), false);
  const paths = (validate.errors ?? []).map((e) => e.instancePath).sort();
  assert.deepEqual(paths, ['/runs/0/results/0/level', '/runs/0/results/1/locations/0/physicalLocation/region/startLine', '/runs/0/results/2', '/runs/0/tool/driver']);
});

test('report: SARIF has what GitHub code scanning needs', () => {
  const sarif = toSarif(findings(), { root: dir, version: '0.1.0' }) as any;
  const run = sarif.runs[0];
  const rules: Array<{ id: string; helpUri?: string; shortDescription: { text: string } }> = run.tool.driver.rules;
  const ids = rules.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of BUILTIN_RULES.map((r) => r.id)) assert.ok(ids.includes(id), `rule ${id} listed`);
  for (const r of rules) {
    // helpUri must be absolute: there only with a docs base (package.json's repository), never made up
    assert.equal(r.helpUri, undefined);
    assert.ok(r.shortDescription.text.length > 5);
  }
  const based = toSarif(findings(), { root: dir, docsBaseUrl: docsBaseFromRepository({ type: 'git', url: 'git+https://git.example.com/team/reconcile.git' }) }) as any;
  for (const r of based.runs[0].tool.driver.rules) assert.match(r.helpUri, /^https:\/\/git\.example\.com\/team\/reconcile\/blob\/HEAD\/docs\/rules\/[a-z-]+\.md$/);
  assert.equal(based.runs[0].tool.driver.informationUri, 'https://git.example.com/team/reconcile/');
  assert.equal(docsBaseFromRepository(undefined), undefined);
  assert.equal(docsBaseFromRepository({ url: 'https://example.invalid/reconcile/reconcile.git' }), undefined);
  for (const r of run.results) {
    assert.equal(rules[r.ruleIndex].id, r.ruleId);
    const loc = r.locations[0].physicalLocation;
    assert.ok(!/^[a-z]+:|^\//i.test(loc.artifactLocation.uri), `relative uri: ${loc.artifactLocation.uri}`);
    assert.ok(loc.region.startLine >= 1 && loc.region.startColumn >= 1);
    assert.ok(r.partialFingerprints['reconcileFinding/v1'].length === 32);
  }
  assert.ok(run.results.some((r: any) => r.locations[0].physicalLocation.artifactLocation.uri === 'team%20a/values.yaml'));
  assert.deepEqual([...new Set(run.results.map((r: any) => r.level))].sort(), ['error', 'note', 'warning']);
});

test('report: JUnit XML is well formed, escapes text, and counts as failures what fails the run (--fail-on)', () => {
  const xml = formatReport('junit', findings(), { root: dir });
  const stack: string[] = [];
  for (const m of xml.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([A-Za-z-]+)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (m[1]) assert.equal(stack.pop(), m[2]);
    else stack.push(m[2]);
  }
  assert.deepEqual(stack, []);
  assert.ok(xml.includes('message="unknown field &quot;replica&quot; in &lt;Deployment shop &amp; co&gt; (did you mean &quot;replicas&quot;?)"'), 'attributes are escaped');
  assert.ok(!xml.includes('<Deployment'), 'no raw markup from messages');
  assert.match(xml, /<testsuites name="reconcile check" tests="6" failures="2" errors="0">/);
  assert.match(formatReport('junit', findings(), { root: dir, failOn: 'warning' }), /<testsuites name="reconcile check" tests="6" failures="5" errors="0">/);
  assert.match(formatReport('junit', findings(), { root: dir, failOn: 'never' }), /<testsuites name="reconcile check" tests="6" failures="0" errors="0">/);
  assert.match(formatReport('junit', [], { root: dir }), /<testcase classname="reconcile" name="no findings"\/>/);
});

test('report: --fail-on thresholds', () => {
  const f = findings();
  assert.equal(failsOn(f, 'error'), true);
  assert.equal(failsOn(f.filter((x) => x.severity !== 'error'), 'error'), false);
  assert.equal(failsOn(f.filter((x) => x.severity !== 'error'), 'warning'), true);
  assert.equal(failsOn(f, 'never'), false);
  // "not checked" is never clean: a warning for --fail-on warning, whatever its severity
  const notChecked = { ...f.find((x) => x.severity === 'info')!, code: 'render/unsupported', notChecked: true };
  assert.equal(failsOn([notChecked], 'warning'), true);
  assert.equal(failsOn([notChecked], 'error'), false);
  assert.equal(summarize([notChecked]).notChecked, 1);
  assert.match(formatReport('text', [notChecked], { root: dir }), /1 problem \(0 errors, 0 warnings, 1 info; 1 not checked\)/);
  assert.equal(formatReport('text', [], { root: dir }), 'No problems found.\n');
});
