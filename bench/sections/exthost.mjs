// Runs bench/extension/suite.js inside a real VS Code extension host: @vscode/test-electron's runTests
// with scripts/vscode/code-launcher (code-server + Chromium), the Krustlet extension and the hello-world
// fixture as development extensions. Returns what the suite wrote.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, repoPath, run } from '../lib/util.mjs';

const require = createRequire(import.meta.url);

export async function benchExtensionHost({ cp, quick, phases, scale, version }) {
  const { runTests } = require('@vscode/test-electron');
  // The launcher needs the compiled test support, and code-server provisioned (both quick when done already).
  if (!['codeServer.js', 'workbench.js'].every((f) => existsSync(repoPath('out', 'test', 'support', f)))) {
    log('extension host: compiling the test support (npm run compile-tests)');
    await run(process.execPath, [repoPath('node_modules', 'typescript', 'bin', 'tsc'), '-p', repoPath('tsconfig.test.json')], { cwd: repoPath(), timeoutMs: 600_000 });
    if (!existsSync(repoPath('out', 'test', 'support', 'codeServer.js'))) throw new Error('out/test/support is missing: run `npm run compile-tests`');
  }
  const prov = await run(repoPath('scripts', 'vscode', 'provision.sh'), [version], { cwd: repoPath(), timeoutMs: 15 * 60_000 });
  if (prov.code !== 0) throw new Error(`scripts/vscode/provision.sh ${version} failed: ${prov.stderr.slice(-500)}`);
  const work = mkdtempSync(join(tmpdir(), 'krustlet-bench-ext-'));
  const outFile = join(work, 'results.json');
  const workspace = join(work, 'workspace');
  const logDir = join(work, 'logs');
  const t0 = Date.now();
  let failure;
  try {
    const fs = require('node:fs');
    fs.mkdirSync(workspace);
    // The hello-world anchor as an installed extension (the workbench payload carries one development path).
    fs.cpSync(repoPath('bench', 'fixtures', 'hello-world'), join(work, 'ext', 'krustlet-bench.bench-hello-world-0.0.1'), { recursive: true });
    log(`extension host: code-server ${version}, phases ${phases.join(',')}`);
    // keep stdout for the table: the launcher's echo of the extension host goes to stderr
    const write = process.stdout.write;
    process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);
    try {
    await runTests({
      vscodeExecutablePath: repoPath('scripts', 'vscode', 'code-launcher'),
      extensionDevelopmentPath: repoPath(),
      extensionTestsPath: repoPath('bench', 'extension', 'suite.js'),
      launchArgs: [workspace, '--disable-extensions', `--user-data-dir=${join(work, 'ud')}`, `--extensions-dir=${join(work, 'ext')}`],
      extensionTestsEnv: {
        KRUSTLET_VSCODE_VERSION: version,
        KRUSTLET_LAUNCHER_LOG_DIR: logDir,
        KRUSTLET_TEST_TIMEOUT_MS: String(12 * 60_000),
        KRUSTLET_BENCH_OUT: outFile,
        KRUSTLET_BENCH_KUBECONFIG: cp.kubeconfigPath,
        KRUSTLET_BENCH_STATE_DIR: cp.dir,
        KRUSTLET_BENCH_QUICK: quick ? '1' : '0',
        KRUSTLET_BENCH_PHASES: phases.join(','),
        KRUSTLET_BENCH_SCALE: scale.join(','),
        KRUSTLET_BENCH_NODE: process.execPath,
      },
    });
    } finally {
      process.stdout.write = write;
    }
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  try {
    const results = existsSync(outFile) ? JSON.parse(readFileSync(outFile, 'utf8')) : { phases: {} };
    if (failure) results.runError = failure;
    results.seconds = Math.round((Date.now() - t0) / 100) / 10;
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
