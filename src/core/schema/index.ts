// The schema engine: Kubernetes schemas (bundled per version, repository CRDs, live cluster) and the
// validator that turns YAML files into Findings with exact ranges. Pure: no vscode import.
export { SchemaValidator, validateDocument, validateManifestFile, validateRenderedText, mentionsCrd, type SchemaValidatorOptions, type ValidateFileOptions, type ValidationStats } from './validator';
export { SchemaRegistry, type RegisteredSchema, type ResolvedSchema, type RegisterSchemaOptions, type SchemaRegistryOptions } from './registry';
export { isHelmTemplate } from './helm';
export { SCHEMA_CODES, ALL_SCHEMA_CODES, docsFor, type SchemaCode } from './codes';
export { API_LIFECYCLE, apiStatus, lifecycleMessage, compareMinor, type ApiLifecycle, type ApiStatus } from './deprecations';
export { schemasFromCrd, isCrd, closeSchema, type CrdSchema } from './crd';
export { evaluateCel, type CelResult, type CelViolation } from './cel';
export { loadBundledSchemas, setBundledSchemaDir, bundledDescription, type BundledSchemas } from './bundle';
export { formatPath } from './messages';
export { splitDocuments, type DocumentChunk } from './split';
export type { JsonSchema, SchemaSource, GroupVersionKind, CelRule, CelRuleSet } from './types';
export { convertOpenApi, openApiDefinitions, type ConvertedOpenApi, type ConvertOpenApiOptions, type OpenApiKind } from './openapi';
export {
  loadClusterSchemas, registerClusterSchemas, unregisterClusterSchemas, pruneClusterSchemaCache, clearClusterSchemaMemory,
  kubeconfigFetcher, clusterFetcher, errorForStatus,
  type OpenApiFetcher, type OpenApiResponse, type OpenApiGetOptions,
  type KubeconfigFetcherOptions, type ClusterSchema, type ClusterSchemaResult, type ClusterSchemaSource,
  type ClusterSchemaStats, type LoadClusterSchemasOptions, type RegisterClusterSchemasResult,
} from './live';
