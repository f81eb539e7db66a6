export * from './types';
export { createRenderer, resourcesOf, kustomizeErrorFile, helmErrorLocation, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_OUTPUT_BYTES, type RendererOptions, type ReconcileRenderer } from './renderer';
export { spawnRunner, type ProcessRunner, type RunOptions, type RunResult } from './process-runner';
export { ToolLocator, parseVersion, resolveToolPaths, SETTING_OF, type ToolPaths } from './tools';
export { RenderCache, renderCacheKey, stableJson } from './cache';
export { inputsOf } from './inputs';
export { mapKustomizeSources, mapHelmSources } from './source-map';
