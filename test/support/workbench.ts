// Debian's Chromium driven by playwright-core against a code-server workbench, plus the few helpers UI
// scenarios need (command palette, quick pick, notifications, screenshots).
//
//   const wb = await openWorkbench(url, { version: '4.100.3', logFile });
//   await runPaletteCommand(wb.page, 'Krustlet: Bootstrap');
//   await screenshot(wb.page, 'after-bootstrap');
//   await wb.close();
import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Locator, type Page } from 'playwright-core';
import { repoRoot } from './codeServer';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

export function chromiumPath(): string {
  if (process.env.KRUSTLET_CHROMIUM) return process.env.KRUSTLET_CHROMIUM;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not on PATH. Run: scripts/vscode/provision.sh');
  }
}

/**
 * console.log('%c[Extension Host] %cmessage', 'color: blue', 'color: inherit', …) → '[Extension Host] message …'.
 * Handles %c (dropped with its argument), %s %d %i %f %o %O; leftover arguments are appended.
 */
export function formatConsoleArgs(args: unknown[]): string {
  const str = (v: unknown): string => (typeof v === 'string' ? v : (() => { try { return JSON.stringify(v); } catch { return String(v); } })());
  if (args.length === 0) return '';
  const [first, ...rest] = args;
  if (typeof first !== 'string') return args.map(str).join(' ');
  let i = 0;
  const head = first.replace(/%([csdifoO%])/g, (m, k: string) => {
    if (k === '%') return '%';
    if (i >= rest.length) return m;
    const v = rest[i++];
    if (k === 'c') return '';
    if (k === 'd' || k === 'i') return String(Number.parseInt(String(v), 10));
    if (k === 'f') return String(Number(v));
    return str(v);
  });
  return [head, ...rest.slice(i).map(str)].join(' ').trimEnd();
}

export interface Workbench {
  browser: Browser;
  page: Page;
  /** Every console line so far, reformatted. */
  consoleLines: string[];
  /** Resolves with the code the workbench passes to window.codeAutomationExit (extension test runs). */
  automationExit: Promise<number>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** code-server version; names the screenshot folder. */
  version?: string;
  /** Append the reformatted browser console here. */
  logFile?: string;
  /** Also called for each console line (e.g. to echo it). */
  onConsole?: (line: string) => void;
  /** Wait for the workbench to be ready (default true). */
  waitReady?: boolean;
  viewport?: { width: number; height: number };
}

const versionOfPage = new WeakMap<Page, string>();

export async function openWorkbench(url: string, o: OpenOptions = {}): Promise<Workbench> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: o.viewport ?? { width: 1400, height: 900 } });
    const page = await context.newPage();
    if (o.version) versionOfPage.set(page, o.version);
    const consoleLines: string[] = [];
    if (o.logFile) mkdirSync(dirname(o.logFile), { recursive: true });
    const emit = (line: string): void => {
      consoleLines.push(line);
      if (o.logFile) {
        // a log that cannot be written (e.g. its folder removed meanwhile) must not end the run
        try {
          mkdirSync(dirname(o.logFile), { recursive: true });
          appendFileSync(o.logFile, `${line}\n`);
        } catch { /* keep going; consoleLines still has it */ }
      }
      o.onConsole?.(line);
    };
    // keep console order although argument values arrive asynchronously
    let chain = Promise.resolve();
    page.on('console', (msg: ConsoleMessage) => {
      const values = Promise.all(msg.args().map((a) => a.jsonValue().catch(() => '<unserializable>')));
      chain = chain.then(async () => {
        let text: string;
        try { text = formatConsoleArgs(await values); } catch { text = msg.text(); }
        if (!text) text = msg.text();
        emit(msg.type() === 'log' || msg.type() === 'info' ? text : `[${msg.type()}] ${text}`);
      });
    });
    page.on('pageerror', (e) => emit(`[pageerror] ${e.message}`));
    let resolveExit: (code: number) => void = () => {};
    const automationExit = new Promise<number>((res) => { resolveExit = res; });
    await page.exposeFunction('codeAutomationExit', (code: unknown) => {
      resolveExit(typeof code === 'number' ? code : Number(code) || 0);
    });
    await page.goto(url);
    if (o.waitReady !== false) await waitForWorkbench(page);
    const close = async (): Promise<void> => {
      await chain.catch(() => {});
      await browser.close().catch(() => {});
    };
    return { browser, page, consoleLines, automationExit, close };
  } catch (e) {
    await browser.close().catch(() => {});
    throw e;
  }
}

/** The workbench is laid out: activity bar and status bar are there. */
export async function waitForWorkbench(page: Page): Promise<void> {
  await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 60_000 });
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60_000 });
}

const QUICK_INPUT = '.quick-input-widget';
const QUICK_INPUT_BOX = `${QUICK_INPUT} .quick-input-box input`;
const QUICK_ROWS = `${QUICK_INPUT} .quick-input-list .monaco-list-row`;

/**
 * Opens the palette with `>query` until `accept(labels)` holds (reopening it: right after load an extension's commands may not be listed yet) and leaves
 * it open; returns the row labels. Throws with the last labels seen when `limitMs` passes.
 */
export async function paletteQuery(page: Page, query: string, accept: (labels: string[]) => boolean, limitMs = 30_000): Promise<string[]> {
  const end = Date.now() + limitMs;
  let labels: string[];
  for (;;) {
    await openPalette(page);
    await page.locator(QUICK_INPUT_BOX).fill(`>${query}`);
    await page.waitForTimeout(300); // let the list filter before reading it
    labels = await quickItems(page).catch(() => []);
    if (accept(labels)) return labels;
    if (Date.now() > end) throw new Error(`palette '>${query}' shows ${JSON.stringify(labels)}`);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1000);
  }
}

export async function openPalette(page: Page): Promise<void> {
  await page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 }, force: true }).catch(() => {});
  await page.keyboard.press('F1');
  await page.locator(QUICK_INPUT_BOX).waitFor({ state: 'visible' });
}

/** Labels of the rows currently shown in the quick input (palette or quick pick). */
export async function quickItems(page: Page): Promise<string[]> {
  await page.locator(QUICK_ROWS).first().waitFor({ state: 'visible' });
  return (await page.locator(QUICK_ROWS).allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** Saves a PNG into test-results/screenshots/<version>/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const version = versionOfPage.get(page) ?? 'unknown';
  const file = join(repoRoot(), 'test-results', 'screenshots', version, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  mkdirSync(dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}

// ------------------------------------------------------------------------------------------- scenario helpers
// (used by the UI scenarios in test/ui; each acts the way a person does: keys and clicks)

const DIALOG = '.monaco-dialog-box';
const TOASTS = '.notifications-toasts .notification-toast';

/** F1, type the title, click the row whose label is exactly `title` (the first row is often another match). */
export async function runPaletteCommand(page: Page, title: string): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    const row = quickRowLabelled(page, title);
    try {
      // Right after a (re)load the workbench may take the palette away again (focus moves, the input
      // turns inert): open it and type again rather than wait on a stale input.
      await openPalette(page);
      await page.locator(`${QUICK_INPUT} .quick-input-box input`).fill(`>${title}`, { timeout: 5_000 });
      await row.first().waitFor({ timeout: 3_000 });
      await row.first().click();
      return;
    } catch (e) {
      // The extension may still be registering its commands after a (re)load.
      if (Date.now() > end) throw new Error(`the palette offers no '${title}': ${(await quickLabels(page).catch(() => [])).join(' | ')}`, { cause: e });
      await page.keyboard.press('Escape');
    }
  }
}

export async function waitForQuickPickTitle(page: Page, title: RegExp): Promise<void> {
  await page.locator(`${QUICK_INPUT} .quick-input-title`, { hasText: title }).waitFor();
  await page.locator(QUICK_ROWS).first().waitFor();
}

export async function quickLabels(page: Page): Promise<string[]> {
  return (await page.locator(`${QUICK_ROWS} .label-name`).allTextContents()).map((t) => t.trim());
}

/** Clicks the quick-pick row whose label is exactly `label`. */
export async function clickQuickRow(page: Page, label: string): Promise<void> {
  const labels = await quickLabels(page);
  const i = labels.indexOf(label);
  assert.ok(i >= 0, `no quick-pick item '${label}' among: ${labels.join(' | ')}`);
  await page.locator(QUICK_ROWS).nth(i).click();
}

/**
 * The text of a notification: its toast when one shows, else from the notification center (the status bar
 * bell). VS Code shows at most three toasts at once and hides them after a while; the center keeps them all.
 */
export async function readNotification(page: Page, text: RegExp): Promise<string> {
  const toast = page.locator(TOASTS).filter({ hasText: text }).first();
  if (await toast.isVisible().catch(() => false)) return (await toast.innerText()).replace(/\s+/g, ' ').trim();
  const bell = page.locator('.statusbar-item[id="status.notifications"]').first();
  const center = page.locator('.notifications-center');
  await bell.click();
  await center.waitFor();
  try {
    const item = center.locator('.notification-list-item').filter({ hasText: text }).first();
    await item.waitFor();
    return (await item.innerText()).replace(/\s+/g, ' ').trim();
  } finally {
    await bell.click();
    await center.waitFor({ state: 'hidden' });
  }
}

/** Shows an activity-bar container by clicking its icon — unless it is showing already (a click would hide it). */
export async function showContainer(page: Page, label: string): Promise<void> {
  const item = page.locator(`.activitybar li.action-item:has(> a.action-label[aria-label^="${label}"])`).first();
  await item.waitFor();
  if ((await item.getAttribute('aria-expanded')) === 'true') return;
  await item.click();
  await page.locator(`.activitybar li.action-item[aria-expanded="true"]:has(> a.action-label[aria-label^="${label}"])`).waitFor();
}

export async function openKrustletView(page: Page): Promise<void> {
  await showContainer(page, 'Krustlet');
  // One view in the container: its header folds into the side bar's title ("KRUSTLET: CLUSTER").
  await page.locator('.part.sidebar .composite.title .title-label', { hasText: /Krustlet/i }).first().waitFor();
}

export function treeRow(page: Page, text: string): Locator {
  return page.locator('.pane-body .monaco-list-row').filter({ hasText: text }).first();
}

/** The CSR row in one of `states`: its accessible label is "Certificate signing request <name>, <state>, review <verdict>". */
export function csrRow(page: Page, name: string, states: string[]): Locator {
  return page
    .locator(states.map((st) => `.pane-body .monaco-list-row[aria-label^="Certificate signing request ${name}, ${st},"]`).join(', '))
    .first();
}

export function approveAction(row: Locator): Locator {
  return row.locator('.actions .action-label[aria-label^="Approve"]').first();
}

/**
 * F1 and type the title, as a person does; returns the label of the row Enter would run (the palette focuses the
 * first row) and leaves the palette open. Reopens it while the title is not listed yet (commands registering).
 */
export async function typeInPalette(page: Page, title: string, limitMs = 30_000): Promise<string> {
  const end = Date.now() + limitMs;
  for (;;) {
    try {
      await openPalette(page);
      await page.locator(QUICK_INPUT_BOX).fill(`>${title}`, { timeout: 5_000 });
      await quickRowLabelled(page, title).waitFor({ timeout: 3_000 });
      break;
    } catch (e) {
      if (Date.now() > end) throw new Error(`the palette offers no '${title}': ${(await quickLabels(page).catch(() => [])).join(' | ')}`, { cause: e });
      await page.keyboard.press('Escape');
    }
  }
  const focused = page.locator(`${QUICK_ROWS}.focused .label-name`).first();
  await focused.waitFor();
  return (await focused.innerText()).replace(/\s+/g, ' ').trim();
}

/** The quick-input row whose label is exactly `label` (its accessible label may add "recently used" …). */
function quickRowLabelled(page: Page, label: string): Locator {
  const exact = new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  return page.locator(QUICK_ROWS).filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
}

/** What a new user does: F1, type the title, Enter. Returns the label of the row Enter ran. */
export async function typeCommandAndEnter(page: Page, title: string): Promise<string> {
  const label = await typeInPalette(page, title);
  await page.locator(QUICK_INPUT_BOX).press('Enter');
  return label;
}

/** A question on screen that a command waits on, as a person sees it. */
export type Question =
  | { kind: 'dialog'; text: string; buttons: string[]; locator: Locator }
  | { kind: 'quickPick'; title: string; items: string[] }
  | { kind: 'toast'; text: string; buttons: string[]; locator: Locator };

/** Texts of the notification toasts on screen now (to tell a new toast from one that was there before). */
export async function toastTexts(page: Page): Promise<string[]> {
  return (await page.locator(TOASTS).allInnerTexts().catch(() => [])).map((t) => t.replace(/\s+/g, ' ').trim());
}

/**
 * Waits for the next question — a modal dialog, a quick pick (not the palette), or a new notification with
 * buttons (not among `before`) — or for `done` to show; whichever comes first.
 */
export async function nextQuestion(page: Page, done: Locator, o: { before?: string[]; timeoutMs?: number } = {}): Promise<Question | 'done'> {
  const end = Date.now() + (o.timeoutMs ?? 60_000);
  const before = new Set(o.before ?? []);
  const dialog = page.locator(DIALOG).first();
  const pickTitle = page.locator(`${QUICK_INPUT}:visible .quick-input-title`).first();
  for (;;) {
    if (await dialog.isVisible().catch(() => false)) {
      const text = (await dialog.locator('.dialog-message-text, .dialog-message').first().innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
      const detail = (await dialog.locator('.dialog-message-detail').first().innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
      const buttons = (await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((b) => b.trim());
      return { kind: 'dialog', text: detail ? `${text} — ${detail}` : text, buttons, locator: dialog };
    }
    const title = (await pickTitle.innerText().catch(() => '')).trim();
    if (title) return { kind: 'quickPick', title, items: await quickLabels(page) };
    for (const toast of await page.locator(TOASTS).all()) {
      const text = (await toast.innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
      if (!text || before.has(text)) continue;
      const buttons = (await toast.locator('.monaco-button').allInnerTexts().catch(() => [])).map((b) => b.trim()).filter(Boolean);
      if (buttons.length) return { kind: 'toast', text, buttons, locator: toast };
    }
    if (await done.isVisible().catch(() => false)) return 'done';
    if (Date.now() > end) throw new Error(`no question and no end after ${o.timeoutMs ?? 60_000} ms`);
    await page.waitForTimeout(150);
  }
}

/** Progress notifications on screen ("Krustlet: checking…"): none should stay behind a question. */
export async function progressToasts(page: Page): Promise<string[]> {
  const busy = page.locator(TOASTS).filter({ has: page.locator('.monaco-progress-container.active, .monaco-progress-container.infinite') });
  return (await busy.allInnerTexts().catch(() => [])).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** The texts of the status bar items whose text starts with "Krustlet". */
export async function krustletStatusItems(page: Page): Promise<string[]> {
  return (await page.locator('.statusbar-item', { hasText: /Krustlet/ }).allInnerTexts().catch(() => [])).map((t) => t.replace(/\s+/g, ' ').trim());
}

