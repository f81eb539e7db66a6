// The field-manager conflicts of a 409 answer to server-side apply, from answers recorded from real servers:
// kube-apiserver 1.37.2 names a manager that wrote through a subresource with it (`kubectl scale` → "kubectl"
// with subresource "scale"); 1.20 did not; a server without Status causes names them in the message only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFromResponse } from '../../../src/core/cluster/errors';
import { conflictsOf, conflictText } from '../../../src/core/sync/failures';

// kube-apiserver v1.37.2, PATCH apply (dryRun=All, fieldManager=reconcile) after `kubectl scale --replicas=3`.
const SCALE_137 = {
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
  message: 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
  reason: 'Conflict',
  details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl" with subresource "scale" using apps/v1', field: '.spec.replicas' }] },
  code: 409,
};
// The same server after `kubectl patch --field-manager=kubectl-edit` and `kubectl set image` (no subresource).
const PATCH_137 = {
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
  message: 'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas\nconflicts with "kubectl-set" using apps/v1:\n- .spec.template.spec.containers[name="web"].image',
  reason: 'Conflict',
  details: { causes: [
    { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-set" using apps/v1', field: '.spec.template.spec.containers[name="web"].image' },
    { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using apps/v1', field: '.spec.replicas' },
  ] },
  code: 409,
};

test('a conflict with a manager that wrote through /scale keeps the subresource and the API version', () => {
  const conflicts = conflictsOf(errorFromResponse(409, SCALE_137, { verb: 'patch' }));
  assert.deepEqual(conflicts, [{ manager: 'kubectl', field: '.spec.replicas', apiVersion: 'apps/v1', subresource: 'scale' }]);
  assert.equal(conflictText(conflicts), 'kubectl through /scale owns .spec.replicas');
});

test('conflicts without a subresource, as before', () => {
  const conflicts = conflictsOf(errorFromResponse(409, PATCH_137, { verb: 'patch' }));
  assert.deepEqual(conflicts, [
    { manager: 'kubectl-set', field: '.spec.template.spec.containers[name="web"].image', apiVersion: 'apps/v1' },
    { manager: 'kubectl-edit', field: '.spec.replicas', apiVersion: 'apps/v1' },
  ]);
  assert.equal(conflictText(conflicts), 'kubectl-set owns .spec.template.spec.containers[name="web"].image; kubectl-edit owns .spec.replicas');
});

test('a server that sends no causes: the conflicts are read from the message, subresource included', () => {
  const { details: _causes, ...noCauses } = SCALE_137;
  assert.deepEqual(conflictsOf(errorFromResponse(409, noCauses, { verb: 'patch' })), [{ manager: 'kubectl', field: '.spec.replicas', apiVersion: 'apps/v1', subresource: 'scale' }]);
  const old = { ...noCauses, message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas' };
  assert.deepEqual(conflictsOf(errorFromResponse(409, old, { verb: 'patch' })), [{ manager: 'kubectl-edit', field: '.spec.replicas', apiVersion: 'apps/v1' }]);
});
