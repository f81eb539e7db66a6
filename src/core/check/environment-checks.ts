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

export async function checkEnvironment(env: Environment, renderer: ReconcileRenderer, registry: SchemaRegistry, signal?: AbortSignal): Promise<EnvironmentCheck> {
  const findings: Finding[] = [];
  const rendered: EnvironmentCheck['rendered'] = [];
  const results = await Promise.all(env.applications.map(async (app) => [app, await renderer.renderApplication(app, { signal })] as const));
  for (const [app, r] of results) {
    if (!r.ok) {
      findings.push({
        code: `render/${r.error.code}`,
        severity: 'error',
        message: `[${env.name}] ${app.name}: ${r.error.message}${r.error.stderr ? `: ${r.error.stderr.trim().split('\n')[0]}` : ''}`,
        file: r.error.location?.file ?? r.error.file ?? app.definedBy?.file ?? appFile(app),
        range: r.error.location?.range ?? FILE_START,
        source: 'render',
        environment: env.name,
      });
      continue;
    }
    rendered.push({ app, result: r });
    const parsed = parseManifests(r.yaml);
    const raw = validateManifestFile(parsed, registry, {});
    for (const f of raw) {
      if (f.code === 'schema/unknown-kind') continue; // said once per file while editing; noise here
      const doc = documentAt(r.documents, f.range);
      const where = doc?.source;
      findings.push({
        ...f,
        message: `[${env.name}] ${doc?.id ? `${doc.id.kind}/${doc.id.name}: ` : ''}${f.message}`,
        file: where?.file ?? appFile(app),
        range: where?.range ?? FILE_START,
        environment: env.name,
        fixes: undefined, // edits were computed on the rendered text, not on the repository's files
      });
    }
  }
  return { findings, rendered };
}

function documentAt(docs: RenderedDocument[], range: SourceRange): RenderedDocument | undefined {
  return docs.find((d) => d.range.start.line <= range.start.line && range.start.line <= d.range.end.line);
}

function appFile(app: Application): string {
  const s = app.renderer;
  if (s.kind === 'kustomize') return path.join(s.dir, 'kustomization.yaml');
  if (s.kind === 'helm') return path.join(s.chartDir, 'Chart.yaml');
  if (s.kind === 'plain') return s.files[0] ?? app.root;
  return app.root;
}
