// Flux's postBuild envsubst rules (fluxcd/pkg envsubst, as kustomize-controller runs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envsubst, SubstitutionError, type Lookup } from '../../../src/core/render/flux';

const vars = (m: Record<string, string>, unknown: string[] = []): Lookup => (n) => (unknown.includes(n) ? 'unknown' : m[n]);

test('flux envsubst: ${VAR}, defaults, unset → empty, bare $VAR untouched, $$ escapes', () => {
  const v = vars({ name: 'prod', empty: '' });
  assert.equal(envsubst('a ${name} b', v).text, 'a prod b');
  assert.equal(envsubst('${unset}', v).text, '');
  assert.equal(envsubst('${unset:=dflt} ${unset:-other} ${empty:=e} ${name:=x}', v).text, 'dflt other e prod');
  assert.equal(envsubst('${unset=d1} ${unset-d2}', v).text, 'd1 d2');
  assert.equal(envsubst('echo $HOME $name', v).text, 'echo $HOME $name');
  assert.equal(envsubst('$${name} and $$HOME', v).text, '${name} and $HOME');
  assert.equal(envsubst('cost: $5', v).text, 'cost: $5');
});

test('flux envsubst: casing, length, substring, trims and replacement', () => {
  const v = vars({ s: 'Hello-World', p: 'a/b/c' });
  assert.equal(envsubst('${s^^} ${s,,} ${s,} ${s^}', v).text, 'HELLO-WORLD hello-world hello-World Hello-World');
  assert.equal(envsubst('${#s}', v).text, '11');
  assert.equal(envsubst('${s:6} ${s:0:5}', v).text, 'World Hello');
  assert.equal(envsubst('${p#*/} ${p##*/} ${p%/*} ${p%%/*}', v).text, 'b/c c a/b a');
  assert.equal(envsubst('${p/\\//-} ${p//\\//-}', v).text, 'a-b/c a-b-c');
});

test('flux envsubst: a default made of several parts is not used (as Flux), nested single default is', () => {
  const v = vars({ b: 'B' });
  assert.equal(envsubst('${a:=${b}}', v).text, 'B');
  assert.equal(envsubst('${a:=x${b}}', v).text, '');
});

test('flux envsubst: unknown variables (from a Secret) keep the whole expression and are reported', () => {
  const v = vars({ known: 'k' }, ['secret', 'token']);
  const r = envsubst('u=${secret} d=${token:=x} k=${known} n=${known:-${secret}}', v);
  assert.equal(r.text, 'u=${secret} d=${token:=x} k=k n=k');
  assert.deepEqual(r.unknown, ['secret', 'token', 'secret']);
});

test('flux envsubst: a bad expression fails as Flux fails', () => {
  assert.throws(() => envsubst('${unclosed', vars({})), SubstitutionError);
  assert.throws(() => envsubst('${}', vars({})), SubstitutionError);
  assert.throws(() => envsubst('${a b}', vars({})), SubstitutionError);
});
