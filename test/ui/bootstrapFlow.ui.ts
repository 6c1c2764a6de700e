// The whole flow, clicked through the way a person does it — keys and clicks only, no command invoked behind
// the UI's back:
//   F1 → "Krustlet: Bootstrap" → choose the context and the TTL → (Apply RBAC, when the preflight offers it)
//   → bootstrap.conf appears in the Explorer → the Krustlet view shows the new token → F1 → "Krustlet: Start
//   Agent" (the stand-in agent) → the pending <hostname>-tls CSR appears with its inline Approve → click it
//   (confirming if asked) → the status bar reaches Ready.
//
// Setup is what a user configures once: a kubeconfig with two contexts (so the context really is chosen),
// the machine-scoped settings krustlet.kubeconfig / krustlet.agentPath (code-server's Machine settings), and in
// the workspace krustlet.expectedHostnames plus a `krustlet` task naming the agent's hostname, node IP,
// port and data folder. The hostname is per VS Code version: both versions share one control plane.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { freePort, mergeSettings, printExtensionLog, repoRoot } from '../support/codeServer';
import { killProcessesMentioning } from '../support/process';
import {
  approveAction, clickQuickRow, csrRow, openKrustletView, quickLabels, readNotification, runPaletteCommand, screenshot, showContainer, treeRow,
  waitForQuickPickTitle, waitForWorkbench,
} from '../support/workbench';
import type { UiContext } from './run';

const DIALOG = '.monaco-dialog-box';
/** The agent joins in seconds; this only bounds a hang. */
const JOIN_LIMIT_MS = 120_000;

const OTHER_CONTEXT = 'staging-not-this-one';

export async function run(ctx: UiContext): Promise<void> {
  const { page } = ctx;
  const tag = ctx.version.replace(/\W+/g, '-');
  const hostname = `krustlet-ui-${tag}`;
  const csrName = `${hostname}-tls`;
  const contextName = ctx.controlPlane.contextName;
  const scratch = mkdtempSync(join(tmpdir(), `krustlet-ui-flow-${tag}-`));
  const dataDir = join(scratch, 'agent-data');
  // The node's address in its serving certificate: this machine's own (a loopback address fails the review,
  // which then asks for a confirmation — handled too, for machines that have no other address).
  const nodeIp = machineIPv4() ?? '127.0.0.1';
  const root = repoRoot();
  const started = Date.now();
  let tokenId = '';

  // Every step prints the extension's log when it fails (the runner prints the screenshot path).
  const step = (name: string, fn: () => Promise<void>): Promise<void> =>
    ctx.step(name, async () => {
      try {
        await fn();
      } catch (e) {
        printExtensionLog(ctx.server.userDataDir);
        throw e;
      }
    });

  try {
    await step('setup: kubeconfig with two contexts, stand-in agent, agent task', async () => {
      const standIn = join(root, 'test', 'fixtures', 'agent', 'krustlet-wasi');
      assert.ok(existsSync(join(root, 'out', 'test', 'fixtures', 'agent', 'standin.js')), 'the stand-in agent is not compiled: run npm run compile-tests');
      const kubeconfig = join(scratch, 'kubeconfig');
      writeFileSync(kubeconfig, twoContextKubeconfig(ctx.kubeconfigPath), { mode: 0o600 });
      // krustlet.kubeconfig and krustlet.agentPath are machine-scoped: VS Code reads them from the (remote)
      // machine's settings, not from the workspace.
      mergeSettings(join(ctx.server.userDataDir, 'Machine', 'settings.json'), {
        'krustlet.kubeconfig': kubeconfig,
        'krustlet.agentPath': standIn,
      });
      mergeSettings(join(ctx.workspace, '.vscode', 'settings.json'), {
        'krustlet.expectedHostnames': [hostname],
        'workbench.startupEditor': 'none',
        // VS Code ≥ 1.10x opens a Chat side bar by default; keep the screenshots about this extension.
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'chat.disableAIFeatures': true,
      });
      writeFileSync(join(ctx.workspace, '.vscode', 'tasks.json'), JSON.stringify({
        version: '2.0.0',
        tasks: [{
          type: 'krustlet',
          label: `krustlet-wasi ${hostname}`,
          hostname,
          nodeIp,
          addr: '127.0.0.1',
          port: await freePort(),
          dataDir,
        }],
      }, null, 2));
      ctx.log(`agent: stand-in (simulated) ${standIn}; hostname ${hostname}; node IP ${nodeIp}; data ${dataDir}`);
      // Settings files written from outside: a window reload makes sure the extension sees them at once.
      await runPaletteCommand(page, 'Developer: Reload Window');
      await waitForWorkbench(page);
      await page.locator('.activitybar li.action-item:has(> a.action-label[aria-label^="Krustlet"])').first().waitFor();
    });

    await step('F1 → Krustlet: Bootstrap', async () => {
      await showContainer(page, 'Explorer'); // where bootstrap.conf will show up
      await runPaletteCommand(page, 'Krustlet: Bootstrap');
    });

    await step(`choose the context ${contextName}`, async () => {
      await waitForQuickPickTitle(page, /cluster/i);
      const labels = await quickLabels(page);
      assert.ok(labels.includes(contextName) && labels.includes(OTHER_CONTEXT), `contexts offered: ${labels.join(', ')}`);
      await moment(page, 'context-pick');
      await clickQuickRow(page, contextName);
    });

    await step('choose the TTL "1 hour"', async () => {
      await waitForQuickPickTitle(page, /lifetime/i);
      await moment(page, 'ttl-pick');
      await clickQuickRow(page, '1 hour');
    });

    const krustletFolder = page.locator('.explorer-folders-view .monaco-list-row[aria-label=".krustlet"]');
    await step('preflight: Apply RBAC when offered', async () => {
      // A fresh cluster lacks kubeadm's bootstrap bindings: the preflight offers to create them. On the second
      // VS Code version (same control plane) they exist and Bootstrap goes straight on to write the file.
      const offer = page.locator(DIALOG).filter({ hasText: 'lacks the bootstrap RBAC bindings' });
      const which = await Promise.race([
        offer.waitFor({ timeout: 60_000 }).then(() => 'offer' as const),
        krustletFolder.waitFor({ timeout: 60_000 }).then(() => 'written' as const),
      ]);
      if (which === 'offer') {
        ctx.log('the preflight found the bootstrap RBAC bindings missing: clicking "Apply RBAC"');
        await moment(page, 'rbac-offer');
        await offer.locator('.monaco-button', { hasText: /^Apply RBAC$/ }).click();
        await krustletFolder.waitFor();
        ctx.log(await readNotification(page, /Bootstrap RBAC bindings are in place/));
      } else {
        ctx.log('the bootstrap RBAC bindings exist already (applied in an earlier run on this control plane)');
      }
    });

    await step('notification: bootstrap config written', async () => {
      const text = await readNotification(page, /Bootstrap config written to/);
      const m = /\(token ([a-z0-9]{6}), valid for 1h\)/.exec(text);
      assert.ok(m, `notification: ${text}`);
      tokenId = m[1];
      assert.ok(text.includes(join(ctx.workspace, '.krustlet', 'bootstrap.conf')), text);
      ctx.log(`token ${tokenId}`);
    });

    await step('bootstrap.conf appears in the Explorer', async () => {
      await showContainer(page, 'Explorer');
      await krustletFolder.waitFor();
      if ((await krustletFolder.getAttribute('aria-expanded')) !== 'true') await krustletFolder.click();
      await page.locator('.explorer-folders-view .monaco-list-row[aria-label="bootstrap.conf"]').waitFor();
      assert.equal(statSync(join(ctx.workspace, '.krustlet', 'bootstrap.conf')).mode & 0o777, 0o600);
    });

    await step('the Krustlet view shows the new token', async () => {
      await openKrustletView(page);
      await treeRow(page, tokenId).waitFor();
    });

    await step('F1 → Krustlet: Start Agent', async () => {
      await runPaletteCommand(page, 'Krustlet: Start Agent');
    });

    await step('pre-start check: create the data folder when offered', async () => {
      // The agent's data folder does not exist yet: the pre-start checks offer to create it (krustlet-wasi
      // would not), in a dialog that stays until answered. Any other question is unexpected here (fresh hostname,
      // node IP set) and fails the step. One offer creates every missing folder (the data folder and its config/).
      const dialog = page.locator(DIALOG);
      const createOffer = dialog.filter({ hasText: 'does not exist' }).locator('.monaco-button', { hasText: /^Create / }).first();
      const started = page.locator('.statusbar-item', { hasText: /Krustlet:/ }).filter({ hasNotText: /waiting for your answer/ }).first();
      for (let round = 1; ; round++) {
        const next = await Promise.race([
          createOffer.waitFor({ timeout: 60_000 }).then(() => 'create' as const),
          started.waitFor({ timeout: 60_000 }).then(() => 'started' as const),
        ]);
        if (next === 'started') break;
        if (!(await createOffer.isVisible())) assert.fail(`Start Agent asked: ${(await dialog.innerText()).replace(/\s+/g, ' ')}`);
        assert.equal(round, 1, 'the pre-start checks offered to create folders more than once');
        const label = (await createOffer.innerText()).trim();
        await moment(page, `create-folder-offer-${round}`);
        ctx.log(`clicking "${label}"`);
        await createOffer.click();
        await dialog.waitFor({ state: 'detached' });
      }
      assert.ok(existsSync(dataDir), `${dataDir} was not created`);
      ctx.log(`status bar: ${(await started.innerText()).trim()}`);
    });

    await step(`the pending ${csrName} appears with its inline Approve`, async () => {
      await openKrustletView(page);
      const row = csrRow(page, csrName, ['pending']);
      await row.waitFor({ timeout: JOIN_LIMIT_MS });
      await row.hover();
      await approveAction(row).waitFor();
      await moment(page, 'inline-approve');
      ctx.log(`row: ${await row.getAttribute('aria-label')}`);
    });

    await step('click Approve (confirming if asked)', async () => {
      const row = csrRow(page, csrName, ['pending']);
      await row.hover();
      await approveAction(row).click();
      // A request whose review fails needs an explicit confirmation; one that passes is approved at once.
      const confirm = page.locator(DIALOG);
      const gone = csrRow(page, csrName, ['approved', 'issued']);
      const next = await Promise.race([
        confirm.waitFor({ timeout: 30_000 }).then(() => 'confirm' as const),
        gone.waitFor({ timeout: 30_000 }).then(() => 'approved' as const),
      ]);
      if (next === 'confirm') {
        ctx.log(`confirmation: ${(await confirm.innerText()).replace(/\s+/g, ' ').slice(0, 300)}`);
        await confirm.locator('.monaco-button', { hasText: /Approve/ }).first().click();
        await gone.waitFor();
      }
    });

    await step('the join progress reaches Ready (status bar)', async () => {
      const ready = page.locator('.statusbar-item', { hasText: /Krustlet: .*Ready/ });
      await ready.first().waitFor({ timeout: JOIN_LIMIT_MS });
      ctx.log(`status bar: ${(await ready.first().innerText()).trim()}`);
    });

    await step('stop the agent', async () => {
      await runPaletteCommand(page, 'Krustlet: Stop Agent');
      await page.locator('.statusbar-item', { hasText: /Krustlet: agent stopped/ }).first().waitFor({ timeout: 60_000 });
    });
    ctx.log(`the flow took ${((Date.now() - started) / 1000).toFixed(1)} s on VS Code ${ctx.vscodeVersion} (a figure, not an assertion)`);
  } finally {
    // Safety net for a failed run: the agent task runs in a pty (its own session), outside code-server's
    // process group. Only processes whose command line names this run's own data folder are ended.
    // The settings pointed at this run's scratch files: back to the defaults for the scenarios after this one.
    mergeSettings(join(ctx.server.userDataDir, 'Machine', 'settings.json'), { 'krustlet.kubeconfig': undefined, 'krustlet.agentPath': undefined });
    const left = killProcessesMentioning(dataDir);
    if (left.length) ctx.log(`ended agent processes left running: ${left.join(', ')}`);
    await page.keyboard.press('Escape').catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------- files, processes

/** The admin kubeconfig plus a second context (another cluster) so that Bootstrap asks which one. */
function twoContextKubeconfig(adminKubeconfig: string): string {
  const text = readFileSync(adminKubeconfig, 'utf8');
  // controlplane.mjs writes a plain block-style kubeconfig; add one cluster and one context to it.
  const withCluster = text.replace(/^clusters:\n/m, [
    'clusters:',
    `- name: ${OTHER_CONTEXT}`,
    '  cluster:',
    '    server: https://127.0.0.1:9',
    '',
  ].join('\n'));
  const withContext = withCluster.replace(/^contexts:\n/m, [
    'contexts:',
    `- name: ${OTHER_CONTEXT}`,
    '  context:',
    `    cluster: ${OTHER_CONTEXT}`,
    '    user: nobody',
    '',
  ].join('\n'));
  assert.notEqual(withContext, text, `unexpected kubeconfig layout in ${adminKubeconfig}`);
  return withContext;
}

/** An extra screenshot at a moment inside a step (a picker or dialog that the step closes again). */
async function moment(page: Page, what: string): Promise<void> {
  await screenshot(page, `bootstrapFlow-moment-${what}`).catch(() => '');
}

function machineIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

