// A ClusterClient that counts the requests a plan or a sync sends through it, by verb. Discovery is
// counted once per group-version until the discovery cache is invalidated (the client underneath
// caches it the same way); a LIST counts one request per call. Writes that reach the cluster (applies
// that are not dry-runs, patches, deletes) are also recorded in order, e.g. `apply ConfigMap shop/a`.
import type { ApiResourceInfo, ApplyOptions, ClusterClient, DeleteOptions, GroupVersionResources, ListOptions, ListResult, PatchOptions, RawObject, RequestOptions, WatchEvent, WatchOptions } from '../cluster/types';
import type { SyncRequests } from './types';

export class CountingClient implements ClusterClient {
  readonly counts: SyncRequests = { apply: 0, patch: 0, get: 0, delete: 0, discovery: 0, total: 0 };
  /** LISTs and WATCHes (plans read the cluster with them). */
  lists = 0;
  /** Every write sent (dry-runs left out), in order: `apply ConfigMap shop/web`, `delete Job shop/migrate`. */
  readonly writes: string[] = [];
  private readonly discovered = new Set<string>();

  constructor(readonly inner: ClusterClient) {}

  get server(): string {
    return this.inner.server;
  }

  get context(): string | undefined {
    return this.inner.context;
  }

  private count(verb: keyof Omit<SyncRequests, 'total'> | 'list'): void {
    if (verb === 'list') this.lists++;
    else this.counts[verb]++;
    this.counts.total++;
  }

  resources(group: string, version: string, opts?: RequestOptions): Promise<GroupVersionResources> {
    const gv = `${group}/${version}`;
    if (!this.discovered.has(gv)) {
      this.discovered.add(gv);
      this.count('discovery');
    }
    return this.inner.resources(group, version, opts);
  }

  resolve(apiVersion: string, kind: string, opts?: RequestOptions): Promise<ApiResourceInfo | undefined> {
    const slash = apiVersion.lastIndexOf('/');
    const gv = slash < 0 ? `/${apiVersion}` : `${apiVersion.slice(0, slash)}/${apiVersion.slice(slash + 1)}`;
    if (!this.discovered.has(gv)) {
      this.discovered.add(gv);
      this.count('discovery');
    }
    return this.inner.resolve(apiVersion, kind, opts);
  }

  list(type: ApiResourceInfo, namespace: string | undefined, opts?: ListOptions): Promise<ListResult> {
    this.count('list');
    return this.inner.list(type, namespace, opts);
  }

  watch(type: ApiResourceInfo, namespace: string | undefined, resourceVersion: string, onEvent: (e: WatchEvent) => void, opts?: WatchOptions): Promise<void> {
    this.count('list');
    return this.inner.watch(type, namespace, resourceVersion, onEvent, opts);
  }

  get(type: ApiResourceInfo, namespace: string | undefined, name: string, opts?: RequestOptions): Promise<RawObject> {
    this.count('get');
    return this.inner.get(type, namespace, name, opts);
  }

  serverSideApply(obj: RawObject, opts: ApplyOptions): Promise<RawObject> {
    this.count('apply');
    if (!opts.dryRun) {
      const meta = (obj.metadata ?? {}) as { name?: unknown; namespace?: unknown };
      this.writes.push(`apply ${String(obj.kind)} ${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${String(meta.name)}`);
    }
    return this.inner.serverSideApply(obj, opts);
  }

  jsonPatch(type: ApiResourceInfo, namespace: string | undefined, name: string, ops: readonly unknown[], opts: PatchOptions): Promise<RawObject> {
    this.count('patch');
    if (!opts.dryRun) this.writes.push(`patch ${type.kind} ${namespace ? `${namespace}/` : ''}${name}`);
    return this.inner.jsonPatch(type, namespace, name, ops, opts);
  }

  delete(type: ApiResourceInfo, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void> {
    this.count('delete');
    if (!opts?.dryRun) this.writes.push(`delete ${type.kind} ${namespace ? `${namespace}/` : ''}${name}`);
    return this.inner.delete(type, namespace, name, opts);
  }

  invalidateDiscovery(): void {
    this.discovered.clear();
    this.inner.invalidateDiscovery();
  }

  /** Does not close the client underneath (its owner does). */
  dispose(): void {}
}
