// Which engine applies an application's objects, for classify(): Argo CD for Argo CD Applications,
// Helm for Flux HelmReleases (helm-controller) and plain Helm charts, none for Flux Kustomizations
// (kustomize-controller runs no hooks), Reconcile's own sync (Argo CD's reading) for the rest.
import type { Application } from '../repo/model';
import type { Deployer } from './classify';

export function deployerOf(app: Pick<Application, 'id' | 'sourceKind' | 'renderer'>): Deployer {
  switch (app.sourceKind) {
    case 'argocd':
      return 'argocd';
    case 'flux':
      return /#HelmRelease\//.test(app.id) || app.renderer.kind === 'helm' ? 'flux-helm' : 'flux-kustomize';
    case 'helm':
      return 'helm';
    default:
      return 'reconcile';
  }
}
