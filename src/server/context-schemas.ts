// Schemas per kube context: each environment's files validate against the schemas its cluster
// serves (OpenAPI v3, else v2), learned in the background and cached on disk by content hash, so
// that an offline editor keeps the last good schemas. Files of no environment use the current
// context. Without a kubeconfig, only the repository's CRDs and the bundle apply.
import { kubeconfigFetcher, loadClusterSchemas, pruneClusterSchemaCache, registerClusterSchemas, type ClusterSchemaResult } from '../core/schema';
import { SchemaChecks, type CheckSettings } from '../core/check/file-checks';
import { cachingReader } from '../core/util/files';

export interface ClusterSettings {
  /** The kubeconfig files in effect (the setting, else every file of $KUBECONFIG, else ~/.kube/config), merged as kubectl does. */
  kubeconfigFiles?: string[];
  currentContext?: string;
  /** Input files of each environment that names a context → that context. */
  fileContexts?: Record<string, string>;
}

const REFRESH_MS = 10 * 60_000;

export class ContextSchemas {
  private readonly byContext = new Map<string, { checks: SchemaChecks; result?: ClusterSchemaResult; loading?: Promise<void>; timer?: NodeJS.Timeout }>();
  private readonly base: SchemaChecks;
  private cluster: ClusterSettings = {};

  constructor(
    private settings: CheckSettings,
    private readonly storageDir: string | undefined,
    private readonly crdFiles: () => string[],
    private readonly log: (message: string) => void,
    private readonly changed: () => void,
  ) {
    this.base = new SchemaChecks(settings);
  }

  /** Checks without cluster schemas (files of no known context). */
  get default(): SchemaChecks {
    return this.base;
  }

  all(): SchemaChecks[] {
    return [this.base, ...[...this.byContext.values()].map((c) => c.checks)];
  }

  /** Where a context's schemas stand: for tests and the Output channel. */
  status(context: string): ClusterSchemaResult | undefined {
    return this.byContext.get(context)?.result;
  }

  learnCrds(files: string[]): number {
    const read = cachingReader(); // each file once, however many contexts learn from it
    let n = 0;
    for (const c of this.all()) n = c.learnCrds(files, read);
    return n;
  }

  configure(settings: CheckSettings): boolean {
    this.settings = settings;
    let changed = false;
    for (const c of this.all()) changed = c.configure(settings) || changed;
    return changed;
  }

  configureCluster(cluster: ClusterSettings): void {
    const before = this.cluster;
    this.cluster = cluster;
    const wanted = new Set([...Object.values(cluster.fileContexts ?? {}), ...(cluster.currentContext ? [cluster.currentContext] : [])]);
    if (!cluster.kubeconfigFiles?.length || !this.storageDir) wanted.clear();
    const sameFiles = (before.kubeconfigFiles ?? []).join('\0') === (cluster.kubeconfigFiles ?? []).join('\0');
    for (const [ctx, entry] of this.byContext) {
      if (!wanted.has(ctx) || !sameFiles) {
        clearTimeout(entry.timer);
        this.byContext.delete(ctx);
      }
    }
    for (const ctx of wanted) if (!this.byContext.has(ctx)) this.start(ctx);
  }

  /** The checks for a file: its environment's context, else the current context, else none. */
  checksFor(file: string): SchemaChecks {
    const ctx = this.cluster.fileContexts?.[file] ?? this.cluster.currentContext;
    const entry = ctx ? this.byContext.get(ctx) : undefined;
    return entry?.result && entry.result.source !== 'none' ? entry.checks : this.base;
  }

  private start(context: string, reuse?: SchemaChecks): void {
    const checks = reuse ?? new SchemaChecks(this.settings);
    if (!reuse) checks.learnCrds(this.crdFiles());
    const entry: { checks: SchemaChecks; result?: ClusterSchemaResult; loading?: Promise<void>; timer?: NodeJS.Timeout } = { checks };
    this.byContext.set(context, entry);
    const load = async () => {
      const files = this.cluster.kubeconfigFiles;
      if (!files?.length || !this.storageDir || this.byContext.get(context) !== entry) return;
      const t0 = Date.now();
      // Read afresh on each load (tokens and files change); the same transport as drift, plan and sync.
      const fetcher = kubeconfigFetcher(files, context, { timeoutMs: 5000, userAgent: 'reconcile-language-server' });
      try {
        // With the server's descriptions: hover over a field of a CRD or of a newer release than the bundle
        // shows the cluster's own text (a few MB of heap for a whole /openapi/v3).
        const result = await loadClusterSchemas({ fetcher, cacheDir: this.storageDir, context, descriptions: true });
        if (this.byContext.get(context) !== entry) return;
        entry.result = result;
        // OpenAPI v2 (clusters before 1.24) carries no enums and no descriptions: the bundle knows
        // built-in kinds better, so from such clusters only kinds the bundle lacks are taken (CRDs,
        // aggregated APIs). OpenAPI v3 is exact and wins for every kind it serves.
        const taken = result.format === 'openapi-v2' ? { ...result, schemas: result.schemas.filter((k) => !this.base.registry.jsonSchemaFor(k.group, k.version, k.kind)) } : result;
        const r = registerClusterSchemas(checks.registry, taken);
        const why = result.errors.length ? ` (${result.errors[0].message})` : '';
        this.log(`Schemas of context ${context}: ${taken.schemas.length} of ${result.schemas.length} kinds taken from ${result.source}${result.format ? ` ${result.format}` : ''} in ${Date.now() - t0} ms, ${r.registered} (re)registered${why}`);
        if (r.registered > 0) this.changed();
      } catch (e) {
        this.log(`Schemas of context ${context} could not be loaded: ${(e as Error).message}`);
      } finally {
        fetcher.dispose();
      }
      entry.timer = setTimeout(() => void load(), REFRESH_MS);
      entry.timer.unref?.();
    };
    entry.loading = load();
    if (this.storageDir) void pruneClusterSchemaCache(this.storageDir).catch(() => {});
  }

  /** Asks every cluster again now (after CRDs were installed, say); hash hits keep it cheap. */
  refresh(): void {
    for (const ctx of [...this.byContext.keys()]) {
      const entry = this.byContext.get(ctx)!;
      clearTimeout(entry.timer);
      this.byContext.delete(ctx);
      this.start(ctx, entry.checks);
    }
  }

  /** Resolves when every context has answered once (tests). */
  async ready(): Promise<void> {
    await Promise.all([...this.byContext.values()].map((e) => e.loading));
  }
}
