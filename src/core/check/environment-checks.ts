// Checks of a rendered environment: every application rendered with its tool, the output validated
// against the schemas, each finding placed on the document in the repository that defines the
// object (best effort: the rendered object's source), with the environment in the message.
import * as path from 'node:path';
import type { Finding } from '../findings';
import { parseManifests } from '../manifest';
import { FILE_START, type SourceRange } from '../manifest/range';
import type { Application, Environment } from '../repo';
import type { ReconcileRenderer, RenderedDocument, RenderResult } from '../render';
import { validateManifestFile, type SchemaRegistry } from '../schema';

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

export async function checkEnvironment(env: Environment, renderer: ReconcileRenderer, registry: SchemaRegistry, signal?: AbortSignal): Promise<EnvironmentCheck> {
  const findings: Finding[] = [];
  const rendered: EnvironmentCheck['rendered'] = [];
  const results = await Promise.all(env.applications.map(async (app) => [app, await renderer.renderApplication(app, { signal })] as const));
  for (const [app, r] of results) {
    if (!r.ok) {
      findings.push({
        code: `render/${r.error.code}`,
        severity: 'error',
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
  for (const f of validateManifestFile(parseManifests(yaml), registry, {})) {
    if (f.code === 'schema/unknown-kind') continue; // said once per file while editing; noise here
    const doc = documentAt(documents, f.range);
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
