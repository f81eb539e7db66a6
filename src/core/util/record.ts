// The one test for "a plain object of JSON or YAML" (a mapping): not null, not an array.

/** True for a mapping (`{…}`): an object that is neither null nor an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
