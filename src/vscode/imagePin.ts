// Quick fix for a mutable `:latest` tag: pin it to what the next environment runs (dev → the tag or
// digest staging's rendered objects use for the same image), as a promotion would. Offered on the line
// that sets the tag: an overlay's `images:` entry (`newTag: latest`) or an `image: name:latest`.
import * as vscode from 'vscode';
import { imageVersions } from '../core/compare';
import { parseImage } from '../core/manifest/image';
import type { WorkspaceRepo } from './workspaceRepo';

const TAG_CODES = /image-tag|latest/;

export function imagePinActions(repo: WorkspaceRepo): vscode.CodeActionProvider {
  return {
    async provideCodeActions(document, _range, context) {
      const out: vscode.CodeAction[] = [];
      for (const d of context.diagnostics) {
        const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
        if (d.source !== 'reconcile' || !(TAG_CODES.test(code) || /:latest|mutable tag/.test(d.message))) continue;
        const line = d.range.start.line;
        const target = latestOn(document, line);
        if (!target) continue;
        const next = nextEnvironment(repo, document.uri.fsPath, /^\[([^\]]+)\]/.exec(d.message)?.[1]);
        if (!next) continue;
        const rendered = await repo.renderedEnvironmentQuietly(next);
        const versions = imageVersions(rendered.applications.flatMap((a) => a.documents.map((x) => x.object)), target.image);
        for (const v of versions.slice(0, 3)) {
          const pin = target.kind === 'newTag' ? (v.tag ? v.tag : undefined) : `${target.image}${v.tag ? `:${v.tag}` : ''}${v.digest ? `@${v.digest}` : ''}`;
          const digestOnly = target.kind === 'newTag' && !v.tag && v.digest;
          const action = new vscode.CodeAction(`Pin to ${v.tag ?? v.digest} (what ${next.name} runs)`, vscode.CodeActionKind.QuickFix);
          action.diagnostics = [d];
          action.isPreferred = versions.length === 1;
          action.edit = new vscode.WorkspaceEdit();
          if (digestOnly) action.edit.replace(document.uri, target.keyAndValue, `digest: ${v.digest}`);
          else if (pin) action.edit.replace(document.uri, target.value, pin);
          else continue;
          out.push(action);
        }
      }
      return out;
    },
  };
}

/** The `latest` tag set on a line: `newTag: latest` (the image from its `images:` entry) or `image: name:latest`. */
function latestOn(document: vscode.TextDocument, line: number): { kind: 'newTag' | 'image'; image: string; value: vscode.Range; keyAndValue: vscode.Range } | undefined {
  const text = document.lineAt(line).text;
  const tag = /^(\s*-?\s*)newTag:\s*(["']?)latest\2/.exec(text);
  if (tag) {
    // The entry's `name:` is above it, at the same indentation (or on the `- name:` line).
    const indent = tag[1].replace('-', ' ').length;
    for (let l = line; l >= 0 && l > line - 8; l--) {
      const m = /^(\s*-?\s*)name:\s*["']?([^"'\s#]+)/.exec(document.lineAt(l).text);
      if (m && m[1].replace('-', ' ').length === indent) {
        const start = text.indexOf('latest');
        return {
          kind: 'newTag',
          image: m[2],
          value: new vscode.Range(line, start, line, start + 'latest'.length),
          keyAndValue: new vscode.Range(line, tag[1].length, line, start + 'latest'.length + tag[2].length),
        };
      }
    }
    return undefined;
  }
  const image = /^(\s*-?\s*)image:\s*(["']?)([^"'\s#]+):latest\2/.exec(text);
  if (!image) return undefined;
  const start = text.indexOf(image[3], image[1].length);
  const ref = `${image[3]}:latest`;
  return { kind: 'image', image: parseImage(ref).name, value: new vscode.Range(line, start, line, start + ref.length), keyAndValue: new vscode.Range(line, start, line, start + ref.length) };
}

/** The environment after the finding's (or the file's first) in the folder's order: dev → staging → prod. */
function nextEnvironment(repo: WorkspaceRepo, file: string, named: string | undefined) {
  const all = repo.environments();
  const ofFile = all.filter((e) => e.env.applications.some((a) => a.sourcePaths.includes(file)));
  const here = (named ? ofFile.find((e) => e.env.name === named) : undefined) ?? ofFile[0];
  if (!here) return undefined;
  const sameFolder = all.filter((e) => e.folder === here.folder);
  const i = sameFolder.indexOf(here);
  return i >= 0 && i + 1 < sameFolder.length ? sameFolder[i + 1].env : undefined;
}
