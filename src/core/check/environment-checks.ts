// Checks of a rendered environment: every application rendered with its tool, the output validated
// against the schemas, each finding placed on the document in the repository that defines the
// object (best effort: the rendered object's source), with the environment in the message.
import * as path from 'node:path';
import type { Finding } from '../findings';
import { FILE_START, type SourceRange } from '../manifest/range';
import type { Application, Environment } from '../repo';
import type { ReconcileRenderer, RenderedDocument, RenderResult } from '../render';
import { validateRenderedText, type SchemaRegistry } from '../schema';

export interface EnvironmentCheck {
  findings: Finding[];
  /** Applications that rendered, and their render results (for further checks such as policies). */
  rendered: { app: Application; result: Extract<RenderResult, { ok: true }> }[];
}

/**
 * A problem of one application as every surface words it (the CLI's findings, the editor's Problems):
 * `[dev] app: release name "--output-dir=…" is not a valid Helm release name`.
 */
export function applicationProblem(environment: string, application: string, message: string): string {
  return `[${environment}] ${application}: ${message}`;
}

/** Render outcomes that are not the repository's fault. */
const NOT_AN_ERROR = new Set<string>(['remote-unavailable', 'unsupported']);

export async function checkEnvironment(env: Environment, renderer: ReconcileRenderer, registry: SchemaRegistry, signal?: AbortSignal): Promise<EnvironmentCheck> {
  const findings: Finding[] = [];
  const rendered: EnvironmentCheck['rendered'] = [];
  const results = await Promise.all(env.applications.map(async (app) => [app, await renderer.renderApplication(app, { signal })] as const));
  for (const [app, r] of results) {
    if (!r.ok) {
      findings.push({
        code: `render/${r.error.code}`,
        // A remote source that could not be fetched (offline, untrusted, nothing cached) or that is
        // not rendered here (another repository, a plugin) is a note, as `reconcile envs` says it: the
        // repository is not wrong. Either way the application was not checked, and says so.
        severity: NOT_AN_ERROR.has(r.error.code) ? 'info' : 'error',
        notChecked: true,
        message: applicationProblem(env.name, app.name, `${r.error.message}${r.error.stderr ? `: ${r.error.stderr.trim().split('\n')[0]}` : ''}`),
        file: r.error.location?.file ?? r.error.file ?? applicationFile(app) ?? app.root,
        range: r.error.location?.range ?? FILE_START,
        source: 'render',
        environment: env.name,
      });
      continue;
    }
    rendered.push({ app, result: r });
    findings.push(...checkRendered(env.name, app, r.yaml, r.documents, registry));
  }
  return { findings, rendered };
}

/**
 * Schema findings of one application's rendered output, each placed on the repository document that
 * defines the object (the rendered object's source), or on the application's main file.
 */
export function checkRendered(envName: string, app: Application, yaml: string, documents: Pick<RenderedDocument, 'range' | 'source' | 'id'>[], registry: SchemaRegistry): Finding[] {
  const out: Finding[] = [];
  /** Kinds without a schema: one "not checked" note per kind and application, not one per object
   *  (a wrong apiVersion of a built-in kind, or a misspelt kind, stays an error or warning of its own). */
  const unknown = new Map<string, { f: Finding; doc: Pick<RenderedDocument, 'range' | 'source' | 'id'> | undefined; n: number }>();
  for (const f of validateRenderedText(yaml, registry)) {
    const doc = documentAt(documents, f.range);
    if (f.code === 'schema/unknown-kind' && f.severity === 'info') {
      // the validator says it once per kind; every object of the kind is unchecked
      const id = doc?.id;
      const kind = id ? `${id.group ? `${id.group}/` : ''}${id.kind}` : f.message;
      if (!unknown.has(kind)) unknown.set(kind, { f, doc, n: id ? documents.filter((d) => d.id?.kind === id.kind && d.id.group === id.group).length : 1 });
      continue;
    }
    const where = doc?.source;
    out.push({
      ...f,
      message: `[${envName}] ${doc?.id ? `${doc.id.kind}/${doc.id.name}: ` : ''}${f.message}`,
      file: where?.file ?? applicationFile(app) ?? app.root,
      range: where?.range ?? FILE_START,
      environment: envName,
      fixes: undefined, // edits were computed on the rendered text, not on the repository's files
    });
  }
  for (const [kind, { f, doc, n }] of unknown) {
    const where = doc?.source;
    out.push({
      ...f,
      severity: 'info',
      message: `[${envName}] ${n === 1 && doc?.id ? `${doc.id.kind}/${doc.id.name}` : `${n} ${kind} object${n === 1 ? '' : 's'}`} of ${app.name}: schema not checked, no schema is known for ${kind} (add its CustomResourceDefinition to the repository)`,
      file: where?.file ?? applicationFile(app) ?? app.root,
      range: where?.range ?? FILE_START,
      environment: envName,
      fixes: undefined,
      notChecked: true,
    });
  }
  return out;
}

function documentAt<D extends Pick<RenderedDocument, 'range'>>(docs: D[], range: SourceRange): D | undefined {
  return docs.find((d) => d.range.start.line <= range.start.line && range.start.line <= d.range.end.line);
}

/** The file that best stands for an application: its kustomization, Chart.yaml, or first file. */
export function applicationFile(app: Application): string | undefined {
  const s = app.renderer;
  if (s.kind === 'kustomize') return app.sourcePaths.find((p) => /^(kustomization\.ya?ml|Kustomization)$/.test(path.basename(p)) && path.dirname(p) === s.dir);
  if (s.kind === 'helm') return path.join(s.chartDir, 'Chart.yaml');
  if (s.kind === 'plain') return s.files[0];
  return app.definedBy?.file;
}
