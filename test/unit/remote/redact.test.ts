// Credentials written in URLs never reach a message: user:password, a token as the user, secret query parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redact, withoutCredentials } from '../../../src/core/remote';

test('credentials in URLs are redacted wherever they appear in a text', () => {
  assert.equal(redact('could not fetch https://robot:s3cret@charts.example.com/stable web@1.0.0'), 'could not fetch https://***@charts.example.com/stable web@1.0.0');
  assert.equal(redact('git clone https://ghp_abcdef@github.com/org/repo.git failed'), 'git clone https://***@github.com/org/repo.git failed');
  assert.equal(redact('oci://user:p%40ss@registry.example.com/charts'), 'oci://***@registry.example.com/charts');
  assert.equal(redact('https://blob.example.com/index.yaml?sig=abc123&x=1'), 'https://blob.example.com/index.yaml?sig=***&x=1');
  assert.equal(redact('git@github.com:org/repo.git and https://charts.example.com'), 'git@github.com:org/repo.git and https://charts.example.com');
  assert.equal(withoutCredentials('https://robot:s3cret@charts.example.com/stable'), 'https://charts.example.com/stable');
});
