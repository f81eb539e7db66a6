// The dialog suite: Sync and Restore as a user meets them, through VS Code's own modal dialogs.
//
// The mocha suites in test/integration run inside the extension host with extensionTestsPath set, and
// there VS Code refuses every modal dialog (they answer through the prompts seam instead). This suite
// runs in a VS Code started WITHOUT a tests path (and without the smoke-test driver, which refuses
// dialogs too), driven from outside through Chromium as a person would: the command palette, the quick
// pick, the modal's buttons. What it checks is read from the cluster with kubectl.
//
// Each test is { title, run(ctx) }; run-integration.mjs runs them in order in its `dialogs` session.
import assert from 'node:assert/strict';
import { renderEnvironment, tool } from '../harness/dev-env.mjs';

/**
 * @typedef {object} Ctx
 * @property {import('playwright-core').Page} page
 * @property {string} workspace
 * @property {string} root
 * @property {Record<string,string>} tools
 * @property {string} kubeconfig
 * @property {(name: string) => Promise<string>} shot   saves a screenshot, returns its path
 * @property {(line: string) => void} log
 */

const POLL_MS = 200;

/** Polls until `probe` returns a truthy value (bounded, so a broken flow fails instead of hanging). */
async function until(probe, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Runs a command from the command palette, as a user types it (a dialog left open by a failed test is cancelled first). */
async function runCommand(page, title) {
  const left = await dialogOnScreen(page);
  if (left?.buttons.includes('Cancel')) await clickDialogButton(page, 'Cancel');
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/** Picks the quick-pick item whose label is `label` (the environment picker). */
async function pickItem(page, label) {
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/** The modal dialog on screen, if any: its message, detail and button labels. */
async function dialogOnScreen(page) {
  const box = page.locator('.monaco-dialog-box');
  if (!(await box.isVisible().catch(() => false))) return undefined;
  const message = (await box.locator('.dialog-message-text').textContent().catch(() => '')) ?? '';
  const detail = (await box.locator('.dialog-message-detail').textContent().catch(() => '')) ?? '';
  const buttons = (await box.locator('.dialog-buttons .monaco-button').allTextContents()).map((b) => b.trim()).filter(Boolean);
  return { message: message.trim(), detail: detail.trim(), buttons };
}

/**
 * Clicks the button labelled `label` on the modal dialog, and waits until that dialog is gone (none on
 * screen, or the next question in its place).
 */
async function clickDialogButton(page, label) {
  const before = await dialogOnScreen(page);
  await page.locator('.monaco-dialog-box .dialog-buttons .monaco-button', { hasText: label }).first().click();
  await until(async () => {
    const now = await dialogOnScreen(page);
    return !now || now.message !== before?.message || now.detail !== before?.detail;
  }, `the dialog to close after "${label}"`, 15_000);
}

/**
 * Answers the dialogs of a sync as they come, by the first label of `choices` that the dialog offers,
 * until `done()` holds. Returns every dialog seen. A dialog with none of the choices fails the test.
 */
async function answerDialogs(page, choices, done, shot, name) {
  const seen = [];
  await until(async () => {
    const d = await dialogOnScreen(page);
    if (d) {
      seen.push(d);
      await shot(`${name}-dialog-${seen.length}`);
      const label = choices.find((c) => d.buttons.some((b) => b === c || b.startsWith(c)));
      if (!label) throw new Error(`unexpected dialog "${d.message}" with buttons [${d.buttons.join(', ')}]`);
      await clickDialogButton(page, label);
      return false;
    }
    return seen.length > 0 && (await done());
  }, `the ${name} dialogs and their outcome`, 120_000);
  return seen;
}

/** The workbench is up and Reconcile has rendered the environments (its view lists dev). */
export async function openReconcile(ctx) {
  const { page } = ctx;
  await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
  await until(async () => {
    await runCommand(page, 'View: Show Reconcile').catch(() => undefined);
    return page.locator('.monaco-list-row', { hasText: /^dev/ }).first().isVisible().catch(() => false);
  }, 'the Reconcile view to list dev', 120_000);
}

const kubectl = (ctx, ...argv) => tool(ctx.tools.kubectl, ['--kubeconfig', ctx.kubeconfig, ...argv]).trim();
const replicasOfWeb = (ctx) => Number(kubectl(ctx, '-n', 'shop-dev', 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'));
const gitReplicasOfWeb = (ctx) => {
  const web = renderEnvironment({ root: ctx.root, workspace: ctx.workspace, env: 'dev', tools: ctx.tools }).find((o) => o.kind === 'Deployment' && o.metadata?.name === 'web');
  assert.ok(web, 'dev renders a Deployment web');
  return web.spec?.replicas ?? 1;
};

export const tests = [
  {
    title: 'the workbench shows the Reconcile view with dev, staging and prod',
    async run(ctx) {
      for (const env of ['dev', 'staging', 'prod']) {
        assert.ok(await ctx.page.locator('.monaco-list-row', { hasText: new RegExp(`^${env}`) }).first().isVisible(), `${env} is listed`);
      }
      await ctx.shot('dialogs-reconcile-view');
    },
  },
  {
    title: 'Sync to Cluster… from the command palette: the real modal dialog asks, Cancel applies nothing',
    async run(ctx) {
      const { page } = ctx;
      kubectl(ctx, '-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":6}}');
      await runCommand(page, 'Reconcile: Sync to Cluster');
      await pickItem(page, 'dev');
      const d = await until(() => dialogOnScreen(page), 'a modal dialog', 120_000);
      await ctx.shot('dialogs-sync-first-question');
      ctx.log(`    dialog: "${d.message}" [${d.buttons.join(' | ')}]`);
      assert.ok(d.buttons.includes('Cancel'), `the dialog offers Cancel (buttons: ${d.buttons.join(', ')})`);
      await clickDialogButton(page, 'Cancel');
      // Cancelling is final: no later question, nothing applied.
      assert.equal(await dialogOnScreen(page), undefined);
      assert.equal(replicasOfWeb(ctx), 6, 'replicas stay as kubectl set them');
    },
  },
  {
    title: 'Sync to Cluster… through the real dialogs applies Git\'s state (taking over the field kubectl changed)',
    async run(ctx) {
      const { page } = ctx;
      const want = gitReplicasOfWeb(ctx);
      assert.notEqual(want, 6);
      assert.equal(replicasOfWeb(ctx), 6, 'the drift from the previous test is still there');
      await runCommand(page, 'Reconcile: Sync to Cluster');
      await pickItem(page, 'dev');
      const seen = await answerDialogs(page, ['Apply Directly', 'Force (Take Over Fields)', 'Sync', 'Keep Them'], async () => replicasOfWeb(ctx) === want, ctx.shot, 'dialogs-sync');
      for (const d of seen) ctx.log(`    dialog: "${d.message}" → answered`);
      assert.ok(seen.some((d) => /to create|to update/.test(d.message) && d.buttons.includes('Sync')), 'the confirmation summarises the plan and offers Sync');
      assert.ok(seen.some((d) => /field managers own/.test(d.message)), 'the conflict with kubectl-edit was asked about');
      assert.equal(replicasOfWeb(ctx), want);
      const managers = kubectl(ctx, '-n', 'shop-dev', 'get', 'deployment', 'web', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}');
      assert.match(managers, /\breconcile\b/, 'applied with field manager reconcile');
    },
  },
  {
    title: 'Restore Cluster to Git… from the command palette asks for the environment, then confirms in the real dialog',
    async run(ctx) {
      const { page } = ctx;
      const want = gitReplicasOfWeb(ctx);
      kubectl(ctx, '-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":7}}');
      // The live drift lens/tree must have seen the change before Restore knows what drifted.
      await until(async () => {
        await runCommand(page, 'Notifications: Clear All Notifications');
        await runCommand(page, 'Reconcile: Restore Cluster to Git');
        await pickItem(page, 'dev');
        const d = await until(async () => (await dialogOnScreen(page)) ?? (await notificationText(page)), 'a dialog or a notification', 60_000);
        if (typeof d === 'string') {
          // "nothing … has drifted": the watch has not delivered the change yet; ask again.
          await page.keyboard.press('Escape');
          return false;
        }
        return true;
      }, 'Restore to find the drift', 120_000);
      const seen = await answerDialogs(page, ['Apply Directly', 'Force (Take Over Fields)', 'Restore', 'Keep Them'], async () => replicasOfWeb(ctx) === want, ctx.shot, 'dialogs-restore');
      assert.ok(seen.some((d) => d.buttons.includes('Restore')), `a dialog offered Restore (${seen.map((d) => d.buttons.join('/')).join('; ')})`);
      assert.equal(replicasOfWeb(ctx), want);
    },
  },
];

/** The text of the newest notification toast, if one is shown. */
async function notificationText(page) {
  const toast = page.locator('.notifications-toasts .notification-list-item-message').last();
  if (!(await toast.isVisible().catch(() => false))) return undefined;
  return (await toast.textContent()) ?? undefined;
}
