// Version ranges resolve as Flux and Argo CD resolve a chart's version (Masterminds semver v3, through
// Helm's repository index): the highest version the range allows, pre-releases only when asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highestMatching, isExactVersion, parseRange } from '../../../src/core/remote';

const index = ['0.9.0', '1.0.0', '1.2.0', '1.2.7', '1.3.0-rc.1', '1.3.0', '1.10.1', '2.0.0-beta.2', '2.0.0', '2.1.3', 'v3.0.0', 'latest'];

test('ranges as Masterminds semver resolves them against an index', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ['>=1.0.0 <2', '1.10.1'],
    ['>=1.0.0, <2', '1.10.1'],
    ['*', 'v3.0.0'],
    [undefined, 'v3.0.0'],
    ['', 'v3.0.0'],
    ['~1.2', '1.2.7'],
    ['~1.2.0', '1.2.7'],
    ['~1', '1.10.1'],
    ['^1', '1.10.1'],
    ['^1.2.3', '1.10.1'],
    ['^0.9', '0.9.0'],
    ['1.2.x', '1.2.7'],
    ['1.x', '1.10.1'],
    ['2.x || 1.x', '2.1.3'],
    ['1.2 - 1.3', '1.3.0'],
    ['<1.0.0', '0.9.0'],
    ['>2.1.3 <3', undefined],
    ['1.2.0', '1.2.0'],
    ['!=2.1.3, >=2, <3', '2.0.0'],
    ['>=2.0.0-0 <2.0.0', undefined], // Masterminds: the written `<2.0.0` names no pre-release, so none is allowed
    ['~1.3.0-0', '1.3.0'],
  ];
  for (const [range, want] of cases) assert.equal(highestMatching(index, range), want, `range ${JSON.stringify(range)}`);
});

test('a ~ or ^ range that names a pre-release allows pre-releases', () => {
  assert.equal(highestMatching(['1.0.0', '2.0.0-beta.2', '2.0.0-alpha.1'], '^2.0.0-0'), '2.0.0-beta.2');
  assert.equal(highestMatching(['2.0.0-beta.2', '2.0.0-beta.10'], '~2.0.0-beta'), '2.0.0-beta.10');
});

test('pre-releases are never chosen by a range without a pre-release', () => {
  assert.equal(highestMatching(['1.0.0', '1.1.0-rc.1'], '>=1.0.0'), '1.0.0');
  assert.equal(highestMatching(['1.1.0-rc.1'], '*'), undefined);
});

test('OCI tags carry build metadata as _ and are returned as written', () => {
  assert.equal(highestMatching(['1.0.0_build.1', '0.5.0'], '^1'), '1.0.0_build.1');
});

test('exact versions and invalid ranges are told apart', () => {
  assert.ok(isExactVersion('1.2.3'));
  assert.ok(isExactVersion('v1.2.3-rc.1'));
  assert.ok(!isExactVersion('1.2'));
  assert.ok(!isExactVersion('^1.2.3'));
  assert.equal(parseRange('>= banana'), undefined);
});
