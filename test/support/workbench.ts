// Debian's Chromium driven by playwright-core against a code-server workbench, plus the few helpers UI
// scenarios need (command palette, quick pick, notifications, screenshots).
//
//   const wb = await openWorkbench(url, { version: '4.100.3', logFile });
//   await runCommand(wb.page, 'Krustlet: Bootstrap');
//   await screenshot(wb.page, 'after-bootstrap');
//   await wb.close();
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
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
 * Opens the command palette with F1, types `title` and runs the matching command. The palette takes its
 * command list when it opens, and right after load an extension's commands may not be in it yet: it is
 * reopened until the command shows (up to `limitMs`).
 */
export async function runCommand(page: Page, title: string, limitMs = 30_000): Promise<void> {
  await paletteQuery(page, title, (items) => items.some((t) => t === title || t.includes(title)), limitMs);
  await pickQuickItem(page, title);
}

/**
 * Opens the palette with `>query` until `accept(labels)` holds (reopening it, see runCommand) and leaves
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

/** Clicks the quick-input row whose label contains `label` (exact label match preferred). */
export async function pickQuickItem(page: Page, label: string): Promise<void> {
  const rows = page.locator(QUICK_ROWS);
  const exact = rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(label)}$`) }) });
  const target = (await exact.count().catch(() => 0)) > 0 ? exact.first() : rows.filter({ hasText: label }).first();
  await target.waitFor({ state: 'visible' });
  await target.click();
}

/** Types into the open quick input (input box or quick pick filter); presses Enter unless submit is false. */
export async function typeInQuickInput(page: Page, text: string, o: { submit?: boolean } = {}): Promise<void> {
  const box = page.locator(QUICK_INPUT_BOX);
  await box.waitFor({ state: 'visible' });
  await box.fill(text);
  if (o.submit !== false) await box.press('Enter');
}

/** Waits for a notification toast (or a notification-center entry) containing `text`; returns its text. */
export async function waitForNotification(page: Page, text: string | RegExp): Promise<string> {
  const toast = page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item').filter({ hasText: text }).first();
  await toast.waitFor({ state: 'visible' });
  return (await toast.innerText()).replace(/\s+/g, ' ').trim();
}

/** Saves a PNG into test-results/screenshots/<version>/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const version = versionOfPage.get(page) ?? 'unknown';
  const file = join(repoRoot(), 'test-results', 'screenshots', version, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  mkdirSync(dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
