// What Git wants for one environment: every application rendered, their documents gathered into one
// DesiredSet (one object per identity). Shared by drift (editor and CLI), the plan and sync.
import type { RenderError, RenderedDocument } from '../render/types';
import type { ReconcileRenderer } from '../render/renderer';
import type { Application, Environment } from '../repo/model';
import { desiredFromDocuments, type DesiredSet } from './environment';
import { deployerOf, type Deployer } from '../phase';

export interface RenderFailure {
  application: Application;
  error: RenderError;
}

export interface RenderedEnvironment {
  environment: Environment;
  /** The desired objects of every application that rendered. */
  set: DesiredSet;
  /** Per application, its documents (in render order). */
  applications: Array<{ application: Application; documents: RenderedDocument[] }>;
  /** Applications that did not render: their objects are not in `set`, so nothing may be concluded about them. */
  failures: RenderFailure[];
}

/**
 * Renders every application of the environment (the renderer bounds concurrency and caches) and
 * builds its desired set. The editor passes its own render (which also keeps the results for the tree). Applications that cannot be rendered locally (`unsupported`) are failures
 * too: a caller must never mistake "not rendered" for "nothing to do".
 */
export async function renderEnvironment(env: Environment, renderer: Pick<ReconcileRenderer, 'renderApplication'>, opts: { signal?: AbortSignal } = {}): Promise<RenderedEnvironment> {
  const results = await Promise.all(env.applications.map(async (application) => ({ application, result: await renderer.renderApplication(application, { signal: opts.signal }) })));
  const applications: RenderedEnvironment['applications'] = [];
  const failures: RenderFailure[] = [];
  for (const { application, result } of results) {
    if (result.ok) applications.push({ application, documents: result.documents });
    else failures.push({ application, error: result.error });
  }
  const deployers = new Map<object, Deployer>();
  for (const a of applications) for (const d of a.documents) deployers.set(d.object, deployerOf(a.application));
  const set = desiredFromDocuments(applications.flatMap((a) => a.documents), (o) => deployers.get(o));
  return { environment: env, set, applications, failures };
}
