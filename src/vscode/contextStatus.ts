// Status bar item with the current kube context (from the kubeconfig in effect, read without a cluster).
import * as vscode from 'vscode';
import { kubeconfigPaths, readKubeconfig, type KubeconfigSummary } from '../core/cluster/kubeconfig';
import { kubeconfigSetting } from './settings';

export class ContextStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('reconcile.context', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  summary: KubeconfigSummary | undefined;
  /** The environments that use a context (set by the extension once the repository is read): named in the aria-label. */
  private environmentsOf: (context: string) => string[] = () => [];

  constructor() {
    this.item.name = 'Reconcile: Kubernetes Context';
    this.item.command = { command: 'reconcile.switchContext', title: 'Switch Context…' };
    this.disposables.push(
      this.item,
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('reconcile.kubeconfig') && void this.update()),
      vscode.window.onDidChangeWindowState((s) => s.focused && void this.update()),
    );
    void this.update();
  }

  /** What a screen reader says for the status-bar item (tests read it). */
  get ariaLabel(): string | undefined {
    return this.item.accessibilityInformation?.label;
  }

  /** Names the environments of each context in the status bar's accessible label; call `update()` when they change. */
  setEnvironments(of: (context: string) => string[]): void {
    this.environmentsOf = of;
    void this.update();
  }

  async update(): Promise<void> {
    const s = await readKubeconfig(kubeconfigPaths(kubeconfigSetting()));
    this.summary = s;
    const ctx = s.contexts.find((c) => c.name === s.currentContext);
    this.item.text = `$(cloud) ${s.currentContext ?? 'no kube context'}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**Kubernetes context:** \`${s.currentContext ?? 'none'}\`\n\n`);
    if (ctx?.namespace) md.appendMarkdown(`namespace \`${ctx.namespace}\` · `);
    if (ctx?.cluster) md.appendMarkdown(`cluster \`${ctx.cluster}\`\n\n`);
    md.appendMarkdown(`kubeconfig: ${s.files.map((f) => `\`${f}\``).join(', ')}\n\n`);
    for (const p of s.problems) md.appendMarkdown(`⚠ \`${p.file}\`: ${p.message}\n\n`);
    md.appendMarkdown('Click to switch context.');
    this.item.tooltip = md;
    const envs = s.currentContext ? this.environmentsOf(s.currentContext) : [];
    this.item.accessibilityInformation = { label: contextAriaLabel(s.currentContext, ctx?.namespace, envs) };
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Plain words for a screen reader: `Kubernetes context reconcile-local, namespace shop, used by environment dev. Click to switch context.` */
export function contextAriaLabel(context: string | undefined, namespace: string | undefined, environments: string[]): string {
  if (!context) return 'No Kubernetes context is set. Click to switch context.';
  const used = environments.length === 0 ? 'used by no environment of this workspace' : `used by environment${environments.length === 1 ? '' : 's'} ${environments.join(', ')}`;
  return `Kubernetes context ${context}${namespace ? `, namespace ${namespace}` : ''}, ${used}. Click to switch context.`;
}
