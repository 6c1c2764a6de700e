// Outage: the API server of the playground dies while a node it joined runs (the cold start's playground, or a
// fresh one clicked through the same way). The view must turn into its error state after a bounded number of
// failed attempts — the reason, when the next attempt is, and Retry / Select Context / Show Log — the status bar
// must say the API server is unreachable instead of a stale Ready, and once `npm start` has brought the API
// server back (Enter, as it offers) the view and the agent's state recover by themselves.
import * as assert from 'node:assert/strict';
import { printExtensionLog } from '../support/codeServer';
import { krustletStatusItems, openKrustletView } from '../support/workbench';
import { joinedPlayground, type ColdPlayground } from './coldStart.ui';
import type { UiContext } from './run';

/** Bounds a hang only: the view gives up after 3 failed attempts (≈ 4 s), the revive takes seconds. */
const LIMIT_MS = 120_000;

export async function run(ctx: UiContext): Promise<void> {
  const cold: ColdPlayground = await joinedPlayground(ctx);
  const page = cold.workbench.page;
  const pg = cold.playground;
  const sidebar = page.locator('.part.sidebar');
  const welcome = sidebar.locator('.welcome-view-content');
  const step = (name: string, fn: () => Promise<void>): Promise<void> =>
    ctx.step(name, async () => {
      try {
        await fn();
      } catch (e) {
        printExtensionLog(`${pg.dir}/code-server/user-data`);
        throw e;
      }
    });

  await step('the node is Ready and the view connected before the outage', async () => {
    await openKrustletView(page);
    await page.locator('.statusbar-item', { hasText: /Krustlet: .*Ready/ }).first().waitFor({ timeout: LIMIT_MS });
    await sidebar.locator('.pane-body .monaco-list-row').first().waitFor();
  });

  const apiserver = pg.cluster().pids['kube-apiserver'];
  await step(`kill the API server (pid ${apiserver}): npm start reports it and offers to start it again`, async () => {
    process.kill(-apiserver, 'SIGKILL');
    await pg.run.waitFor(/kube-apiserver \(pid \d+\) stopped running/);
    await pg.run.waitFor(/Press Enter to start it again/);
  });

  await step('the view turns into its error state: the reason, the next attempt, Retry / Select Context / Show Log', async () => {
    await welcome.filter({ hasText: /The cluster is unreachable/ }).waitFor({ timeout: LIMIT_MS });
    for (const b of ['Retry', 'Select Context', 'Show Log']) await welcome.locator('.monaco-button, a', { hasText: new RegExp(`^${b}$`) }).first().waitFor();
    const backoff = sidebar.locator('.composite.title').getByText(/retrying in \d+ s/i).first();
    await backoff.waitFor();
    ctx.log(`view: ${(await backoff.innerText()).trim()}`);
  });

  await step('the status bar says the API server is unreachable (no stale Ready)', async () => {
    const item = page.locator('.statusbar-item', { hasText: /Krustlet: .*API server unreachable/ }).first();
    await item.waitFor({ timeout: LIMIT_MS });
    const all = await krustletStatusItems(page);
    assert.ok(!all.some((t) => /Ready$/.test(t)), `status bar: ${all.join(' | ')}`);
    ctx.log(`status bar: ${(await item.innerText()).trim()}`);
  });

  await step('Retry while it is still down: the error state comes back (with its buttons)', async () => {
    await welcome.locator('.monaco-button, a', { hasText: /^Retry$/ }).first().click();
    await welcome.filter({ hasText: /The cluster is unreachable/ }).waitFor({ timeout: LIMIT_MS });
    await sidebar.locator('.composite.title').getByText(/retrying in \d+ s/i).first().waitFor({ timeout: LIMIT_MS });
  });

  await step('Enter in npm start brings the API server back; the view and the node recover by themselves', async () => {
    pg.run.child.stdin!.write('\n');
    await pg.run.waitFor(/running again; .* answers/);
    await sidebar.locator('.pane-body .monaco-list-row').first().waitFor({ timeout: LIMIT_MS });
    await page.locator('.statusbar-item', { hasText: /Krustlet: .*Ready/ }).first().waitFor({ timeout: LIMIT_MS });
    const all = await krustletStatusItems(page);
    assert.ok(!all.some((t) => /unreachable/.test(t)), `status bar: ${all.join(' | ')}`);
    ctx.log(`status bar: ${all.join(' | ')}`);
  });
}
