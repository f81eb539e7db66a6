// The input files of a render when the caller did not give them (Application.sourcePaths does):
// a kustomization's graph, a chart's folder and values files, or the plain files.
import * as path from 'node:path';
import { FileTree } from '../repo/file-tree';
import { KustomizeGraph } from '../repo/kustomize';
import type { RenderSpec } from './types';

export function inputsOf(spec: RenderSpec): string[] {
  switch (spec.kind) {
    case 'kustomize': {
      const tree = FileTree.scan(spec.dir);
      const c = new KustomizeGraph(tree).closure(spec.dir);
      return c ? c.files : [];
    }
    case 'helm': {
      const tree = FileTree.scan(spec.chartDir);
      const files = [...tree.files];
      // local file:// dependencies live outside the chart folder
      const deps = tree.files.has(path.join(spec.chartDir, 'Chart.yaml')) ? localDependencies(tree, spec.chartDir) : [];
      for (const d of deps) files.push(...FileTree.scan(d).files);
      return [...files, ...spec.valueFiles].sort();
    }
    case 'plain':
      return [...spec.files];
    default:
      return [];
  }
}

function localDependencies(tree: FileTree, chartDir: string): string[] {
  const r = tree.read(path.join(chartDir, 'Chart.yaml'));
  if (!r.text) return [];
  return [...r.text.matchAll(/repository:\s*["']?file:\/\/([^"'\s]+)/g)].map((m) => path.resolve(chartDir, m[1]));
}
