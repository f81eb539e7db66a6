// Flux's render steps that kustomize and helm do not do themselves: kustomize-controller's generated
// kustomization and postBuild, helm-controller's post-renderers.
export { envsubst, SubstitutionError, VAR_NAME, type Lookup } from './envsubst';
export { applyFluxFields, FluxBuildError, mapFromCopy, prepareFluxBuild, KUSTOMIZATION_FILES, type PreparedBuild } from './build';
export { fluxPostBuild, SUBSTITUTE_KEY, type PostBuildResult } from './postbuild';
export { postRender, type KustomizeBuild } from './postrender';
