// A stand-in for the desktop `code` executable, for @vscode/test-electron's runTests({ vscodeExecutablePath }).
// It accepts the desktop flags (--extensionDevelopmentPath=, --extensionTestsPath=, --user-data-dir=,
// --extensions-dir=, a folder, and the flags it has no use for), starts code-server (version from env
// KRUSTLET_VSCODE_VERSION, default the first of KRUSTLET_VSCODE_VERSIONS) with
// VSCODE_OPTIONS=--enable-smoke-test-driver, opens the workbench in Chromium with the test payload in the
// URL, echoes the browser console (where the extension host's console goes), and exits with the code the
// suite passes to window.codeAutomationExit.
//
// Env: KRUSTLET_VSCODE_VERSION, KRUSTLET_TEST_TIMEOUT_MS (harness guard, default 15 min),
//      KRUSTLET_LAUNCHER_LOG_DIR (keep code-server + console logs there, and VS Code's logs on failure).
// On failure it prints the extension host's logs (remoteexthost.log, remoteagent.log, the extension's own).
// Needs the compiled test support (npm run compile-tests) and a provisioned code-server.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const support = (name) => {
  const file = join(root, 'out', 'test', 'support', `${name}.js`);
  if (!existsSync(file)) {
    console.error(`code-launcher: ${file} is missing. Run: npm run compile-tests`);
    process.exit(2);
  }
  return require(file);
};

const devPaths = [];
let testsPath;
let userDataDir;
let extensionsDir;
const folders = [];
const ignored = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
  const value = () => inline ?? argv[++i];
  switch (flag) {
    case '--extensionDevelopmentPath': devPaths.push(resolve(value())); break;
    case '--extensionTestsPath': testsPath = resolve(value()); break;
    case '--user-data-dir': userDataDir = resolve(value()); break;
    case '--extensions-dir': extensionsDir = resolve(value()); break;
    default:
      if (a.startsWith('-')) ignored.push(a);
      else folders.push(resolve(a));
  }
}
if (folders.length > 1) {
  console.error(`code-launcher: only one folder can be opened (got ${folders.join(', ')})`);
  process.exit(2);
}

const { startCodeServer, workbenchUrl, testVersions } = support('codeServer');
const { openWorkbench } = support('workbench');
const version = process.env.KRUSTLET_VSCODE_VERSION || testVersions()[0];
const logDir = process.env.KRUSTLET_LAUNCHER_LOG_DIR ? resolve(process.env.KRUSTLET_LAUNCHER_LOG_DIR) : undefined;
if (logDir) mkdirSync(logDir, { recursive: true });
const timeoutMs = Number(process.env.KRUSTLET_TEST_TIMEOUT_MS || 15 * 60_000);

const t0 = Date.now();
const say = (m) => console.log(`[code-launcher ${version}] ${m}`);
if (ignored.length) say(`ignoring desktop-only flags: ${ignored.join(' ')}`);

let cs;
let wb;
let code = 1;
try {
  cs = await startCodeServer({
    version,
    userDataDir,
    extensionsDir,
    logFile: logDir ? join(logDir, 'code-server.log') : undefined,
    env: { VSCODE_OPTIONS: '--enable-smoke-test-driver' },
  });
  say(`code-server ${cs.version} (VS Code ${cs.vscodeVersion}) on ${cs.port} in ${Date.now() - t0} ms`);
  const url = workbenchUrl(cs, { folder: folders[0], extensionDevelopmentPath: devPaths, extensionTestsPath: testsPath });
  wb = await openWorkbench(url, {
    version,
    logFile: logDir ? join(logDir, 'browser-console.log') : undefined,
    onConsole: (line) => console.log(line),
    waitReady: !testsPath,
  });
  if (!testsPath) {
    say('no --extensionTestsPath: the workbench stays open until this process is ended');
    await new Promise(() => {});
  }
  let timer;
  const timeout = new Promise((res) => { timer = setTimeout(() => res('timeout'), timeoutMs); });
  const r = await Promise.race([wb.automationExit, timeout]);
  clearTimeout(timer);
  if (r === 'timeout') {
    say(`the suite did not finish within ${timeoutMs} ms (KRUSTLET_TEST_TIMEOUT_MS)`);
    code = 1;
  } else {
    code = r;
  }
} catch (e) {
  say(`failed: ${e instanceof Error ? e.stack ?? e.message : e}`);
  code = 1;
}
if (code !== 0 && cs) printExtensionHostLogs(cs.userDataDir);
await wb?.close();
await cs?.stop();
say(`exit ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(code);

function printExtensionHostLogs(ud) {
  const logs = join(ud, 'logs');
  if (!existsSync(logs)) return;
  if (logDir) cpSync(logs, join(logDir, 'vscode-logs'), { recursive: true });
  const found = [];
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/^(remote)?exthost\.log$|^remoteagent\.log$/.test(n) || p.includes('krustlet-tools.')) found.push(p);
    }
  };
  walk(logs);
  for (const f of found) {
    console.log(`----- ${f} -----`);
    console.log(readFileSync(f, 'utf8').split('\n').slice(-200).join('\n'));
  }
}
