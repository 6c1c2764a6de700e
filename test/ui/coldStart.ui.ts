// Cold start: the extension as a new user meets it. `npm start` makes a fresh playground (its own control plane,
// no krustlet.* setting, no tasks.json, KRUSTLET_DATA_DIR inside the playground), and the flow is clicked through
// with defaults only, answering every question as a new user would (the offered fix, the default choice):
//   F1 → Krustlet: Bootstrap → (token lifetime: the default) → Apply RBAC → bootstrap.conf → F1 → Krustlet: Start
//   Agent → (each pre-start question) → the serving CSR's inline Approve → Ready.
// Every question must stay on screen until answered (a modal dialog or a quick pick, never a notification that
// hides itself), no progress notification may stay behind it, and while Start Agent waits the status bar says so.
// The playground stays up for the outage scenario (outage.ui.ts), which needs a node that joined.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { freePort, printExtensionLog } from '../support/codeServer';
import { startPlayground, type Playground } from '../support/playground';
import { killProcessesMentioning } from '../support/process';
import {
  approveAction, csrRow, krustletStatusItems, nextQuestion, openKrustletView, openWorkbench, progressToasts, runPaletteCommand, showContainer,
  toastTexts, waitForWorkbench, type Workbench,
} from '../support/workbench';
import type { UiContext } from './run';

/** The agent joins in seconds; this only bounds a hang. */
const JOIN_LIMIT_MS = 120_000;
const DIALOG = '.monaco-dialog-box';
/** Notifications that report (nobody waits on their buttons): the rest with buttons would be questions. */
const REPORTS = [/Bootstrap config written to/, /Bootstrap RBAC bindings are in place/, /asks for its serving certificate/];

export interface ColdPlayground {
  playground: Playground;
  workbench: Workbench;
  hostname: string;
  /** The node joined (Ready) in this playground. */
  joined: boolean;
}

const SHARED_KEY = 'coldStart.playground';

export async function run(ctx: UiContext): Promise<void> {
  await coldStart(ctx);
}

/** The playground of this version that the cold start clicked through (for outage.ui.ts), starting it if needed. */
export async function joinedPlayground(ctx: UiContext): Promise<ColdPlayground> {
  const had = ctx.shared.get(SHARED_KEY) as ColdPlayground | undefined;
  if (had?.joined) {
    ctx.page = had.workbench.page;
    return had;
  }
  // The cold start of this version ran and did not get as far as Ready: its failure says why (no second playground).
  if (had) throw new Error('the cold start scenario did not reach Ready in its playground: see its failed step');
  return coldStart(ctx);
}

async function coldStart(ctx: UiContext): Promise<ColdPlayground> {
  const host = hostname();
  const servingCsr = `${host}-tls`;
  const scratch = mkdtempSync(join(tmpdir(), `krustlet-ui-cold-${ctx.version.replace(/\W+/g, '-')}-`));
  const asked: string[] = [];
  const step = (name: string, fn: () => Promise<void>): Promise<void> =>
    ctx.step(name, async () => {
      try {
        await fn();
      } catch (e) {
        if (cold) printExtensionLog(join(cold.playground.dir, 'code-server', 'user-data'));
        throw e;
      }
    });
  let cold: ColdPlayground | undefined;

  await step('npm start: a fresh playground (its own control plane, defaults only)', async () => {
    const playground = await startPlayground(join(scratch, 'playground'), { version: ctx.version, port: await freePort() });
    const workbench = await openWorkbench(playground.url, { version: ctx.version, logFile: join(ctx.logDir, 'cold-start-browser-console.log') });
    cold = { playground, workbench, hostname: host, joined: false };
    ctx.shared.set(SHARED_KEY, cold);
    ctx.defer(async () => {
      await workbench.close();
      await playground.stop();
      const left = killProcessesMentioning(playground.dir);
      if (left.length) ctx.log(`ended agent processes left running: ${left.join(', ')}`);
      rmSync(scratch, { recursive: true, force: true });
    });
    ctx.page = workbench.page;
    ctx.log(`playground ${playground.url}`);
    // What a new user has: nothing of ours configured.
    const settings = join(playground.dir, 'code-server', 'user-data', 'User', 'settings.json');
    assert.ok(!/"krustlet\./.test(readFileSync(settings, 'utf8')), `no krustlet.* user setting: ${settings}`);
    assert.ok(!existsSync(join(playground.dir, 'code-server', 'user-data', 'Machine', 'settings.json')) ||
      !/"krustlet\./.test(readFileSync(join(playground.dir, 'code-server', 'user-data', 'Machine', 'settings.json'), 'utf8')), 'no krustlet.* machine setting');
    assert.ok(!existsSync(join(playground.workspace, '.vscode')), 'no workspace settings, no tasks.json');
    await waitForWorkbench(ctx.page);
    await ctx.page.locator('.activitybar li.action-item:has(> a.action-label[aria-label^="Krustlet"])').first().waitFor();
    // The playground opens its README (workbench.startupEditor): once it shows, nothing takes the focus from the palette.
    await ctx.page.locator('.tabs-container .tab', { hasText: 'README.md' }).first().waitFor({ timeout: 60_000 });
  });
  assert.ok(cold);
  const { page } = cold.workbench;
  const pg = cold.playground;

  await step('F1 → Krustlet: Bootstrap, every question answered with the default or the offered fix', async () => {
    await showContainer(page, 'Explorer'); // where bootstrap.conf shows up
    await runPaletteCommand(page, 'Krustlet: Bootstrap');
    const written = page.locator('.explorer-folders-view .monaco-list-row[aria-label=".krustlet"]');
    await answerEverything(ctx, page, 'Bootstrap', written, asked);
    assert.ok(existsSync(join(pg.workspace, '.krustlet', 'bootstrap.conf')), 'bootstrap.conf written into the playground workspace');
  });

  await step('F1 → Krustlet: Start Agent, every pre-start question a dialog or a picker, the status bar saying it waits', async () => {
    await runPaletteCommand(page, 'Krustlet: Start Agent');
    const started = page.locator('.statusbar-item', { hasText: /Krustlet:/ }).filter({ hasNotText: /waiting for your answer/ }).first();
    await answerEverything(ctx, page, 'Start Agent', started, asked);
    ctx.log(`status bar: ${(await started.innerText()).trim()}`);
    // The agent's credentials go into the playground, never into ~/.krustlet.
    assert.ok(existsSync(pg.dataDir), `the agent data folder ${pg.dataDir} exists`);
  });

  await step(`the serving CSR ${servingCsr} appears with its inline Approve`, async () => {
    await openKrustletView(page);
    const row = csrRow(page, servingCsr, ['pending']);
    await row.waitFor({ timeout: JOIN_LIMIT_MS });
    await row.hover();
    await approveAction(row).waitFor();
    ctx.log(`row: ${await row.getAttribute('aria-label')}`);
    await ctx.screenshot(`coldStart-moment-inline-approve`);
  });

  await step('click Approve (confirming when the review asks)', async () => {
    const row = csrRow(page, servingCsr, ['pending']);
    await row.hover();
    await approveAction(row).click();
    const confirm = page.locator(DIALOG);
    const decided = csrRow(page, servingCsr, ['approved', 'issued']);
    const next = await Promise.race([
      confirm.waitFor({ timeout: 30_000 }).then(() => 'confirm' as const),
      decided.waitFor({ timeout: 30_000 }).then(() => 'approved' as const),
    ]);
    if (next === 'confirm') {
      const text = (await confirm.innerText()).replace(/\s+/g, ' ');
      asked.push(`Approve: dialog "${text.slice(0, 160)}"`);
      await ctx.screenshot('coldStart-moment-approve-confirmation');
      await confirm.locator('.monaco-button', { hasText: /Approve/ }).first().click();
      await decided.waitFor();
    }
  });

  await step('the node is Ready (status bar)', async () => {
    const ready = page.locator('.statusbar-item', { hasText: /Krustlet: .*Ready/ }).first();
    await ready.waitFor({ timeout: JOIN_LIMIT_MS });
    ctx.log(`status bar: ${(await ready.innerText()).trim()}`);
    ctx.log(`questions a new user answered: ${asked.length}\n      ${asked.join('\n      ')}`);
    cold!.joined = true;
  });
  return cold;
}

/**
 * Answers every question `command` asks until `done` shows: a dialog with its offered fix (else its first
 * button), a quick pick with its default (Enter). Fails on a question shown as a notification (it hides itself
 * after a few seconds), on a progress notification left behind a question, and — for Start Agent — when the
 * status bar does not say that it waits for an answer.
 */
async function answerEverything(ctx: UiContext, page: Page, command: string, done: Locator, asked: string[]): Promise<void> {
  const reports = new Set<string>();
  for (let round = 1; ; round++) {
    assert.ok(round <= 12, `${command} asked more than 12 questions: ${asked.join(' | ')}`);
    const q = await nextQuestion(page, done, { before: [...reports], timeoutMs: JOIN_LIMIT_MS });
    if (q === 'done') return;
    if (q.kind === 'toast') {
      if (REPORTS.some((r) => r.test(q.text))) {
        reports.add(q.text);
        continue;
      }
      await ctx.screenshot(`coldStart-moment-${command}-toast-question`);
      assert.fail(`${command} asked in a notification, which hides itself after a few seconds: "${q.text}" [${q.buttons.join(', ')}]`);
    }
    // A progress notification closing as the question opens may take a moment to go; one that stays is the bug.
    let busy = await progressToasts(page);
    for (let i = 0; busy.length && i < 20; i++) {
      await page.waitForTimeout(250);
      busy = await progressToasts(page);
    }
    assert.deepEqual(busy, [], `a progress notification stays behind ${command}'s question`);
    if (command === 'Start Agent') {
      await page.locator('.statusbar-item', { hasText: /waiting for your answer/ }).first().waitFor({ timeout: 10_000 })
        .catch(async () => assert.fail(`while Start Agent asks, the status bar shows: ${(await krustletStatusItems(page)).join(' | ')}`));
    }
    await ctx.screenshot(`coldStart-moment-${command}-question-${round}`);
    if (q.kind === 'dialog') {
      // The offered fix (Apply RBAC, Create …, Pick Node IP…, Move It Aside …): the button that neither goes on without it nor cancels.
      const fix = q.buttons.find((b) => !/^(Cancel|Continue|Continue Without|Start Anyway|Bootstrap Anyway|Not Now|Keep .*)$/.test(b)) ?? q.buttons.find((b) => b !== 'Cancel') ?? q.buttons[0];
      asked.push(`${command}: dialog "${q.text}" → ${fix}`);
      ctx.log(`${command} asks (dialog): ${q.text} [${q.buttons.join(', ')}] → ${fix}`);
      await q.locator.locator('.dialog-buttons .monaco-button', { hasText: fix }).first().click();
      await q.locator.waitFor({ state: 'detached' }).catch(() => {});
    } else {
      asked.push(`${command}: picker "${q.title}" → the default (${q.items[0] ?? ''})`);
      ctx.log(`${command} asks (picker): ${q.title} [${q.items.join(', ')}] → Enter`);
      const title = page.locator('.quick-input-widget:visible .quick-input-title', { hasText: q.title });
      await page.locator('.quick-input-widget:visible .quick-input-box input').press('Enter');
      await title.waitFor({ state: 'hidden' }).catch(() => {});
    }
    // a report shown meanwhile is not a question
    for (const t of await toastTexts(page)) if (REPORTS.some((r) => r.test(t))) reports.add(t);
  }
}
