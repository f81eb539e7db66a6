// celEvaluator: the CEL wrapper shared by admission policies and CRD x-kubernetes-validations —
// the Kubernetes library functions added to cel-js, the compile cache, errors with offsets,
// and the step/time budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { celEvaluator, compareQuantities, parseQuantity } from '../../../src/core/policy';

const { compileCel, evaluateCel, toCel, fromCel, CEL_LIBRARY, DEFAULT_CEL_BUDGET } = celEvaluator;

function ev(expression: string, vars: Record<string, unknown> = {}): unknown {
  const r = evaluateCel(expression, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, toCel(v)])));
  if (!r.ok) throw new Error(`${expression}: ${r.error.kind}: ${r.error.message}`);
  return fromCel(r.value);
}

const cases: Array<[string, unknown]> = [
  // quantity
  ["quantity('1.5Gi').isGreaterThan(quantity('1500Mi'))", true],
  ["quantity('500m').add(quantity('1')).compareTo(quantity('1500m'))", 0],
  ["quantity('2').add(3).asInteger()", 5],
  ["quantity('100m').isInteger()", false],
  ["quantity('1k').asApproximateFloat()", 1000],
  ["quantity('-5').sign()", -1],
  ["quantity('1Gi').sub(quantity('512Mi')) == quantity('512Mi')", true],
  ["isQuantity('12Zi')", false],
  ["isQuantity('1e3')", true],
  // ip / cidr
  ["ip('10.0.0.1').family()", 4],
  ["ip('fe80::1').isLinkLocalUnicast()", true],
  ["ip('127.0.0.1').isLoopback()", true],
  ["ip('8.8.8.8').isGlobalUnicast()", true],
  ["isIP('::ffff:1.2.3.4')", false],
  ["ip.isCanonical('2001:db8::1')", true],
  ["ip.isCanonical('2001:0db8::1')", false],
  ["cidr('10.0.0.0/8').containsIP('10.1.2.3')", true],
  ["cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')", true],
  ["string(cidr('192.168.1.77/24').masked())", '192.168.1.0/24'],
  ["cidr('2001:db8::/32').prefixLength()", 32],
  ["isCIDR('10.0.0.0/33')", false],
  // url
  ["url('https://example.com:8443/a/b?x=1&x=2').getHost()", 'example.com:8443'],
  ["url('https://[::1]:80/x').getHostname()", '::1'],
  ["url('https://example.com/a?x=1&x=2').getQuery()['x']", ['1', '2']],
  ["url('/healthz').getEscapedPath()", '/healthz'],
  ["isURL('not a url')", false],
  // regex
  ["'abc123def45'.find('[0-9]+')", '123'],
  ["'abc123def45'.findAll('[0-9]+')", ['123', '45']],
  ["'a1b2c3'.findAll('[0-9]', 2)", ['1', '2']],
  ["'Hello'.matches('^h')", false],
  ["'Hello'.find('(?i)^h')", 'H'],
  // lists
  ["[1, 2, 3].isSorted()", true],
  ["['b', 'a'].isSorted()", false],
  ["[1, 2, 3].sum()", 6],
  ["[0.5, 1.5].sum()", 2],
  ["[3, 1, 2].min()", 1],
  ["['a', 'c', 'b'].max()", 'c'],
  ["[1, 2, 3, 2].indexOf(2)", 1],
  ["[1, 2, 3, 2].lastIndexOf(2)", 3],
  ["[[1], [2, 3]].flatten()", [1, 2, 3]],
  ["[3, 1, 2].sort()", [1, 2, 3]],
  ["[1, 1, 2].distinct()", [1, 2]],
  ["[1, 2, 3, 4].slice(1, 3)", [2, 3]],
  // sets
  ["sets.contains([1, 2, 3], [2, 3])", true],
  ["sets.equivalent([1, 2], [2, 1, 1])", true],
  ["sets.intersects([1], [2])", false],
  // strings
  ["'a.b.c'.replace('.', '-')", 'a-b-c'],
  ["'a.b.c'.replace('.', '-', 1)", 'a-b.c'],
  ["'hello'.charAt(1)", 'e'],
  ["'abc'.reverse()", 'cba'],
  ["'%s has %d items (%.2f%%)'.format(['cart', 3, 12.5])", 'cart has 3 items (12.50%)'],
  ["strings.quote('say \"hi\"')", '"say \\"hi\\""'],
  // format
  ["format.dns1123Label().validate('my-app').hasValue()", false],
  ["format.dns1123Label().validate('My_App').value()[0]", "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"],
  ["format.named('uuid').value().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()", false],
  ["format.named('no-such-format').hasValue()", false],
  ["format.qualifiedName().validate('example.com/name').hasValue()", false],
  // semver
  ["semver('1.2.3').isLessThan(semver('1.10.0'))", true],
  ["semver('1.0.0-rc.1').isLessThan(semver('1.0.0'))", true],
  ["semver('v1.2', true).minor()", 2],
  ["isSemver('1.2')", false],
  // the standard library and optional types still work
  ["object.spec.replicas + 1", 3],
  ["object.?spec.?missing.orValue('none')", 'none'],
  ["has(object.spec.template)", false],
  ["object.spec.containers.all(c, c.image.endsWith(':1.0'))", true],
  ["object.spec.containers.map(c, c.name).join(',')", 'a,b'],
  ["cel.bind(n, size(object.spec.containers), n * 2)", 4],
];

const object = { spec: { replicas: 2, containers: [{ name: 'a', image: 'x:1.0' }, { name: 'b', image: 'y:1.0' }] } };
for (const [expr, want] of cases) {
  test(`cel: ${expr}`, () => assert.deepEqual(ev(expr, { object }), want));
}

test('cel: evaluation steps are metered (the budget hook found cel-js\'s evaluator)', () => {
  assert.equal(celEvaluator.isMetered(), true);
});

test('cel: compile errors carry their kind and the offsets in the expression', () => {
  const syntax = compileCel('object.spec.replicas >', ['object']);
  assert.equal(syntax.ok, false);
  assert.deepEqual(!syntax.ok && { kind: syntax.error.kind, start: syntax.error.start }, { kind: 'syntax', start: 22 });
  const type = compileCel('object.spec.name.frobnicate()', ['object']);
  assert.deepEqual(!type.ok && [type.error.kind, type.error.start, type.error.end], ['type', 0, 29]);
  const unknown = compileCel('nothing + 1', ['object']);
  assert.deepEqual(!unknown.ok && [unknown.error.kind, unknown.error.message], ['type', 'Unknown variable: nothing']);
});

test('cel: programs are compiled once and cached per expression and variable set', () => {
  const a = compileCel('self.size() > 0', ['self', 'oldSelf']);
  const b = compileCel('self.size() > 0', ['self', 'oldSelf']);
  assert.ok(a.ok && b.ok && a.program === b.program);
  const c = compileCel('self.size() > 0', ['self']);
  assert.ok(c.ok && a.ok && c.program !== a.program);
});

test('cel: CRD x-kubernetes-validations style (self, oldSelf) evaluate with the same wrapper', () => {
  const r = compileCel('self.minReplicas <= self.maxReplicas', ['self', 'oldSelf']);
  assert.ok(r.ok);
  const ok = r.program.evaluate({ self: toCel({ minReplicas: 1, maxReplicas: 3 }), oldSelf: null });
  const bad = r.program.evaluate({ self: toCel({ minReplicas: 5, maxReplicas: 3 }), oldSelf: null });
  assert.deepEqual([ok.ok && ok.value, bad.ok && bad.value], [true, false]);
});

test('cel: runtime errors are reported, not thrown', () => {
  const r = evaluateCel('object.spec.nothing > 1', { object: toCel(object) });
  assert.deepEqual(!r.ok && [r.error.kind, r.error.message], ['evaluation', 'No such key: nothing']);
  const q = evaluateCel("quantity('12 apples')", {});
  assert.deepEqual(!q.ok && q.error.kind, 'evaluation');
  assert.match(!q.ok ? q.error.message : '', /invalid quantity: 12 apples/);
});

test('cel: the step budget stops an expensive expression, and || / exists cannot swallow the stop', () => {
  const l = toCel(Array.from({ length: 300 }, (_, i) => i));
  const t0 = performance.now();
  // the clock is taken out of the picture (a loaded machine would stop it on time first)
  const stepsOnly = { maxSteps: DEFAULT_CEL_BUDGET.maxSteps, maxMillis: 60_000 };
  const r = evaluateCel('l.all(a, l.all(b, l.all(c, a + b + c >= 0)))', { l }, stepsOnly);
  assert.deepEqual(!r.ok && r.error.kind, 'budget');
  assert.ok(r.steps > DEFAULT_CEL_BUDGET.maxSteps);
  assert.ok(performance.now() - t0 < 10_000);
  const swallowed = evaluateCel('l.exists(a, l.all(b, l.all(c, a + b + c >= 0)) && false) || true', { l }, stepsOnly);
  assert.deepEqual(!swallowed.ok && swallowed.error.kind, 'budget');
  const cheap = evaluateCel('l.exists(a, a == 299)', { l });
  assert.ok(cheap.ok && cheap.value === true && cheap.steps < 10_000);
});

test('cel: the time budget stops an expression that stays under the step limit', () => {
  const l = toCel(Array.from({ length: 400 }, (_, i) => i));
  const r = evaluateCel('l.all(a, l.all(b, l.all(c, a + b + c >= 0)))', { l }, { maxSteps: Number.MAX_SAFE_INTEGER, maxMillis: 20 });
  assert.deepEqual(!r.ok && [r.error.kind, r.error.message], ['budget', 'evaluation stopped after 20 ms (budget exceeded)']);
});

test('cel: the library gaps listed in CEL_LIBRARY.missing really are missing (the list stays honest)', () => {
  assert.ok(CEL_LIBRARY.missing.length >= 4);
  const authz = compileCel("authorizer.group('apps').resource('deployments').check('create').allowed()", ['object']);
  assert.equal(authz.ok, false);
  const twoVar = compileCel('object.spec.containers.all(i, c, c.name != "")', ['object']);
  assert.equal(twoVar.ok, false);
  const crossType = compileCel('1 == 1.0', []);
  assert.equal(crossType.ok, false);
});

test('quantities compare exactly (binary and decimal suffixes, exponents, milli-units)', () => {
  assert.equal(compareQuantities('1Gi', '1073741824'), 0);
  assert.equal(compareQuantities('0.5', '500m'), 0);
  assert.equal(compareQuantities('1e3', '1k'), 0);
  assert.equal(compareQuantities('1.5Gi', '1536Mi'), 0);
  assert.equal(compareQuantities('100m', '0.1'), 0);
  assert.equal(compareQuantities('2', '1999m'), 1);
  assert.equal(parseQuantity('1n')!.nanos, 1n);
  assert.equal(parseQuantity('0.0000000001')!.nanos, 1n, 'finer than nano rounds up, like the API server');
  assert.equal(parseQuantity('abc'), undefined);
  assert.equal(parseQuantity('1.2.3'), undefined);
});
