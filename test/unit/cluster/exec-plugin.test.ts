// Credentials from a kubeconfig exec plugin (client.authentication.k8s.io/v1beta1), as kubectl runs
// them, against the REAL kube-apiserver of the harness: the plugin is a small script that prints an
// ExecCredential with the harness's token. Also: a plugin that fails is one clear `config` error, and
// setCurrentContext (Switch Context) changes only `current-context`, keeping the file's comments.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectToContext, isClusterError, readKubeconfig, setCurrentContext } from '../../../src/core/cluster';

const root = join(__dirname, '..', '..', '..');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;

interface Cluster {
  server: string;
  token: string;
  caFile: string;
  stop(): Promise<void>;
}

let cluster: Cluster;
const dir = mkdtempSync(join(tmpdir(), 'reconcile-exec-'));

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  cluster = await startCluster({ log: () => {} });
});

after(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function kubeconfigWithExec(name: string, script: string): string {
  const plugin = join(dir, `${name}.sh`);
  writeFileSync(plugin, script);
  chmodSync(plugin, 0o755);
  const file = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      '# a comment the user wrote',
      'clusters:',
      '- name: local',
      '  cluster:',
      `    server: ${JSON.stringify(cluster.server)}`,
      `    certificate-authority: ${JSON.stringify(cluster.caFile)}`,
      'users:',
      '- name: via-exec',
      '  user:',
      '    exec:',
      '      apiVersion: client.authentication.k8s.io/v1beta1',
      `      command: ${JSON.stringify(plugin)}`,
      '      interactiveMode: Never',
      'contexts:',
      '- name: exec-context',
      '  context: {cluster: local, user: via-exec}',
      '- name: other',
      '  context: {cluster: local, user: via-exec}',
      'current-context: exec-context',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

test('an exec plugin supplies the credentials, as it does for kubectl', async () => {
  const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: cluster.token } });
  const file = kubeconfigWithExec('good', `#!/bin/sh\necho '${credential}'\n`);
  const client = await connectToContext({ files: [file], context: 'exec-context' });
  try {
    const core = await client.resources('', 'v1');
    assert.ok(core?.some((r) => r.kind === 'Namespace'), 'discovery answered with the plugin\'s token');
    const ns = await client.list(core!.find((r) => r.kind === 'Namespace')!, undefined);
    assert.ok(ns.items.some((o) => (o.metadata as { name?: string }).name === 'default'));
  } finally {
    client.dispose();
  }
});

test('a failing exec plugin is one clear config error, not a crash or a 401 loop', async () => {
  const file = kubeconfigWithExec('bad', '#!/bin/sh\necho "token expired: run sso login" >&2\nexit 1\n');
  const client = await connectToContext({ files: [file], context: 'exec-context' });
  try {
    await assert.rejects(client.resources('', 'v1'), (e: unknown) => {
      assert.ok(isClusterError(e));
      assert.equal(e.kind, 'config');
      assert.match(e.message, /cannot get credentials for context "exec-context"/);
      return true;
    });
  } finally {
    client.dispose();
  }
});

test('setCurrentContext changes only current-context, keeps comments and the file mode', async () => {
  const file = kubeconfigWithExec('switch', '#!/bin/sh\nexit 0\n');
  const before = readFileSync(file, 'utf8');
  await setCurrentContext([file], 'other');
  const after = readFileSync(file, 'utf8');
  assert.equal(after, before.replace('current-context: exec-context', 'current-context: other'));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal((await readKubeconfig([file])).currentContext, 'other');
  await assert.rejects(setCurrentContext([file], 'nope'), /no context "nope"/);
  assert.equal(readFileSync(file, 'utf8'), after, 'a refused switch writes nothing');
});
