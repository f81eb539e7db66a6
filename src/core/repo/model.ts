// The repository model: environments → applications → (rendered) resources, discovered from a
// folder with no cluster. Produced by discover() (./discover.ts), read by the tree, the renderer,
// drift and sync.
import type { ResourceId } from '../manifest/identity';
import type { SourceLocation, SourcePosition, SourceRange } from '../manifest/range';

export type { ResourceId, SourceLocation, SourcePosition, SourceRange };

export type SourceKind = 'kustomize' | 'helm' | 'argocd' | 'flux' | 'plain';

export type ContextSource = 'reconcile.yaml' | 'argocd' | 'flux' | 'kubeconfig';

export interface Environment {
  name: string;
  /** The kubeconfig context this environment maps to, when one could be told. */
  context?: string;
  contextSource?: ContextSource;
  namespaces: string[];
  /** Protected environments ask for their name before a sync. */
  protected: boolean;
  applications: Application[];
  errors: RepoError[];
}

export interface Application {
  /** Unique in the model and stable across runs, e.g. `kustomize:apps/web/overlays/dev`. */
  id: string;
  name: string;
  environment: string;
  sourceKind: SourceKind;
  /** The folder the application is rendered from (absolute). */
  root: string;
  /** Every input file that feeds it (absolute, sorted): its render cache key is made of them. */
  sourcePaths: string[];
  renderer: RenderSpec;
  errors: RepoError[];
  /** Remote inputs that were recorded but not followed (remote bases, chart repositories…). */
  remote?: string[];
  /** Where the application is declared: the Argo CD Application/ApplicationSet or Flux object. */
  definedBy?: SourceLocation;
  /** Namespace the application deploys into, when the source says (destination, targetNamespace…). */
  namespace?: string;
  /** Argo CD destination, as written. */
  destination?: { server?: string; name?: string; namespace?: string };
  /** Other definitions of exactly the same render in the same environment (e.g. the same overlay
   *  described for Flux and for Argo CD); `definedBy` is the first of them (Flux before Argo CD). */
  alsoDefinedBy?: SourceLocation[];
  /** The id of the application (app of apps, Flux Kustomization) whose source holds this one's definition. */
  parent?: string;
  /** Flux `spec.dependsOn`, as `namespace/name` of the Kustomizations or HelmReleases this one waits for. */
  dependsOn?: string[];
}

export type RepoErrorCode =
  | 'missing-path' // a referenced file or folder does not exist
  | 'not-a-kustomization' // a folder referenced as a base holds no kustomization file
  | 'cycle' // kustomizations include each other
  | 'invalid-kustomization'
  | 'invalid-chart'
  | 'yaml' // a YAML error in an input file
  | 'too-large' // past one of the input limits (manifest/limits.ts) …
  | 'binary'
  | 'encoding'
  | 'too-many-documents'
  | 'too-deep' // … up to here
  | 'unreadable'
  | 'link-loop' // a symbolic link that leads back to a folder that contains it, or loops (ELOOP)
  | 'outside-repository' // a reference to a path outside the repository (not followed)
  | 'unsupported' // something recorded but not supported (generator, option, remote chart…)
  | 'remote' // a remote input that is not followed
  | 'config' // .reconcile.yaml does not have the expected shape
  | 'ambiguous-context'
  | 'depth-limit';

export interface RepoError {
  message: string;
  location?: SourceLocation;
  code: RepoErrorCode | string;
  /** 'error' unless said otherwise; notices (unsupported options…) are 'warning' or 'info'. */
  severity?: 'error' | 'warning' | 'info';
}

export interface Resource {
  id: ResourceId;
  /** The document that defines it. */
  source?: SourceLocation;
  /** Overlays' patches that changed it (best effort). */
  patchedBy?: SourceLocation[];
}

export type RenderSpec =
  | {
      kind: 'kustomize';
      dir: string;
      origins?: ArgumentOrigins;
      /** A Flux Kustomization's own fields, applied as kustomize-controller does (src/core/render/flux). */
      flux?: FluxBuild;
    }
  | {
      kind: 'helm';
      chartDir: string;
      releaseName: string;
      namespace?: string;
      valueFiles: string[];
      values?: Record<string, unknown>;
      set?: Record<string, string>;
      /** `--kube-version` (Argo CD `helm.kubeVersion`). */
      kubeVersion?: string;
      /** `--api-versions` (Argo CD `helm.apiVersions`). */
      apiVersions?: string[];
      origins?: ArgumentOrigins;
      /** Print the chart's `crds/` too (`--include-crds`): Flux installs them unless `install.crds: Skip`. */
      includeCrds?: boolean;
      /** Flux HelmRelease `postRenderers` (kustomize patches and images), applied to helm's output. */
      postRenderers?: FluxPostRenderer[];      /**
       * A chart from a Helm repository or an OCI registry (Argo CD `repoURL` + `chart`, Flux
       * HelmRepository/OCIRepository/chartRef): pulled at render time into the cache (src/core/remote),
       * in trusted workspaces only. `chartDir` is then empty until the chart is pulled.
       */
      remoteChart?: RemoteChartSpec;
      /** `--skip-tests` (Argo CD `helm.skipTests`): test hooks are not printed. */
      skipTests?: boolean;
    }
  | { kind: 'plain'; files: string[] }
  | {
      kind: 'unsupported';
      reason: string;
      /**
       * A source in another Git repository (an Argo CD source whose repoURL is not this repository):
       * cloned with the user's git at render time (src/core/remote/git.ts), in trusted workspaces only,
       * then rendered by what its folder holds. Until then, `reason` says what it is.
       */
      remoteGit?: RemoteGitSpec;
      /** A Flux Kustomization whose source is an OCIRepository: pulled at render time (src/core/remote/oci-artifact.ts), trusted workspaces only. */
      remoteOci?: RemoteOciSpec;
    };

/** A Flux OCIRepository artifact and the Kustomization path built from it. */
export interface RemoteOciSpec {
  /** `oci://host/repository` as written (may hold credentials: never shown). */
  url: string;
  ref?: { tag?: string; semver?: string; semverFilter?: string; digest?: string };
  layerSelector?: { mediaType?: string; operation?: string };
  insecure?: boolean;
  /** The Kustomization's path inside the artifact. */
  path: string;
  /** The Kustomization's fields (built as kustomize-controller builds them). */
  kustomize?: Omit<FluxBuild, 'root' | 'files'>;
  /** This repository's root. */
  root: string;
}

/** A folder of another Git repository and how Argo CD would render it. */
export interface RemoteGitSpec {
  /** As written (may hold credentials: never shown). */
  url: string;
  /** Branch, tag or commit; the remote's HEAD when absent. */
  revision?: string;
  /** The folder in that repository ('.' for its root). */
  path: string;
  /** When the folder is a chart (values files relative to it, or absolute in this repository). */
  helm?: {
    releaseName: string;
    namespace?: string;
    valueFiles?: string[];
    ignoreMissingValueFiles?: boolean;
    values?: Record<string, unknown>;
    set?: Record<string, string>;
    kubeVersion?: string;
    apiVersions?: string[];
    includeCrds?: boolean;
    skipTests?: boolean;
  };
  /** When it is a folder of manifests (Argo CD source.directory). */
  directory?: { recurse?: boolean; include?: string; exclude?: string };
  /** When it is a kustomization: Argo CD source.kustomize fields (the kustomization's edit). */
  kustomize?: Omit<FluxBuild, 'root' | 'files'>;
  /** This repository's root (values files from `$ref` sources are inside it). */
  root: string;
  /** A Flux Kustomization's path: built as kustomize-controller builds it (a kustomization generated for a folder without one). */
  flux?: boolean;
}

/** A chart in a remote repository, as the repository names it (src/core/remote resolves it). */
export interface RemoteChartSpec {
  /** `https://…` (a chart repository) or `oci://host/path` (the chart's name is appended). May hold credentials: never shown. */
  repoURL: string;
  chart: string;
  /** Exact, a range (`>=1.0.0 <2`, `~1.2`, `^1`, `*`) or absent (the latest release). */
  version?: string;
  /** Plain HTTP to the OCI registry (Flux `insecure: true`). */
  insecure?: boolean;
  /** Values files inside the pulled chart (Argo CD `valueFiles` of a chart source), relative to it. */
  chartValueFiles?: string[];
  /** Skip those of them the chart does not have (Argo CD `ignoreMissingValueFiles`). */
  ignoreMissingValueFiles?: boolean;
  /**
   * Flux `chart.spec.valuesFiles`: source-controller packages the chart with the merged files as its
   * values, so the chart's values.yaml counts only when listed.
   */
  valuesFilesReplaceDefaults?: boolean;
}

/** A kustomize patch as Flux writes it (`spec.patches`, postRenderers' `kustomize.patches`). */
export interface FluxPatch {
  patch: string;
  target?: { group?: string; version?: string; kind?: string; name?: string; namespace?: string; labelSelector?: string; annotationSelector?: string };
}

/** A kustomize image override as Flux writes it. */
export interface FluxImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

export interface FluxPostRenderer {
  patches?: FluxPatch[];
  images?: FluxImage[];
}

/**
 * A Flux Kustomization's fields, for a build like kustomize-controller's: the kustomization of `dir` (or
 * one generated from its YAML files, as Flux does when there is none) gets `targetNamespace`,
 * `namePrefix`/`nameSuffix`, `patches`, `images` and `components`, and is built from a private copy of
 * the repository files it reads (`files`); then `postBuild` substitution and `commonMetadata` apply.
 */
export interface FluxBuild {
  /** The repository root: `files` are copied below a temporary folder at the same relative paths. */
  root: string;
  /** Every repository file the build reads (absolute, inside `root`). */
  files: string[];
  /** No kustomization file in `dir`: the resources Flux would list (paths relative to `dir`). */
  generate?: string[];
  targetNamespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  patches?: FluxPatch[];
  /** Deprecated v1beta2 fields, still honoured by Flux. */
  patchesStrategicMerge?: unknown[];
  patchesJson6902?: Array<{ target: FluxPatch['target']; patch: unknown[] }>;
  images?: FluxImage[];
  /** Relative to `dir`, as written. */
  components?: string[];
  /**
   * Argo CD `source.kustomize` fields, the same edit of the kustomization that its repo-server makes with
   * `kustomize edit` (add label, add annotation, set replicas): commonLabels (as `labels` without
   * selectors with `labelWithoutSelector`), commonAnnotations, replicas.
   */
  commonLabels?: Record<string, string>;
  labelsWithoutSelector?: { includeTemplates: boolean };
  commonAnnotations?: Record<string, string>;
  replicas?: Array<{ name: string; count: number }>;
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  postBuild?: {
    /** Known variables: substituteFrom ConfigMaps in order, then `substitute` (which wins). */
    vars: Record<string, string>;
    /** Sources whose variables are unknown (substituteFrom Secrets, never read; ConfigMaps not in the
     *  repository), e.g. `Secret 'db'`: any variable not in `vars` is left as written. */
    unknown: string[];
  };
  /** For messages: `Kustomization flux-system/apps`. */
  label?: string;
  /** The source is this repository at another revision (a GitRepository's branch, tag or commit): the
   *  whole tree is read with git at the first of `refs` that resolves, never from the working tree. */
  revision?: { refs: string[]; label: string };
  /** The source is an ExternalArtifact an ArtifactGenerator makes from this repository's files: each
   *  repository file `from` (absolute) is at `to` (relative) in the artifact, whose root is `root`. */
  artifact?: Array<{ from: string; to: string }>;
}

/**
 * Where a value that a tool gets as an argument was written in the repository: the node at `path` in
 * document `docIndex` of `file` (located only when the value is refused, so discovery parses nothing more).
 */
export interface ValueOrigin {
  file: string;
  docIndex: number;
  path: Array<string | number>;
  /** A path as written (before it was resolved against a folder): refused when it starts with `-`. */
  written?: string;
}

/**
 * The repository-supplied values of a render and where each was written, for the hardened invocation
 * (src/core/render/invocation.ts): folders and files must resolve (real path) inside `root`, a refused
 * value is a finding at its line.
 */
export interface ArgumentOrigins {
  /** The repository's root folder (discovery's root). */
  root: string;
  releaseName?: ValueOrigin;
  namespace?: ValueOrigin;
  chartDir?: ValueOrigin;
  dir?: ValueOrigin;
  /** One per entry of `valueFiles` (null: not written in the repository, e.g. found by convention). */
  valueFiles?: Array<ValueOrigin | null>;
  kubeVersion?: ValueOrigin;
  apiVersions?: Array<ValueOrigin | null>;
  /** The folder a pulled chart must stay inside (the remote cache's entry), instead of `root`. */
  chartRoot?: string;
}

/** `.reconcile.yaml`, validated. See reconcile-config.schema.json for the file's shape. */
export interface RepoConfig {
  /** The file it was read from (absolute). */
  file: string;
  environments: EnvironmentConfig[];
  ignore: IgnoreRule[];
  policy: PolicyConfig;
}

export interface EnvironmentConfig {
  name: string;
  /** Globs relative to the repository root: applications whose folder or files match belong here. */
  paths: string[];
  context?: string;
  namespaces: string[];
  protected?: boolean;
  location?: SourceLocation;
}

/** Fields that drift must not report, like Argo CD's ignoreDifferences. */
export interface IgnoreRule {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  jsonPointers: string[];
  jqPathExpressions: string[];
  managedFieldsManagers: string[];
  /** Environments it applies to; all when absent. */
  environments?: string[];
  location?: SourceLocation;
}

export type PolicySeverity = 'error' | 'warning' | 'info' | 'hint';

export interface PolicyRuleConfig {
  disable?: boolean;
  severity?: PolicySeverity;
  /** Per-environment overrides of disable/severity. */
  environments?: Record<string, { disable?: boolean; severity?: PolicySeverity }>;
}

export interface PolicyConfig {
  /** Rule id → its settings. */
  rules: Record<string, PolicyRuleConfig>;
  /** Folders/files (relative to the root) holding the repository's own policies (e.g. ValidatingAdmissionPolicies). */
  policyPaths: string[];
  /** Objects provided outside the repository (a secret store, the platform): `Kind/name` or
   *  `Kind/namespace/name`, `*` as a whole segment; reference checks accept them as defined. */
  externalNames?: string[];
}

export interface RepoModel {
  root: string;
  environments: Environment[];
  /** Errors that belong to no application: .reconcile.yaml, unreadable files, stray YAML errors. */
  errors: RepoError[];
  config?: RepoConfig;
}

export interface DiscoverOptions {
  /** Context names from the kubeconfig, to map environments without another hint. */
  kubeContexts?: string[];
  /** Files larger than this are reported and not read. Default 16 MB. */
  maxFileBytes?: number;
  /**
   * Argo CD Applications/ApplicationSets found in the rendered output of an application (app of apps
   * through Helm…; see app-of-apps.ts): they become that application's children.
   */
  renderedDefinitions?: RenderedDefinitions[];
}

/** The Argo CD objects one application rendered, by the repository file that produced them. */
export interface RenderedDefinitions {
  /** The id of the application that rendered them (the parent). */
  parent: string;
  /** The objects as rendered, each with the repository file (a chart template…) and range it came from. */
  documents: Array<{ file: string; text: string; range?: SourceRange }>;
  /**
   * Files of the repository whose Argo CD objects the render replaces (a kustomize parent: its
   * kustomization's own Applications, as patched by it). Their written definitions are not used.
   */
  replaces?: string[];
}

/** Name of the environment that collects applications whose environment cannot be told. */
export const DEFAULT_ENVIRONMENT = 'default';
