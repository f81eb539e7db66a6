// helm-controller's kustomize post-renderer: helm's output becomes the only resource of a kustomization
// with the HelmRelease's `postRenderers[].kustomize` patches and images, built by kustomize (each
// post-renderer in turn). The folder is private and temporary; nothing else is in it.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { FluxPostRenderer } from '../../repo/model';
import { applyFluxFields } from './build';

/** Builds a folder with kustomize; resolves to its output, or to the failure to report. */
export type KustomizeBuild = (dir: string) => Promise<{ ok: true; stdout: string } | { ok: false; failure: unknown }>;

export async function postRender(manifests: string, renderers: readonly FluxPostRenderer[], build: KustomizeBuild): Promise<{ ok: true; yaml: string } | { ok: false; failure: unknown }> {
  let current = manifests;
  for (const r of renderers) {
    const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-postrender-')));
    try {
      await fs.writeFile(path.join(tmp, 'helm-output.yaml'), current, { mode: 0o600 });
      const kus: Record<string, unknown> = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['helm-output.yaml'] };
      applyFluxFields(kus, { root: tmp, files: [], ...(r.patches ? { patches: r.patches } : {}), ...(r.images ? { images: r.images } : {}) });
      await fs.writeFile(path.join(tmp, 'kustomization.yaml'), stringify(kus), { mode: 0o600 });
      const out = await build(tmp);
      if (!out.ok) return out;
      current = out.stdout;
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }
  return { ok: true, yaml: current };
}
