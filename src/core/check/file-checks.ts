// Checks of files as they are in the repository (the language server while editing, the CLI in CI):
// the core engines composed, returning Findings (src/core/findings.ts). Callers parse a file once
// (a ParsedText) and hand it to both the schema checks and the policy engine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import type { Finding } from '../findings';
import { FILE_START } from '../manifest/range';
import { isHelmTemplate } from '../schema/helm';
import type { ParsedText } from '../manifest/parsed-text';
import { SchemaRegistry, SchemaValidator } from '../schema';
import { readTextOrUndefined } from '../util/files';

export interface CheckSettings {
  /** Kubernetes minor version whose bundled schemas apply, e.g. "1.35"; empty: the newest bundled. */
  kubernetesVersion?: string;
  /** Files (globs) whose schema validation is left to another extension (Red Hat YAML); see schemaDeferral. */
  deferSchemaGlobs?: string[];
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface SchemaChecksOptions {
  /**
   * The files do not change while this instance lives (one `reconcile check` run): which
   * kustomizations exist and the patches they list are read once, not checked again per file.
   */
  filesDoNotChange?: boolean;
}

/**
 * Schema and YAML checks for files being edited. Keeps one validator (and its per-document cache)
 * per Kubernetes version; the registry learns the repository's CRDs.
 */
export class SchemaChecks {
  private validator: SchemaValidator;
  private version: string | undefined;
  private readonly patchSets = new Map<string, { mtimeMs: number; patches: Set<string>; json6902: Set<string> }>();
  /** With filesDoNotChange: each kustomization's patch sets (undefined: no such file) as first read. */
  private readonly stable?: Map<string, { patches: Set<string>; json6902: Set<string> } | undefined>;

  constructor(settings: CheckSettings, opts: SchemaChecksOptions = {}) {
    if (opts.filesDoNotChange) this.stable = new Map();
    this.version = settings.kubernetesVersion || undefined;
    this.validator = new SchemaValidator({ kubernetesVersion: this.version });
  }

  get registry(): SchemaRegistry {
    return this.validator.registry;
  }

  configure(settings: CheckSettings): boolean {
    const v = settings.kubernetesVersion || undefined;
    if (v === this.version) return false;
    this.version = v;
    this.validator = new SchemaValidator({ kubernetesVersion: v });
    return true;
  }

  /** Learns CustomResourceDefinitions from files of the workspace that are not open. */
  learnCrds(files: string[], read: (file: string) => string | undefined = readTextOrUndefined): number {
    let n = 0;
    for (const f of files) {
      const text = read(f); // unreadable files are someone else's problem (discovery reports them)
      if (text === undefined || !text.includes('CustomResourceDefinition')) continue;
      this.validator.registry.registerCrdsFromText(text, f);
      n++;
    }
    return n;
  }

  /** `parsed`: the same text, parsed once for the policy engine too (see ParsedText). */
  check(file: string, text: string, parsed?: ParsedText): Finding[] {
    const kind = this.patchKind(file);
    // JSON 6902 patches are lists of operations, not objects: nothing to validate as a resource.
    if (kind === 'json6902') return [];
    const findings = this.validator.validateFile(file, text, { partial: kind === 'strategic-merge', parsed });
    // kustomization.yaml configures kustomize; it is not a Kubernetes object, so "no schema known" is noise there.
    return KUSTOMIZATION_FILES.includes(path.basename(file)) ? findings.filter((f) => f.code !== 'schema/unknown-kind') : findings;
  }

  forget(file: string): void {
    this.validator.forget(file);
  }

  /** Whether a kustomization next to the file (or up to three folders above) uses it as a patch. */
  private patchKind(file: string): 'strategic-merge' | 'json6902' | undefined {
    let dir = path.dirname(file);
    for (let i = 0; i < 4; i++) {
      for (const name of KUSTOMIZATION_FILES) {
        const k = path.join(dir, name);
        const sets = this.patchesOf(k);
        if (!sets) continue;
        if (sets.json6902.has(file)) return 'json6902';
        if (sets.patches.has(file)) return 'strategic-merge';
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    return undefined;
  }

  private patchesOf(kustomization: string): { patches: Set<string>; json6902: Set<string> } | undefined {
    if (!this.stable) return this.readPatches(kustomization);
    if (!this.stable.has(kustomization)) this.stable.set(kustomization, this.readPatches(kustomization));
    return this.stable.get(kustomization);
  }

  private readPatches(kustomization: string): { patches: Set<string>; json6902: Set<string> } | undefined {
    let st: fs.Stats;
    try {
      st = fs.statSync(kustomization);
    } catch {
      return undefined;
    }
    const cached = this.patchSets.get(kustomization);
    if (cached && cached.mtimeMs === st.mtimeMs) return cached;
    const patches = new Set<string>();
    const json6902 = new Set<string>();
    try {
      const k = parse(fs.readFileSync(kustomization, 'utf8'), { maxAliasCount: 100 }) as Record<string, unknown> | null;
      const dir = path.dirname(kustomization);
      const abs = (p: unknown) => (typeof p === 'string' ? path.resolve(dir, p) : undefined);
      for (const p of asArray(k?.patchesStrategicMerge)) {
        const f = abs(p);
        if (f) patches.add(f);
      }
      for (const p of asArray(k?.patchesJson6902)) {
        const f = abs((p as { path?: unknown })?.path);
        if (f) json6902.add(f);
      }
      for (const p of asArray(k?.patches)) {
        const f = abs((p as { path?: unknown })?.path);
        if (!f) continue;
        // A file of operations (JSON 6902) starts with a list; a strategic-merge patch is an object.
        let first = '';
        try {
          first = fs.readFileSync(f, 'utf8').replace(/^(\s*#.*\n|\s*\n|---\s*\n)*/, '');
        } catch {}
        (first.startsWith('-') || first.startsWith('[') ? json6902 : patches).add(f);
      }
    } catch {
      // A broken kustomization is reported by discovery and render; here it only means "no patches".
    }
    const entry = { mtimeMs: st.mtimeMs, patches, json6902 };
    this.patchSets.set(kustomization, entry);
    return entry;
  }
}

/**
 * Helm templates among the checked files are YAML only once rendered: no check of files can read
 * them. One "not checked" note per chart (on its Chart.yaml) says so, and how to check them.
 */
export function helmTemplateNotes(files: readonly string[], read: (file: string) => string | undefined): Finding[] {
  const byChart = new Map<string, number>();
  for (const f of files) {
    const text = read(f);
    if (text === undefined || !isHelmTemplate(f, text)) continue;
    const chart = chartOf(f) ?? f;
    byChart.set(chart, (byChart.get(chart) ?? 0) + 1);
  }
  return [...byChart].map(([chart, n]) => {
    const isChart = /Chart\.ya?ml$/.test(chart);
    const what = isChart ? `${n} Helm template${n === 1 ? '' : 's'} of chart ${path.basename(path.dirname(chart))}` : 'this Helm template';
    return {
      code: 'check/helm-template',
      severity: 'info',
      message: `${what} not checked as files: a template is YAML only once rendered (\`reconcile check --env\` checks the rendered output)`,
      file: chart,
      range: FILE_START,
      source: 'schema',
      docs: 'docs/rules/check-helm-template.md',
      notChecked: true,
    } satisfies Finding;
  });
}

/** The Chart.yaml of the chart a file belongs to (up to four folders above). */
function chartOf(file: string): string | undefined {
  let dir = path.dirname(file);
  for (let i = 0; i < 5; i++) {
    for (const name of ['Chart.yaml', 'Chart.yml']) {
      const c = path.join(dir, name);
      if (fs.existsSync(c)) return c;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
