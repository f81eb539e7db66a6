// The finding codes of the schema engine. Each code has a page docs/rules/<code with / → ->.md.

export const SCHEMA_CODES = {
  yamlSyntax: 'yaml/syntax',
  yamlDuplicateKey: 'yaml/duplicate-key',
  yamlAlias: 'yaml/alias',
  yamlTooLarge: 'yaml/too-large',
  yamlTooDeep: 'yaml/too-deep',
  yamlBinary: 'yaml/binary',
  yamlEncoding: 'yaml/encoding',
  yamlTooManyDocuments: 'yaml/too-many-documents',
  yamlNotAnObject: 'yaml/not-an-object',
  yamlNotKubernetes: 'yaml/not-kubernetes',
  unknownField: 'schema/unknown-field',
  type: 'schema/type',
  required: 'schema/required',
  enum: 'schema/enum',
  format: 'schema/format',
  constraint: 'schema/constraint',
  cel: 'schema/cel',
  missingApiVersion: 'schema/missing-api-version',
  deprecatedApi: 'schema/deprecated-api',
  removedApi: 'schema/removed-api',
  unknownKind: 'schema/unknown-kind',
} as const;

export type SchemaCode = (typeof SCHEMA_CODES)[keyof typeof SCHEMA_CODES];

export const ALL_SCHEMA_CODES: readonly SchemaCode[] = Object.values(SCHEMA_CODES);

/** `schema/unknown-field` → `docs/rules/schema-unknown-field.md` (relative to the repository root). */
export function docsFor(code: string): string {
  return `docs/rules/${code.replace(/\//g, '-')}.md`;
}
