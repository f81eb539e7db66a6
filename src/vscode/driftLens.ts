// The drift CodeLens above each resource (and each overlay patch that changed it), and the diff it opens:
// live (normalized) on the left, Git on the right, Secret values masked, titled
// `<Kind>/<name> — live ↔ Git (<env>)`. Lenses are provided cheaply (ranges only) and their titles
// resolved lazily from the current results; they refresh when the drift changes and, for the
// "checked 12s ago" text, every 15 s while visible.
import * as vscode from 'vscode';
import { aggregateLensTitle, lensProblem, lensTitle, type LensAnchor } from '../core/drift';
import { quickParse, type QuickDocument } from '../core/manifest';
import type { DriftService, AnchoredResult } from './driftService';
import { applicationFile } from '../core/check/environment-checks';

export const DRIFT_SCHEME = 'reconcile-drift';
const REFRESH_MS = 15_000;

/**
 * One lens: one resource of one environment (`entries` has one item), or one environment's several
 * resources on a line that sets values of them all (a kustomization's `namespace:`, an `images:` entry,
 * a patch with a label selector). `shared`: the file feeds several environments, so the title is
 * compact and led by the environment's name (`dev ⚠ spec.replicas 1→5 | staging ✓ | prod ✓`).
 */
class DriftLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly entries: AnchoredResult[],
    readonly shared: boolean,
  ) {
    super(range);
  }
}

/** An environment that uses the file but has nothing to show on it (no context, not rendered): named anyway. */
class AbsentLens extends vscode.CodeLens {}

export class DriftLensProvider implements vscode.CodeLensProvider<DriftLens>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly ticker: NodeJS.Timeout;
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly drift: DriftService) {
    this.disposables.push(this.changed, drift.onDidChange(() => this.fire()));
    this.ticker = setInterval(() => {
      if (vscode.window.visibleTextEditors.some((e) => e.document.uri.scheme === 'file')) this.changed.fire();
    }, REFRESH_MS);
  }

  private fire(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.changed.fire();
    }, 50);
  }

  provideCodeLenses(document: vscode.TextDocument): DriftLens[] {
    if (document.uri.scheme !== 'file') return [];
    const file = document.uri.fsPath;
    // On the file that defines an application (its kustomization, values file…): Preview its environment.
    const preview: vscode.CodeLens[] = [];
    for (const { key, env } of this.drift.environmentsOfFile(file)) {
      void this.drift.ensure(key);
      if (!env.context || !env.applications.some((a) => applicationFile(a) === file || a.definedBy?.file === file)) continue;
      preview.push(new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { title: `$(checklist) Preview ${env.name}`, command: 'reconcile.preview', arguments: [key], tooltip: `Server-side dry-run of every resource of ${env.name}: what a sync would change` }));
    }
    const entries = this.drift.resultsForFile(file);
    if (entries.length === 0) return preview as DriftLens[];
    const users = this.drift.environmentsOfFile(file);
    const shared = users.length > 1;
    // An edited (dirty) file is parsed once here, and lenses follow the text while typing.
    const docs = document.isDirty ? quickParse(document.getText()) : undefined;
    // Per line, per environment: its entries (one per resource the line defines or changes).
    const byLine = new Map<number, Map<string, AnchoredResult[]>>();
    for (const e of entries) {
      const line = lineOf(document, docs, e.anchor);
      const envs = byLine.get(line) ?? new Map<string, AnchoredResult[]>();
      const list = envs.get(e.key) ?? [];
      if (!list.some((x) => x.anchor.key === e.anchor.key)) list.push(e);
      envs.set(e.key, list);
      byLine.set(line, envs);
    }
    const lenses: vscode.CodeLens[] = [...preview];
    const order = new Map(users.map((u, i) => [u.key, i]));
    for (const [line, envs] of [...byLine].sort(([a], [b]) => a - b)) {
      const range = new vscode.Range(line, 0, line, 0);
      const keys = [...envs.keys()].sort((a, b) => (order.get(a) ?? 99) - (order.get(b) ?? 99));
      for (const key of keys) lenses.push(new DriftLens(range, envs.get(key)!, shared || keys.length > 1));
      // The other environments this file feeds are named too, with why they show nothing here.
      if (shared) {
        for (const u of users) {
          if (envs.has(u.key)) continue;
          const phase = this.drift.phase(u.key);
          const why = phase && 'message' in phase && phase.message ? phase.message : 'not compared yet';
          const lens = new AbsentLens(range, { title: `${u.env.name} ? ${shortProblem(why)}`, command: '', tooltip: `${u.env.name}: ${why}` });
          lenses.push(lens);
        }
      }
    }
    return lenses as DriftLens[];
  }

  resolveCodeLens(lens: DriftLens): DriftLens {
    if (!(lens instanceof DriftLens)) return lens; // the Preview lens and absent environments are complete already
    const entry = lens.entries[0];
    // The newest results, not the ones from when the lens was provided.
    const results = lens.entries.map((e) => this.drift.result(e.key, e.anchor.key) ?? e.result);
    const live = this.drift.phase(entry.key)?.phase === 'live';
    if (lens.entries.length > 1) {
      // A line that changes several resources: counts, and the diff of the first that drifted.
      const worst = lens.entries.find((_e, i) => results[i]?.status === 'drifted' || results[i]?.status === 'missing') ?? entry;
      const title = entry.problem ? lensProblem(entry.problem, entry.environment) : aggregateLensTitle(results, lens.shared ? entry.environment : undefined);
      lens.command = {
        title,
        command: 'reconcile.showDrift',
        arguments: [worst.key, worst.anchor.key],
        tooltip: `${entry.environment}: this line sets values of ${lens.entries.length} resources (${lens.entries.slice(0, 6).map((e) => `${e.anchor.id.kind}/${e.anchor.id.name}`).join(', ')}${lens.entries.length > 6 ? ', …' : ''}); click for the diff of ${worst.anchor.id.kind}/${worst.anchor.id.name}`,
      };
      return lens;
    }
    const result = results[0];
    const env = lens.shared ? entry.environment : undefined;
    let title: string;
    if (entry.problem) title = lensProblem(entry.problem, env);
    else if (!result) title = `${env ? `${env} ` : ''}… reading the cluster`;
    else title = lensTitle(result, { now: Date.now(), fault: entry.fault, live: live && !entry.fault, environment: env });
    lens.command = {
      title,
      command: 'reconcile.showDrift',
      arguments: [entry.key, entry.anchor.key],
      tooltip: `Drift of ${entry.anchor.id.kind}/${entry.anchor.id.name} in ${entry.environment}${result && live && !entry.fault ? ' (live: the cluster is watched)' : ''}: click for the diff (live ↔ Git)${entry.problem ? `\n${entry.problem}` : ''}`,
    };
    return lens;
  }

  dispose(): void {
    clearInterval(this.ticker);
    clearTimeout(this.pending);
    for (const d of this.disposables) d.dispose();
  }
}

/** A problem in a few words for a compact lens (the tooltip has it whole). */
function shortProblem(message: string): string {
  if (/not in the kubeconfig|no cluster context/.test(message)) return 'no cluster context';
  if (/unreachable|ECONNREFUSED|connect/i.test(message)) return 'cluster unreachable';
  if (/render/i.test(message)) return 'did not render';
  return message.length > 40 ? `${message.slice(0, 39)}…` : message;
}

/**
 * The anchor's line in the document as it is now: the render's source map for a saved file; in an
 * edited one (`docs` given), the document of the same kind and name.
 */
function lineOf(document: vscode.TextDocument, docs: QuickDocument[] | undefined, anchor: LensAnchor): number {
  const fallback = Math.min(anchor.range.start.line, Math.max(0, document.lineCount - 1));
  if (!docs) return fallback;
  const match = docs.find((d) => d.id?.kind === anchor.id.kind && d.id.name === anchor.id.name) ?? docs.find((d) => {
    const v = d.value as { metadata?: { name?: unknown }; kind?: unknown } | undefined;
    return v?.kind === anchor.id.kind && v?.metadata?.name === anchor.id.name;
  });
  return match ? firstContentLine(document, match.range) : fallback;
}

/** A YAML document's first line after its `---` marker and leading comments: where a lens sits. */
export function firstContentLine(document: vscode.TextDocument, range: { start: { line: number }; end: { line: number } }): number {
  for (let l = range.start.line; l <= range.end.line && l < document.lineCount; l++) {
    const text = document.lineAt(l).text.trim();
    if (text && text !== '---' && !text.startsWith('#')) return l;
  }
  return range.start.line;
}

/** Read-only documents for the two sides of a drift diff. */
export class DriftDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  /** Which environment (key) and resource (key) each diff side shows: the diff's title-bar actions read it. */
  private readonly subjects = new Map<string, { env: string; key: string }>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private serial = 0;

  /** Stores the two sides and returns their URIs. */
  put(env: string, kind: string, name: string, live: string, desired: string, sides: [string, string] = ['live', 'git'], subject?: { env: string; key: string }): { left: vscode.Uri; right: vscode.Uri } {
    const n = ++this.serial;
    const base = `/${encodeURIComponent(env)}/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`;
    const left = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `${base}.${sides[0]}.yaml`, query: `n=${n}` });
    const right = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `${base}.${sides[1]}.yaml`, query: `n=${n}` });
    this.texts.set(left.toString(), live);
    this.texts.set(right.toString(), desired);
    if (subject) for (const u of [left, right]) this.subjects.set(u.toString(), subject);
    // Keep the last 50 diffs.
    while (this.texts.size > 100) {
      const oldest = this.texts.keys().next().value as string;
      this.texts.delete(oldest);
      this.subjects.delete(oldest);
    }
    return { left, right };
  }

  /** The environment and resource a diff side shows (drift diffs only). */
  subjectOf(uri: vscode.Uri): { env: string; key: string } | undefined {
    return this.subjects.get(uri.toString());
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '# this diff is no longer available: click the CodeLens again\n';
  }

  dispose(): void {
    this.changed.dispose();
  }
}
