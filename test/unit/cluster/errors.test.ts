// ClusterError classification of network errors and Status answers (the fault tests check the same
// against a misbehaving server; these pin the wording).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyNetworkError, errorFromResponse } from '../../../src/core/cluster';

const err = (code: string, message = code) => Object.assign(new Error(message), { code });

test('network errors: unreachable, dns, tls, timeout, with the server named', () => {
  const ctx = { server: 'https://10.0.0.1:6443' };
  const cases: Array<[string, string, RegExp]> = [
    ['ECONNREFUSED', 'unreachable', /^connection refused \(https:\/\/10\.0\.0\.1:6443\)$/],
    ['EHOSTUNREACH', 'unreachable', /^host unreachable/],
    ['ENETUNREACH', 'unreachable', /^network unreachable/],
    ['ENOTFOUND', 'dns', /^cannot resolve the server's host name \(10\.0\.0\.1\)$/],
    ['EAI_AGAIN', 'dns', /^DNS lookup failed temporarily/],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls', /^TLS: a self-signed server certificate that is not trusted/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls', /^TLS: the server certificate is not signed by a trusted CA/],
    ['CERT_HAS_EXPIRED', 'tls', /^TLS: the server certificate has expired/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls', /not valid for this host name/],
    ['ETIMEDOUT', 'timeout', /^connection timed out/],
  ];
  for (const [code, kind, message] of cases) {
    const e = classifyNetworkError(err(code), ctx);
    assert.equal(e.kind, kind, code);
    assert.match(e.message, message, code);
    assert.equal(e.details.code, code);
    assert.ok(!e.message.includes('\n'));
  }
});

test('Status answers: each code has its kind and a one-line message; 403 names verb and resource', () => {
  const forbidden = errorFromResponse(
    403,
    JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'deployments.apps is forbidden: User "viewer" cannot list resource "deployments" in API group "apps" in the namespace "shop-dev"', details: { group: 'apps', kind: 'deployments' } }),
    { verb: 'list', resource: 'deployments', group: 'apps', namespace: 'shop-dev' },
  );
  assert.equal(forbidden.kind, 'forbidden');
  assert.equal(forbidden.message, 'no permission to list deployments.apps in shop-dev');
  assert.match(forbidden.details.serverMessage!, /User "viewer" cannot list/);
  // Without a request context, verb and resource come from the Status message.
  const bare = errorFromResponse(403, { kind: 'Status', code: 403, message: 'secrets is forbidden: User "viewer" cannot watch resource "secrets" in API group "" in the namespace "shop-dev"' });
  assert.equal(bare.message, 'no permission to watch secrets in shop-dev');
  assert.deepEqual([bare.details.verb, bare.details.resource, bare.details.group, bare.details.namespace], ['watch', 'secrets', '', 'shop-dev']);
  const invalid = errorFromResponse(422, { kind: 'Status', reason: 'Invalid', code: 422, message: 'Service "x" is invalid', details: { causes: [{ field: 'spec.ports[0].targetPort', message: 'Invalid value: "8080": must contain at least one letter' }] } }, { verb: 'apply' });
  assert.equal(invalid.kind, 'invalid');
  assert.equal(invalid.message, 'rejected by the server: spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter');
  assert.equal(invalid.details.causes?.length, 1);
  const table: Array<[number, string]> = [
    [401, 'unauthorized'],
    [404, 'not-found'],
    [409, 'conflict'],
    [410, 'gone'],
    [400, 'invalid'],
    [429, 'server'],
    [500, 'server'],
    [503, 'server'],
    [504, 'timeout'],
  ];
  for (const [code, kind] of table) {
    const e = errorFromResponse(code, { kind: 'Status', message: `m${code}\nsecond line` }, {});
    assert.equal(e.kind, kind, String(code));
    assert.equal(e.status, code);
    assert.ok(!e.message.includes('\n'), e.message);
  }
  assert.equal(errorFromResponse(502, '<html>bad gateway</html>').message, 'server error 502: <html>bad gateway</html>');
});
