// The renderer interface and its results. A Renderer turns a RenderSpec (from the repository
// model) into Kubernetes objects, with the tool's own words when it fails.
import type { ResourceId } from '../manifest/identity';
import type { SourceLocation, SourceRange } from '../manifest/range';
import type { RenderSpec } from '../repo/model';

export type { RenderSpec };

export type ToolName = 'kubectl' | 'kustomize' | 'helm';

export interface ToolInfo {
  name: ToolName;
  /** Absolute path of the executable. */
  path: string;
  /** As the tool prints it, e.g. `v5.6.0`, `v4.1.4+g05fa379`; undefined when it could not be told. */
  version?: string;
  /** Where it was found: the setting (reconcile.tools.<name>) or a PATH folder. */
  source: 'setting' | 'PATH';
}

export interface RenderOptions {
  signal?: AbortSignal;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Default 64 MB of rendered YAML. */
  maxOutputBytes?: number;
  /**
   * Every file that feeds the render (Application.sourcePaths), for the cache key. When absent,
   * they are worked out from the spec (kustomization graph, chart folder, files).
   */
  inputs?: readonly string[];
  /** Someone waits for this render now (an application expanded in the tree): it goes before background renders. */
  urgent?: boolean;
}

export interface RenderedDocument {
  object: Record<string, unknown>;
  id?: ResourceId;
  /** Where the object is in RenderResult.yaml. */
  range: SourceRange;
  /** The document in the repository that defines it (best effort). */
  source?: SourceLocation;
  /** Patches (overlays) that changed it (best effort, kustomize only). */
  patchedBy?: SourceLocation[];
}

export type RenderErrorCode =
  | 'tool-not-found'
  | 'tool-failed' // the tool ran and said no (its stderr is in `stderr`)
  | 'timeout'
  | 'aborted'
  | 'exception' // something unexpected went wrong while rendering (a temp file, a runner): its own message, never "cancelled"
  | 'output-too-large'
  | 'untrusted' // external tools are not run in an untrusted workspace
  | 'unsupported' // a spec that cannot be rendered locally (remote chart, ApplicationSet…)
  | 'invalid-input' // plain manifests that do not parse
  | 'invalid-argument' // a value from the repository refused as a tool argument (see invocation.ts); nothing ran
  | 'invalid-output' // the tool printed something that is not YAML
  | 'remote-unavailable'; // a remote source (chart repository, OCI registry) could not be fetched and nothing is cached: a note, not an error

export interface RenderError {
  code: RenderErrorCode;
  /** One sentence for people: what failed, and what to do. */
  message: string;
  tool?: ToolName | 'plain';
  /** The tool's own message. */
  stderr?: string;
  exitCode?: number | null;
  /** The command that ran (tool path and arguments). */
  command?: string[];
  /** The file the error concerns (kustomization, Chart.yaml, values file, template), when it can be told. */
  file?: string;
  location?: SourceLocation;
}

export type RenderResult =
  | {
      ok: true;
      documents: RenderedDocument[];
      yaml: string;
      tool?: ToolInfo;
      warnings?: string[];
      cached?: boolean;
      /** About remote sources: the chart and version used, or `… cached from <date> (not fetched now: <why>)`. */
      notes?: string[];
    }
  | {
      ok: false;
      error: RenderError;
      /** When the same inputs may be tried again (ms since the epoch) and how many tries failed (retry.ts backoff). */
      retry?: { attempt: number; at: number };
      /** Answered from the failure remembered for these inputs: nothing ran (it is not due for another try). */
      remembered?: boolean;
      /** The fingerprint of the inputs that failed (every input file's content, the tool's path and version, the spec). */
      inputs?: string;
    };

export interface Renderer {
  render(spec: RenderSpec, opts?: RenderOptions): Promise<RenderResult>;
}
