// The UI tier: the extension clicked through in a real browser. Per code-server version: a real control
// plane, code-server WITHOUT the smoke-test driver (so notification toasts show) with the extension
// installed into its extensions dir (as a user would have it), Chromium on the workbench, then every
// scenario module out/test/ui/*.ui.js in turn. A scenario exports `async function run(ctx: UiContext)`
// and wraps each action in `ctx.step(name, fn)`; each step is counted and screenshotted.
//
//   npm run build && npm run compile-tests && node out/test/ui/run.js [scenario-name …]
//   KRUSTLET_VSCODE_VERSIONS=4.100.3 node out/test/ui/run.js smoke
//
// Writes test-results/ui.json ({passed, failed, skipped, failures, versions}) counting steps, and
// screenshots to test-results/screenshots/<version>/<scenario>-<nn>-<step>.png.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { provisionCodeServer, repoRoot, startCodeServer, testVersions, type CodeServer } from '../support/codeServer';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { openWorkbench, screenshot, type Workbench } from '../support/workbench';

export interface UiContext {
  /** The page steps screenshot: the runner's workbench; a scenario with a workbench of its own sets it. */
  page: Page;
  workbench: Workbench;
  version: string;
  vscodeVersion: string;
  server: CodeServer;
  controlPlane: ControlPlane;
  /** The admin kubeconfig (also the extension host's KUBECONFIG). */
  kubeconfigPath: string;
  /** The folder open in the workbench. */
  workspace: string;
  /** Runs one named step: counted, screenshotted; a failing step ends the scenario. */
  step(name: string, fn: () => Promise<void>): Promise<void>;
  /** An extra screenshot of `page` inside a step (a dialog or picker the step closes again). */
  screenshot(name: string): Promise<void>;
  log(message: string): void;
  /** Where this version's logs go (test-results/logs/ui-<version>). */
  logDir: string;
  /** What scenarios of this version share (e.g. the playground the cold start left for the outage scenario). */
  shared: Map<string, unknown>;
  /** Runs `fn` when this version's scenarios are done (after the last one, failed or not). */
  defer(fn: () => Promise<void> | void): void;
}

export type Scenario = (ctx: UiContext) => Promise<void>;

interface Counts { passed: number; failed: number; skipped: number; failures: string[] }

const root = repoRoot();
const results = join(root, 'test-results');
const EXTENSION_FOLDER = 'krustlet-tools.krustlet-bootstrap-dev';

class StepFailed extends Error {}

/** Copies the built extension (what .vscodeignore keeps) into an extensions dir. */
function installExtension(extensionsDir: string): void {
  const dest = join(extensionsDir, EXTENSION_FOLDER);
  mkdirSync(dest, { recursive: true });
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'package.nls.json', 'media', 'dist']) {
    if (existsSync(join(root, f))) cpSync(join(root, f), join(dest, f), { recursive: true });
  }
  if (!existsSync(join(dest, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run npm run build');
}

function scenarios(filter: string[]): { name: string; file: string }[] {
  const dir = __dirname;
  const all = readdirSync(dir).filter((f) => f.endsWith('.ui.js')).sort().map((f) => ({ name: f.slice(0, -'.ui.js'.length), file: join(dir, f) }));
  const chosen = filter.length ? all.filter((s) => filter.includes(s.name)) : all;
  if (filter.length && chosen.length !== filter.length) throw new Error(`unknown scenario in ${filter.join(', ')} (known: ${all.map((s) => s.name).join(', ')})`);
  return chosen;
}

async function runVersion(version: string, cp: ControlPlane, filter: string[]): Promise<Counts & { version: string; seconds: number }> {
  const t0 = Date.now();
  const c: Counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const dir = mkdtempSync(join(tmpdir(), `krustlet-ui-${version}-`));
  const workspace = join(dir, 'workspace');
  mkdirSync(workspace);
  const logDir = join(results, 'logs', `ui-${version}`);
  rmSync(logDir, { recursive: true, force: true });
  rmSync(join(results, 'screenshots', version), { recursive: true, force: true });
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  const shared = new Map<string, unknown>();
  const deferred: (() => Promise<void> | void)[] = [];
  try {
    installExtension(join(dir, 'ext'));
    server = await startCodeServer({
      version,
      workspace,
      userDataDir: join(dir, 'ud'),
      extensionsDir: join(dir, 'ext'),
      logFile: join(logDir, 'code-server.log'),
      env: { KUBECONFIG: cp.kubeconfigPath, KRUSTLET_TEST_KUBECONFIG: cp.kubeconfigPath, VSCODE_OPTIONS: undefined },
    });
    wb = await openWorkbench(server.url, { version, logFile: join(logDir, 'browser-console.log') });
    for (const s of scenarios(filter)) {
      console.log(`\n--- ${version} ${s.name} ---`);
      let n = 0;
      const ctx: UiContext = {
        page: wb.page, workbench: wb, version, vscodeVersion: server.vscodeVersion, server, controlPlane: cp,
        kubeconfigPath: cp.kubeconfigPath, workspace, logDir, shared,
        defer: (fn) => { deferred.push(fn); },
        log: (m) => console.log(`    ${m}`),
        screenshot: async (name) => {
          await screenshot(ctx.page, name).catch(() => '');
        },
        step: async (name, fn) => {
          const id = `${s.name}-${String(++n).padStart(2, '0')}-${name}`;
          try {
            await fn();
            c.passed++;
            console.log(`  ✔ ${name}`);
            await screenshot(ctx.page, id).catch(() => '');
          } catch (e) {
            c.failed++;
            c.failures.push(`${s.name}: ${name}: ${(e as Error).message.split('\n')[0]}`);
            console.log(`  ✘ ${name}\n${String((e as Error).stack ?? e).replace(/^/gm, '      ')}`);
            const shot = await screenshot(ctx.page, `${id}-FAILED`).catch(() => '');
            if (shot) console.log(`      screenshot: ${shot}`);
            throw new StepFailed(name);
          }
        },
      };
      try {
        const mod = (await import(s.file)) as { run?: Scenario };
        if (typeof mod.run !== 'function') throw new Error(`${s.file} exports no run(ctx)`);
        await mod.run(ctx);
      } catch (e) {
        if (!(e instanceof StepFailed)) {
          c.failed++;
          c.failures.push(`${s.name}: ${(e as Error).message.split('\n')[0]}`);
          console.log(`  ✘ ${s.name} (outside a step): ${(e as Error).stack ?? String(e)}`);
        }
      }
      await wb.page.keyboard.press('Escape').catch(() => {});
    }
  } catch (e) {
    c.failed++;
    c.failures.push(`setup: ${(e as Error).message.split('\n')[0]}`);
    console.log(`  ✘ setup on ${version}: ${(e as Error).stack ?? String(e)}`);
  } finally {
    for (const fn of deferred.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.log(`  (cleanup: ${(e as Error).message})`);
      }
    }
    await wb?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (c.failed > 0) console.log(`  logs: ${logDir}`);
  return { version, ...c, seconds: Math.round((Date.now() - t0) / 100) / 10 };
}

async function main(): Promise<number> {
  mkdirSync(results, { recursive: true });
  const filter = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const versions = testVersions();
  provisionCodeServer(versions);
  const perVersion: (Counts & { version: string; seconds: number })[] = [];
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane();
    for (const v of versions) {
      console.log(`\n=== UI scenarios on code-server ${v} ===`);
      const r = await runVersion(v, cp, filter);
      console.log(`=== ${v}: ${r.passed} steps passed, ${r.failed} failed in ${r.seconds} s ===`);
      perVersion.push(r);
    }
  } catch (e) {
    perVersion.push({ version: 'setup', passed: 0, failed: 1, skipped: 0, failures: [`setup: ${(e as Error).message}`], seconds: 0 });
    console.error((e as Error).stack ?? e);
  } finally {
    await cp?.stop();
  }
  const sum = {
    passed: perVersion.reduce((n, r) => n + r.passed, 0),
    failed: perVersion.reduce((n, r) => n + r.failed, 0),
    skipped: 0,
    failures: perVersion.flatMap((r) => r.failures.map((f) => `[${r.version}] ${f}`)),
    versions: perVersion,
  };
  writeFileSync(join(results, 'ui.json'), JSON.stringify(sum, null, 2) + '\n');
  console.log(`\nui tier: ${sum.passed} steps passed, ${sum.failed} failed`);
  return sum.failed === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
