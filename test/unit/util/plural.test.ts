import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counted } from '../../../src/core/util/plural';

test('counted: singular for one, plural otherwise, irregular plurals', () => {
  assert.equal(counted(1, 'commit'), '1 commit');
  assert.equal(counted(2, 'commit'), '2 commits');
  assert.equal(counted(0, 'file'), '0 files');
  assert.equal(counted(1, 'policy', 'policies'), '1 policy');
  assert.equal(counted(3, 'policy', 'policies'), '3 policies');
});
