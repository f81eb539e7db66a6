// The drift CodeLens above each resource (and each overlay patch that changed it), and the diff it opens:
// live (normalized) on the left, Git on the right, Secret values masked, titled
// `<Kind>/<name> — live ↔ Git (<env>)`. Lenses are provided cheaply (ranges only) and their titles
// resolved lazily from the current results; they refresh when the drift changes and, for the
// "checked 12s ago" text, every 15 s while visible.
import * as vscode from 'vscode';
import { lensProblem, lensTitle, type LensAnchor } from '../core/drift';
import { quickParse, type QuickDocument } from '../core/manifest';
import type { DriftService, AnchoredResult } from './driftService';
import { applicationFile } from '../core/check/environment-checks';

export const DRIFT_SCHEME = 'reconcile-drift';
const REFRESH_MS = 15_000;

class DriftLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly entry: AnchoredResult,
    readonly prefixEnvironment: boolean,
  ) {
    super(range);
  }
}

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
    // An edited (dirty) file is parsed once here, and lenses follow the text while typing.
    const docs = document.isDirty ? quickParse(document.getText()) : undefined;
    const located = entries.map((e) => ({ e, line: lineOf(document, docs, e.anchor) }));
    const envsPerLine = new Map<number, Set<string>>();
    for (const { e, line } of located) envsPerLine.set(line, (envsPerLine.get(line) ?? new Set()).add(e.key));
    return [...(preview as DriftLens[]), ...located.map(({ e, line }) => new DriftLens(new vscode.Range(line, 0, line, 0), e, (envsPerLine.get(line)?.size ?? 0) > 1))];
  }

  resolveCodeLens(lens: DriftLens): DriftLens {
    if (!(lens instanceof DriftLens)) return lens; // the Preview lens is complete already
    const { entry } = lens;
    const env = lens.prefixEnvironment ? entry.environment : undefined;
    // The newest result, not the one from when the lens was provided.
    const result = this.drift.result(entry.key, entry.anchor.key) ?? entry.result;
    let title: string;
    if (entry.problem) title = lensProblem(entry.problem, env);
    else if (!result) title = `${env ? `${env}: ` : ''}… reading the cluster`;
    else title = lensTitle(result, { now: Date.now(), fault: entry.fault, environment: env });
    lens.command = {
      title,
      command: 'reconcile.showDrift',
      arguments: [entry.key, entry.anchor.key],
      tooltip: `Drift of ${entry.anchor.id.kind}/${entry.anchor.id.name} in ${entry.environment}: click for the diff (live ↔ Git)`,
    };
    return lens;
  }

  dispose(): void {
    clearInterval(this.ticker);
    clearTimeout(this.pending);
    for (const d of this.disposables) d.dispose();
  }
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
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private serial = 0;

  /** Stores the two sides and returns their URIs. */
  put(env: string, kind: string, name: string, live: string, desired: string, sides: [string, string] = ['live', 'git']): { left: vscode.Uri; right: vscode.Uri } {
    const n = ++this.serial;
    const base = `/${encodeURIComponent(env)}/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`;
    const left = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `${base}.${sides[0]}.yaml`, query: `n=${n}` });
    const right = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `${base}.${sides[1]}.yaml`, query: `n=${n}` });
    this.texts.set(left.toString(), live);
    this.texts.set(right.toString(), desired);
    // Keep the last 50 diffs.
    while (this.texts.size > 100) this.texts.delete(this.texts.keys().next().value as string);
    return { left, right };
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '# this diff is no longer available: click the CodeLens again\n';
  }

  dispose(): void {
    this.changed.dispose();
  }
}
