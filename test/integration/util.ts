// Helpers shared by the integration suites (they run inside the real VS Code extension host).
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { ReconcileApi } from '../../src/extension';
import type { EnvironmentsNode } from '../../src/vscode/environmentsView';
import type { Question } from '../../src/vscode/prompts';

const execFileP = promisify(execFile);

export const EXTENSION_ID = 'reconcile-dev.reconcile';

export async function activateExtension(): Promise<ReconcileApi> {
  const ext = vscode.extensions.getExtension<ReconcileApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : await ext.activate();
}

/** Asks the harness (outside the extension host) to take a screenshot of the browser page; resolves with its path. */
export async function screenshot(name: string, timeoutMs = 15_000): Promise<string> {
  const dir = process.env.RECONCILE_TEST_SCREENSHOTS;
  if (!dir) throw new Error('RECONCILE_TEST_SCREENSHOTS is not set');
  const png = path.join(dir, `${name}.png`);
  fs.rmSync(png, { force: true });
  fs.writeFileSync(path.join(dir, `${name}.req`), '');
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(png)) {
    if (Date.now() > deadline) throw new Error(`screenshot ${name} not taken within ${timeoutMs} ms`);
    await sleep(100);
  }
  return png;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a truthy value. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the harness passes it to the extension host`);
  return v;
}

/**
 * A path for a file a test creates: under `.scratch/` of the workspace, a hidden folder that
 * discovery skips, so scratch files never add environments that other suites would see.
 */
export function scratchFile(name: string): string {
  const dir = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.scratch');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

/**
 * Applies examples' dev environment to the harness cluster as Reconcile renders it (one object per
 * identity, the first definition winning, as drift compares it), with the Flux CRDs its objects need.
 * Server-side apply as field manager `reconcile`, forced: afterwards dev is exactly Git's state.
 */
export async function applyDevEnvironment(): Promise<void> {
  const { connectToContext } = await import('../../src/core/cluster');
  const { desiredFromDocuments, toApplyPayload } = await import('../../src/core/drift');
  const { parseAllDocuments } = await import('yaml');
  const api = await activateExtension();
  const client = await connectToContext({ files: [requireEnv('RECONCILE_TEST_KUBECONFIG')], context: 'reconcile-local' });
  try {
    await api.repo.models();
    const dev = api.repo.findEnvironment('dev');
    if (!dev) throw new Error('examples have no dev environment');
    const documents = [];
    for (const app of dev.applications) {
      const r = await api.repo.render(app);
      if (!r.ok) throw new Error(`render ${app.id}: ${r.error.message}`);
      documents.push(...r.documents);
    }
    const crds = fs.readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures', 'drift', 'cluster', 'flux-crds.yaml'), 'utf8');
    const objects = [
      ...parseAllDocuments(crds).map((d) => d.toJS() as Record<string, unknown>).filter(Boolean),
      ...desiredFromDocuments(documents).objects.map((d) => d.object as Record<string, unknown>),
    ];
    const apply = (o: Record<string, unknown>) => client.serverSideApply(toApplyPayload(o), { fieldManager: 'reconcile', force: true });
    const first = objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
    for (const o of first) await apply(o);
    for (const crd of first.filter((o) => o.kind === 'CustomResourceDefinition')) {
      const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string }[] };
      await waitFor(async () => {
        client.invalidateDiscovery();
        return client.resolve(`${spec.group}/${spec.versions[0].name}`, spec.names.kind);
      }, `CRD ${spec.names.kind} served`);
    }
    for (const o of objects.filter((x) => !first.includes(x))) await apply(o);
  } finally {
    client.dispose();
  }
}

/** Runs the setup's kubectl against the test cluster; its stdout. */
export async function kubectl(...args: string[]): Promise<string> {
  const tools = JSON.parse(requireEnv('RECONCILE_TEST_TOOLS')) as { kubectl: string };
  const { stdout } = await execFileP(tools.kubectl, args, { env: { ...process.env, KUBECONFIG: requireEnv('RECONCILE_TEST_KUBECONFIG') } });
  return stdout;
}

/** Answers every question of one command with `decide` (through the prompts seam), and returns the questions asked. */
export async function answering<T>(decide: (q: Question) => string | undefined, run: () => Thenable<T>): Promise<{ result: T; asked: Question[] }> {
  const api = await activateExtension();
  api.prompts.reset();
  const from = api.prompts.asked.length;
  for (let i = 0; i < 20; i++) api.prompts.answer(decide);
  try {
    const result = await run();
    return { result, asked: api.prompts.asked.slice(from) };
  } finally {
    api.prompts.reset();
  }
}

/** The workspace folder of that name (multi-root sessions). */
export const workspaceFolder = (name: string): vscode.WorkspaceFolder => vscode.workspace.workspaceFolders!.find((f) => f.name === name)!;

/** The commit checked out in a workspace folder. */
export async function headOf(folderName: string): Promise<string> {
  const { stdout } = await execFileP('git', ['rev-parse', 'HEAD'], { cwd: workspaceFolder(folderName).uri.fsPath });
  return stdout.trim();
}

/** The tree's node of a folder's environment (multi-root sessions). */
export async function environmentNodeOf(folderName: string, envName: string): Promise<Extract<EnvironmentsNode, { type: 'environment' }>> {
  const api = await activateExtension();
  const roots = await api.environments.getChildren();
  const node = roots.find((n): n is Extract<EnvironmentsNode, { type: 'environment' }> => n.type === 'environment' && n.folder.name === folderName && n.env.name === envName);
  assert.ok(node, `the tree shows ${folderName}'s ${envName}`);
  return node;
}

/**
 * Every application node under an environment node, at any depth (an application another one renders
 * — a Flux Kustomization's HelmReleases, an app of apps' children — is shown under it), depth-first.
 * Expanding a node renders its application, as in the tree.
 */
export async function applicationNodes(parent: EnvironmentsNode): Promise<Array<Extract<EnvironmentsNode, { type: 'application' }>>> {
  const api = await activateExtension();
  const out: Array<Extract<EnvironmentsNode, { type: 'application' }>> = [];
  for (const n of (await api.environments.getChildren(parent)) ?? []) {
    if (n.type !== 'application') continue;
    out.push(n);
    out.push(...(await applicationNodes(n)));
  }
  return out;
}
