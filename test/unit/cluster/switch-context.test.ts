// Switch Context (setCurrentContext) writes a kubeconfig as kubectl does: a symlinked kubeconfig
// (dotfiles, a mounted secret) stays a symlink and its target changes; kubectl's lock `<file>.lock`
// (client-go's O_CREAT|O_EXCL) is taken for the write and removed after, and a file kubectl holds is
// refused with the reason. The last test shows with the real kubectl from setup that it is the same lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { lockKubeconfig, readKubeconfig, setCurrentContext } from '../../../src/core/cluster/kubeconfig';

const KUBECONFIG = `# my clusters
apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: { server: 'https://127.0.0.1:1' }
contexts:
- name: first
  context: { cluster: a, user: u }
- name: other
  context: { cluster: a, user: u }
current-context: first
users:
- name: u
  user: { token: t }
`;

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-switch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** ~/.kube/config → ../dotfiles/kubeconfig (a relative link, as dotfile managers make them). */
function symlinked(dir: string): { link: string; real: string } {
  mkdirSync(join(dir, 'dotfiles'));
  mkdirSync(join(dir, '.kube'));
  const real = join(dir, 'dotfiles', 'kubeconfig');
  writeFileSync(real, KUBECONFIG);
  chmodSync(real, 0o600);
  const link = join(dir, '.kube', 'config');
  symlinkSync('../dotfiles/kubeconfig', link);
  return { link, real };
}

test('a symlinked kubeconfig stays a symlink: the file it points to gets the new current-context, mode kept', async (t) => {
  const { link, real } = symlinked(scratch(t));
  const written = await setCurrentContext([link], 'other');
  assert.equal(written, link);
  assert.ok(lstatSync(link).isSymbolicLink(), 'still a symlink');
  assert.equal(readlinkSync(link), '../dotfiles/kubeconfig', 'pointing where it did');
  assert.equal(readFileSync(real, 'utf8'), KUBECONFIG.replace('current-context: first', 'current-context: other'));
  assert.equal(statSync(real).mode & 0o777, 0o600);
  assert.equal((await readKubeconfig([link])).currentContext, 'other');
  assert.ok(!existsSync(`${link}.lock`), 'the lock is removed after the write');
});

test('while <file>.lock exists (kubectl is writing), Switch Context is refused with the reason and writes nothing', async (t) => {
  const dir = scratch(t);
  const file = join(dir, 'config');
  writeFileSync(file, KUBECONFIG);
  writeFileSync(`${file}.lock`, '');
  await assert.rejects(setCurrentContext([file], 'other'), (e: Error) => {
    assert.match(e.message, /config is locked: .*config\.lock exists, so kubectl or another program is changing it/);
    assert.match(e.message, /delete .*config\.lock/);
    return true;
  });
  assert.equal(readFileSync(file, 'utf8'), KUBECONFIG, 'nothing written');
  assert.ok(existsSync(`${file}.lock`), 'somebody else’s lock is left alone');
});

test('the lock is held during the write and released after a failure too', async (t) => {
  const dir = scratch(t);
  const file = join(dir, 'config');
  writeFileSync(file, KUBECONFIG);
  const release = await lockKubeconfig(file);
  assert.ok(existsSync(`${file}.lock`));
  await assert.rejects(lockKubeconfig(file), /is locked/, 'a second writer is refused at once');
  await release();
  await release(); // twice is harmless
  assert.ok(!existsSync(`${file}.lock`));
  // A file that is not YAML: the switch fails, and the lock does not stay behind.
  writeFileSync(file, 'contexts: [\n');
  await assert.rejects(setCurrentContext([file, join(dir, 'second')], 'other'));
  assert.ok(!existsSync(`${file}.lock`));
});

test('kubectl takes the same lock: it refuses to write while Reconcile holds it, and Reconcile refuses while it exists', async (t) => {
  const { loadTools } = await import(pathToFileURL(join(__dirname, '..', '..', 'harness', 'tools.mjs')).href);
  const kubectl: string = loadTools().kubectl;
  const { link, real } = symlinked(scratch(t));
  const release = await lockKubeconfig(link);
  try {
    await assert.rejects(promisify(execFile)(kubectl, ['config', 'use-context', 'other', '--kubeconfig', link]), (e: Error & { stderr?: string }) => {
      assert.match(String(e.stderr), /config\.lock: file exists/);
      return true;
    });
    assert.equal(readFileSync(real, 'utf8'), KUBECONFIG, 'kubectl wrote nothing');
  } finally {
    await release();
  }
  // And without the lock, kubectl writes through the symlink too: the behaviour Switch Context matches.
  await promisify(execFile)(kubectl, ['config', 'use-context', 'other', '--kubeconfig', link]);
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal((await readKubeconfig([link])).currentContext, 'other');
});
