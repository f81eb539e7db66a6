export * from './model';
export { discover } from './discover';
export { discoverWithChildren, DEFAULT_APP_OF_APPS_DEPTH, type AppOfAppsOptions } from './app-of-apps';
export { parseRepoConfig, CONFIG_FILE } from './config';
export { environmentFromPath, matchContext, fluxClusterFromPath, isProductionName, COMMON_ENVIRONMENT_NAMES } from './environment-name';
export { KustomizeGraph, KUSTOMIZATION_FILES, isRemoteRef, type KustomizationNode, type KustomizeClosure, type KustomizePatch, type KustomizeGenerator, type PatchTarget } from './kustomize';
export { FileTree } from './file-tree';
export { normalizeRepoUrl } from './context';
export { namespaceGroups } from './grouping';
