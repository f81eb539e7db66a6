// Flux post-build substitution (`spec.postBuild.substitute` of a Kustomization): `${VAR}`,
// `${VAR:=default}`, `${VAR:-x}`, `${VAR:?message}`… in a manifest are replaced by Flux before the
// API server sees the object. Until then such a value is unknown: it satisfies any type, enum,
// pattern or CEL rule.
import { isRecord } from '../util/record';

const PLACEHOLDER = /\$\{[^{}\s][^{}]*\}/;

/** Whether a string holds a placeholder. */
export function hasPlaceholder(s: string): boolean {
  return s.includes('${') && PLACEHOLDER.test(s);
}

/** Whether a value holds a placeholder in a string anywhere. Iterative. */
export function holdsPlaceholder(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (hasPlaceholder(v)) return true;
    } else if (Array.isArray(v)) stack.push(...v);
    else if (isRecord(v)) for (const x of Object.values(v)) stack.push(x);
  }
  return false;
}
