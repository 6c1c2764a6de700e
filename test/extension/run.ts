// The extension tier: the standard @vscode/test-electron runner, once per VS Code version.
//
//   npm run build && npm run compile-tests && node out/test/extension/run.js
//   KRUSTLET_VSCODE_VERSIONS=4.100.3 node out/test/extension/run.js
//   KRUSTLET_USE_DESKTOP_VSCODE=1 node out/test/extension/run.js   # let test-electron download desktop VS Code
//   KRUSTLET_TEST_GREP=activation node out/test/extension/run.js   # only tests whose title matches
//
// Here (no downloads but npm and apt) vscodeExecutablePath is scripts/vscode/code-launcher, which runs
// the desktop flags through code-server + Chromium. One real control plane serves all versions; its
// admin kubeconfig reaches the tests as KRUSTLET_TEST_KUBECONFIG (plus KRUSTLET_TEST_SERVER,
// KRUSTLET_TEST_CA). Every other KRUSTLET_TEST_* variable of this process is passed through too.
//
// Writes test-results/extension-<version>.json and test-results/extension.json (summed + per version).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { codeServerInstall, provisionCodeServer, repoRoot, testVersions } from '../support/codeServer';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}

interface VersionResult extends Counts {
  version: string;
  vscodeVersion?: string;
  seconds: number;
}

const root = repoRoot();
const results = join(root, 'test-results');
const desktop = process.env.KRUSTLET_USE_DESKTOP_VSCODE === '1';

function readCounts(file: string): Counts | undefined {
  if (!existsSync(file)) return undefined;
  const c = JSON.parse(readFileSync(file, 'utf8')) as Partial<Counts>;
  return { passed: c.passed ?? 0, failed: c.failed ?? 0, skipped: c.skipped ?? 0, failures: c.failures ?? [] };
}

async function runVersion(version: string, workspace: string, testEnv: Record<string, string>): Promise<VersionResult> {
  const t0 = Date.now();
  const rawFile = join(results, `extension-${version}.raw.json`);
  rmSync(rawFile, { force: true });
  const profile = mkdtempSync(join(tmpdir(), `krustlet-ext-${version}-`));
  const logDir = join(results, 'logs', `extension-${version}`);
  rmSync(logDir, { recursive: true, force: true });
  let vscodeVersion: string | undefined;
  let exitNote: string | undefined;
  try {
    const common = {
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'out', 'test', 'extension', 'index.js'),
      launchArgs: [workspace, '--disable-extensions', `--user-data-dir=${join(profile, 'ud')}`, `--extensions-dir=${join(profile, 'ext')}`],
      extensionTestsEnv: {
        ...testEnv,
        KRUSTLET_VSCODE_VERSION: version,
        KRUSTLET_TEST_RESULTS: rawFile,
        KRUSTLET_LAUNCHER_LOG_DIR: logDir,
      },
    };
    if (desktop) {
      vscodeVersion = version;
      await runTests({ ...common, version });
    } else {
      vscodeVersion = codeServerInstall(version).vscodeVersion;
      await runTests({ ...common, vscodeExecutablePath: join(root, 'scripts', 'vscode', 'code-launcher') });
    }
  } catch (e) {
    exitNote = `VS Code run failed: ${(e as Error).message}`;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  const c = readCounts(rawFile) ?? { passed: 0, failed: 0, skipped: 0, failures: [] };
  rmSync(rawFile, { force: true });
  if (exitNote && c.failed === 0) {
    c.failed = 1;
    c.failures.push(exitNote);
  }
  if (!exitNote && c.passed + c.failed === 0) {
    c.failed = 1;
    c.failures.push('the suite ran no tests');
  }
  const r: VersionResult = { version, vscodeVersion, ...c, seconds: Math.round((Date.now() - t0) / 100) / 10 };
  writeFileSync(join(results, `extension-${version}.json`), JSON.stringify(r, null, 2) + '\n');
  if (r.failed > 0) printLogs(logDir);
  return r;
}

function printLogs(logDir: string): void {
  // the launcher already echoed the browser console (which carries the extension host's console);
  // code-server's own log is the part that is not on screen yet
  const f = join(logDir, 'code-server.log');
  if (existsSync(f)) console.log(`----- ${f} -----\n${readFileSync(f, 'utf8').split('\n').slice(-80).join('\n')}`);
}

async function main(): Promise<number> {
  mkdirSync(results, { recursive: true });
  const versions = desktop ? (process.env.KRUSTLET_DESKTOP_VSCODE_VERSIONS ?? '1.100.3,stable').split(',') : testVersions();
  if (!desktop) provisionCodeServer(versions);

  const testEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('KRUSTLET_TEST_') && v !== undefined) testEnv[k] = v;

  let cp: ControlPlane | undefined;
  const workspace = mkdtempSync(join(tmpdir(), 'krustlet-ws-'));
  const perVersion: VersionResult[] = [];
  try {
    if (!testEnv.KRUSTLET_TEST_KUBECONFIG) {
      const t = Date.now();
      cp = await startControlPlane();
      console.log(`control plane ${cp.server} ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      testEnv.KRUSTLET_TEST_KUBECONFIG = cp.kubeconfigPath;
      testEnv.KRUSTLET_TEST_SERVER = cp.server;
      testEnv.KRUSTLET_TEST_CA = cp.caPath;
    }
    for (const v of versions) {
      console.log(`\n=== extension tests on ${desktop ? 'VS Code' : 'code-server'} ${v} ===`);
      const r = await runVersion(v, workspace, testEnv);
      console.log(`=== ${v}: ${r.passed} passed, ${r.failed} failed in ${r.seconds} s ===`);
      perVersion.push(r);
    }
  } catch (e) {
    perVersion.push({ version: 'setup', passed: 0, failed: 1, skipped: 0, failures: [`setup: ${(e as Error).message}`], seconds: 0 });
    console.error((e as Error).stack ?? e);
  } finally {
    await cp?.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
  const sum = {
    passed: perVersion.reduce((n, r) => n + r.passed, 0),
    failed: perVersion.reduce((n, r) => n + r.failed, 0),
    skipped: perVersion.reduce((n, r) => n + r.skipped, 0),
    failures: perVersion.flatMap((r) => r.failures.map((f) => `[${r.version}] ${f}`)),
    versions: perVersion,
  };
  writeFileSync(join(results, 'extension.json'), JSON.stringify(sum, null, 2) + '\n');
  console.log(`\nextension tier: ${sum.passed} passed, ${sum.failed} failed`);
  return sum.failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
