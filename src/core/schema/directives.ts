// kustomize's strategic-merge patch directives: `$patch: delete|replace|merge`, `$retainKeys`,
// `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`. A document that carries them is a
// patch (kustomize merges it into an object), and the keys are kustomize's, not the object's: the
// validator removes them (on its own copy) and checks the rest as a partial object.
import { isRecord } from '../util/record';

/** Text that may hold a strategic-merge directive (cheap pre-check before the walk). */
export const MAYBE_DIRECTIVE = /\$(?:patch|retainKeys|setElementOrder\/|deleteFromPrimitiveList\/)/;

function isDirectiveKey(k: string): boolean {
  return k.charCodeAt(0) === 36 /* $ */ && (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/'));
}

/** Whether a value holds a kustomize strategic-merge directive key anywhere. Iterative. */
export function hasPatchDirective(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push(x);
    } else if (isRecord(v)) {
      for (const k of Object.keys(v)) {
        if (isDirectiveKey(k)) return true;
        const x = v[k];
        if (x !== null && typeof x === 'object') stack.push(x);
      }
    }
  }
  return false;
}

/**
 * Removes the directive keys in place. A list item made of directives only (`- $patch: replace`)
 * stays as an empty object, so that the items after it keep their index (and findings their line).
 * Iterative.
 */
export function stripPatchDirectives(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push(x);
    } else if (isRecord(v)) {
      for (const k of Object.keys(v)) {
        if (isDirectiveKey(k)) delete v[k];
        else if (v[k] !== null && typeof v[k] === 'object') stack.push(v[k]);
      }
    }
  }
}
