import * as vscode from 'vscode';
import type { OutputLog } from './log';

/** A node of the Environments tree. Filled by the Environments model (see issue "Environments"). */
export interface EnvironmentsNode {
  readonly label: string;
  readonly description?: string;
  readonly tooltip?: string;
  readonly icon?: string;
  readonly children?: EnvironmentsNode[];
}

/**
 * Tree provider of the "Environments" view. It only adapts a model to VS Code's TreeItem; the model
 * itself is built in src/core. While the model is empty VS Code shows the view's welcome content.
 */
export class EnvironmentsView implements vscode.TreeDataProvider<EnvironmentsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<EnvironmentsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: EnvironmentsNode[] = [];
  private refreshCount = 0;

  constructor(private readonly log: OutputLog) {}

  /** How many times the view was refreshed (a cheap observable for tests). */
  get refreshes(): number {
    return this.refreshCount;
  }

  setRoots(roots: EnvironmentsNode[]): void {
    this.roots = roots;
    this.changed.fire(undefined);
  }

  refresh(): void {
    this.refreshCount++;
    this.log.info('Environments view refreshed');
    this.changed.fire(undefined);
  }

  getTreeItem(node: EnvironmentsNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.children?.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.description = node.description;
    item.tooltip = node.tooltip;
    if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
    return item;
  }

  getChildren(node?: EnvironmentsNode): EnvironmentsNode[] {
    return node ? (node.children ?? []) : this.roots;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
