#!/usr/bin/env node
// `npm start`: a one-command playground. Builds the extension, starts a local Kubernetes control plane
// (unless you bring your own kubeconfig), prepares a playground workspace pointing at it, and opens a real
// VS Code (code-server on 127.0.0.1) with the extension installed. Ctrl-C stops everything it started.
//
//   npm start
//   npm start -- --kubeconfig ~/.kube/config     use your cluster instead of the local control plane
//   npm start -- --port 8080                     preferred port (a free one is used if it is taken)
//   npm start -- --vscode 4.139.1                code-server version (4.100.3 = VS Code 1.100, 4.139.1 = 1.139)
//   npm start -- --desktop                       also open the desktop `code` on the playground, if installed
//   npm start -- --dir DIR                       playground folder (default ~/.cache/krustlet-bootstrap/playground)
//   npm start -- --smoke                         start everything, check it answers and the workbench loads in
//                                                Chromium, stop, exit 0 (what test/integration/start.test.ts runs)
//
// The extension runs with its defaults, as it does for a new user: no krustlet.* setting and no tasks.json.
// What it finds comes from the environment code-server (and so the extension host and its terminals) gets,
// the way a kubectl and krustlet-wasi user has it: KUBECONFIG (the playground's cluster), PATH (krustlet-wasi:
// the stand-in when there is no real one), KRUSTLET_DATA_DIR (the agent's data folder, inside the playground:
// never your own ~/.krustlet).
//
// Everything lives in the playground folder, outside the repo:
//   cluster/       the control plane (admin.kubeconfig, state.json, logs/)
//   workspace/     the folder VS Code opens (README.md); recreated on each start (built in a temp folder, then
//                  renamed into place)
//   code-server/   user data, extensions (the extension copied from this repo), config.yaml, code-server.log
//   agent/         the stand-in agent (when no krustlet-wasi is on PATH), labelled simulated
//   agent-data/    KRUSTLET_DATA_DIR: the agent's credentials; emptied when a new local control plane starts
//                  (they belong to the cluster that is gone), kept with --kubeconfig
//   desktop-user-data/  the profile of the desktop `code` window (--desktop)
//   start.json     {pid, url, port, workspace, pids} of the running (or, with stopped: true, last) playground
//
// While it runs it watches the control plane: when one of its processes dies it says so and offers to start it
// again (Enter) — the same cluster comes back (controlplane.mjs revive: same port, certificates and data).
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync, cpSync, existsSync, openSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, groupAlive, killGroup, pidAlive } from './lib/process.cjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = process.env.KRUSTLET_CACHE || join(homedir(), '.cache', 'krustlet-bootstrap');
const STAND_IN_SRC = join(ROOT, 'test', 'fixtures', 'agent', 'standin.ts');
const DEFAULT_PORT = 8080;
const DEFAULT_VSCODE = '4.100.3';
const t0 = Date.now();

const USAGE = `usage: npm start -- [--kubeconfig PATH] [--port N] [--vscode 4.100.3|4.139.1] [--desktop] [--dir DIR] [--smoke]`;

function parseArgs(argv) {
  const o = { port: DEFAULT_PORT, portAsked: false, vscode: DEFAULT_VSCODE, desktop: false, smoke: false };
  const value = (i, name) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) fail(`${name} needs a value. ${USAGE}`, 2);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const take = () => (inline !== undefined ? inline : value(i++, flag));
    switch (flag) {
      case '--kubeconfig': o.kubeconfig = resolve(take()); break;
      case '--port': {
        const v = take();
        o.port = Number(v);
        o.portAsked = true;
        if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) fail(`--port ${v} is not a port number (1-65535).`, 2);
        break;
      }
      case '--vscode': o.vscode = take(); break;
      case '--dir': o.dir = resolve(take()); break;
      case '--desktop': o.desktop = true; break;
      case '--smoke': o.smoke = true; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: fail(`unknown argument ${a}. ${USAGE}`, 2);
    }
  }
  if (!/^\d+\.\d+\.\d+$/.test(o.vscode)) fail(`--vscode ${o.vscode}: give a code-server version such as 4.100.3 or 4.139.1.`, 2);
  if (o.kubeconfig && !existsSync(o.kubeconfig)) fail(`--kubeconfig ${o.kubeconfig} does not exist. Pass an existing kubeconfig file, or leave the flag out to use a local control plane.`, 2);
  o.dir ??= join(CACHE, 'playground');
  return o;
}

// ------------------------------------------------------------------------------------------- output
const say = (s = '') => process.stdout.write(`${s}\n`);
const note = (s) => process.stderr.write(`[start +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}\n`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
function fail(msg, code = 1) {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(code);
}

// ------------------------------------------------------------------------------------------- processes
// Every child runs in its own process group (detached) so that Ctrl-C reaches only us and we stop the
// groups in order. `children` holds the groups alive right now.
const children = new Set();
let stopping = false;
class Cancelled extends Error {}

function spawnGroup(cmd, args, opts = {}) {
  if (stopping) throw new Cancelled(); // stopAll may already have taken its snapshot of `children`
  const child = spawn(cmd, args, { detached: true, ...opts });
  children.add(child);
  child.exited = new Promise((res) => {
    child.on('error', (err) => { child.spawnError = err; children.delete(child); res({ code: 127, signal: null }); });
    child.on('exit', (code, signal) => { children.delete(child); res({ code, signal }); });
  });
  return child;
}

/** Stops a child's process group (scripts/lib/process.cjs) and waits for its exit event. */
async function stopChild(child, graceMs = 5000) {
  if (!child?.pid) return;
  await killGroup(child.pid, graceMs);
  await Promise.race([child.exited, sleep(1000)]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a step to completion; stdout captured (and echoed unless quiet), stderr passed through. */
async function runStep(label, cmd, args, { quiet = false, env } = {}) {
  if (stopping) throw new Cancelled();
  note(label);
  const child = spawnGroup(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: env ?? process.env });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { out += d; if (!quiet) process.stderr.write(d); });
  const { code, signal } = await child.exited;
  if (stopping) throw new Cancelled();
  if (child.spawnError) throw new Error(`${label}: ${child.spawnError.message}`);
  if (code !== 0) throw new StepError(`${label} failed (${signal ?? `exit ${code}`})`, out);
  return out;
}
class StepError extends Error { constructor(m, out) { super(m); this.out = out; } }
const lastLine = (s) => s.trimEnd().split('\n').pop() ?? '';

// ------------------------------------------------------------------------------------------- ports, http
function portFree(port) {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}
function httpStatus(url) {
  return new Promise((res) => {
    const req = request(url, { timeout: 2000 }, (r) => { r.resume(); res(r.statusCode ?? 0); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => res(0));
    req.end();
  });
}

function onPath(name) {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (!d) continue;
    const p = join(d, name);
    try { if (statSync(p).isFile()) return p; } catch { /* not here */ }
  }
  return undefined;
}

function tail(file, n = 30) {
  try { return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return '(no log)'; }
}

// ------------------------------------------------------------------------------------------- steps
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const state = { pid: process.pid, startedAt: new Date().toISOString() };
let opts;
let clusterDir;
let clusterStarted = false;
let codeServer;
let codeServerLog;

async function build() {
  await runStep('building the extension (npm run build)', process.execPath, [join(ROOT, 'scripts', 'build.mjs')]);
  if (!existsSync(join(ROOT, pkg.main ?? 'dist/extension.js'))) throw new Error(`the build produced no ${pkg.main}`);
}

async function provisionCluster() {
  const out = await runStep('provisioning the control plane binaries (scripts/cluster/provision.sh; cached)', 'bash',
    [join(ROOT, 'scripts', 'cluster', 'provision.sh')], { quiet: true });
  return lastLine(out);
}

async function provisionVscode(version) {
  const home = join(CACHE, 'vscode', `code-server-${version}`);
  // Already provisioned (provision.sh marks a verified install with .ok): skip it, it holds a lock for its whole run.
  if (!existsSync(join(home, '.ok'))) await runStep(`provisioning code-server ${version} and Chromium (scripts/vscode/provision.sh; cached)`, 'bash',
    [join(ROOT, 'scripts', 'vscode', 'provision.sh'), version], { quiet: true });
  const info = JSON.parse(readFileSync(join(home, 'info.json'), 'utf8'));
  return { bin: join(home, 'bin', 'code-server'), vscodeVersion: info.vscodeVersion };
}

async function startCluster(bin) {
  clusterDir = join(opts.dir, 'cluster');
  clusterStarted = true; // from here on, stop() runs `controlplane.mjs stop` (it reads the pids in state.json)
  let out;
  try {
    out = await runStep('starting the local control plane (etcd, kube-apiserver, kube-controller-manager)', process.execPath,
      [join(ROOT, 'scripts', 'cluster', 'controlplane.mjs'), 'start', '--dir', clusterDir, '--bin', bin, '--json'], { quiet: true });
  } catch (err) {
    if (err instanceof StepError) {
      // controlplane.mjs already printed each process' log tail on stderr; point at the full logs too.
      throw new Error(`the local control plane did not start. Its logs are in ${join(clusterDir, 'logs')}; ` +
        `the last lines are printed above. Fix the cause, or run against your own cluster with --kubeconfig PATH.`);
    }
    throw err;
  }
  return JSON.parse(lastLine(out));
}

/**
 * The stand-in agent (test/fixtures/agent/standin.ts), bundled with esbuild into the playground so it runs
 * without compiling the tests. Returns the path of its `krustlet-wasi` launcher.
 */
async function prepareStandIn() {
  if (stopping) throw new Cancelled();
  note('bundling the stand-in agent (simulated krustlet-wasi)');
  const dir = join(opts.dir, 'agent');
  const tmp = join(opts.dir, `.agent-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [STAND_IN_SRC], outfile: join(tmp, 'standin.js'), bundle: true, platform: 'node', format: 'cjs',
    target: 'node20', minify: true, logLevel: 'warning',
  });
  const launcher = join(tmp, 'krustlet-wasi');
  writeFileSync(launcher, [
    '#!/bin/sh',
    '# Stand-in krustlet-wasi (SIMULATED; bundled from test/fixtures/agent/standin.ts by `npm start`).',
    `exec ${JSON.stringify(process.execPath)} "$(dirname "$0")/standin.js" "$@"`,
    '',
  ].join('\n'), { mode: 0o755 });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return join(dir, 'krustlet-wasi');
}

/** The playground workspace, built in a temp folder and renamed into place (never half-written). */
function prepareWorkspace({ kubeconfig, agentPath, simulated, dataDir }) {
  const ws = join(opts.dir, 'workspace');
  const tmp = join(opts.dir, `.workspace-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'README.md'), [
    '# Krustlet Bootstrap playground',
    '',
    'The extension runs with its defaults here: no `krustlet.*` setting, no tasks.json. It finds what a kubectl and',
    'krustlet-wasi user has, through the environment `npm start` gives VS Code (and its terminals):',
    '',
    `- **Cluster** (\`KUBECONFIG\`): ${opts.kubeconfig ? `your kubeconfig \`${kubeconfig}\`` : `a local control plane started by \`npm start\` (\`${kubeconfig}\`)`}.`,
    `- **Agent** (\`krustlet-wasi\` on \`PATH\`): ${simulated ? `**simulated** — the project's stand-in (\`${agentPath}\`; no \`krustlet-wasi\` was on PATH). It joins like krustlet-wasi does (real bootstrap token, real CSRs) but runs no workloads` : `\`${agentPath ?? 'krustlet-wasi (not found on PATH: set krustlet.agentPath)'}\``}.`,
    `- **Agent data** (\`KRUSTLET_DATA_DIR\`): \`${dataDir}\` — inside the playground, not your \`~/.krustlet\`.`,
    '',
    'Open the Krustlet view in the activity bar, or the walkthrough: **Help → Open Walkthrough…** → *Get started with Krustlet*.',
    'Everything here is recreated on the next `npm start`; Ctrl-C in the terminal stops it all.',
    '',
  ].join('\n'));
  rmSync(ws, { recursive: true, force: true });
  renameSync(tmp, ws);
  return ws;
}

/** Copies the runtime part of the extension (manifest, dist/, media/, docs) into the extensions folder. */
function installExtension(extensionsDir) {
  const id = `${pkg.publisher}.${pkg.name}-${pkg.version}`;
  const dest = join(extensionsDir, id);
  const tmp = `${dest}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const entry of ['package.json', 'package.nls.json', 'dist', 'media', 'README.md', 'CHANGELOG.md', 'LICENSE', 'LICENSE.txt']) {
    const from = join(ROOT, entry);
    if (existsSync(from)) cpSync(from, join(tmp, entry), { recursive: true });
  }
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  return dest;
}

async function startCodeServer(bin, workspace, env) {
  const base = join(opts.dir, 'code-server');
  rmSync(base, { recursive: true, force: true });
  const ud = join(base, 'user-data');
  const ext = join(base, 'extensions');
  mkdirSync(join(ud, 'User'), { recursive: true });
  mkdirSync(ext, { recursive: true });
  writeFileSync(join(ud, 'User', 'settings.json'), JSON.stringify({
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'workbench.enableExperiments': false,
    // Opens the playground's README.md (what is here, where to start) instead of VS Code's own welcome page.
    'workbench.startupEditor': 'readme',
  }, null, 2) + '\n');
  installExtension(ext);
  codeServerLog = join(base, 'code-server.log');

  let port = opts.port;
  if (!(await portFree(port))) {
    const taken = port;
    port = await freePort();
    note(`port ${taken} is taken; using ${port}`);
  }
  for (let attempt = 1; ; attempt++) {
    if (stopping) throw new Cancelled();
    const config = join(base, 'config.yaml');
    writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
    note(`starting code-server on 127.0.0.1:${port}`);
    const fd = openSync(codeServerLog, 'a');
    codeServer = spawnGroup(bin, [
      '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--user-data-dir', ud, '--extensions-dir', ext, '--config', config,
      '--ignore-last-opened', workspace,
    ], {
      cwd: workspace,
      stdio: ['ignore', fd, fd],
      // VSCODE_CLI=1 (what VS Code sets when started from a terminal): otherwise the server replaces the extension
      // host's environment with a login shell's (bash -il), whose /etc/profile resets PATH — the extension would not
      // find krustlet-wasi (the stand-in) on PATH although npm start put it there.
      env: { ...process.env, ...env, VSCODE_CLI: '1', EXTENSIONS_GALLERY: '{"serviceUrl":"http://127.0.0.1:9/gallery"}' },
    });
    closeSync(fd);
    state.codeServer = { pid: codeServer.pid, version: opts.vscode, log: codeServerLog };
    writeState();
    // Wait for /healthz, or for it to exit (a port someone took meanwhile → try another).
    for (;;) {
      if (stopping) throw new Cancelled();
      const exited = await Promise.race([codeServer.exited, sleep(250).then(() => null)]);
      if (exited) break;
      if (await httpStatus(`http://127.0.0.1:${port}/healthz`) === 200) return { port, pid: codeServer.pid };
    }
    const log = tail(codeServerLog, 20);
    if (/EADDRINUSE|address already in use/i.test(log) && attempt < 4) {
      port = await freePort();
      note(`the port was taken meanwhile; retrying on ${port}`);
      continue;
    }
    throw new Error(`code-server exited before it answered /healthz. Last lines of ${codeServerLog}:\n${log}`);
  }
}

function openDesktop(workspace, env) {
  const code = onPath('code');
  if (!code) {
    note('--desktop: no `code` on PATH; use the browser URL above (install VS Code and its `code` command to open it on the desktop).');
    return;
  }
  // Desktop VS Code with this repo as a development extension, in its own user-data folder (a new instance, so
  // it gets the playground's environment; never your own profile). It runs on its own: Ctrl-C here does not close it.
  const ud = join(opts.dir, 'desktop-user-data');
  mkdirSync(join(ud, 'User'), { recursive: true });
  writeFileSync(join(ud, 'User', 'settings.json'), JSON.stringify({ 'telemetry.telemetryLevel': 'off' }, null, 2) + '\n');
  const r = spawnSync(code, ['--new-window', '--user-data-dir', ud, `--extensionDevelopmentPath=${ROOT}`, workspace], { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status === 0) say(`  desktop:   opened \`code\` on ${workspace} (close that window yourself; Ctrl-C here does not)`);
  else note(`--desktop: \`code\` exited ${r.status ?? r.signal}; use the browser URL above.`);
}

async function smokeCheck(url) {
  const { chromium } = await import('playwright-core');
  const executablePath = process.env.KRUSTLET_CHROMIUM || onPath('chromium') || onPath('chromium-browser');
  if (!executablePath) throw new Error('--smoke needs Chromium (apt-get install chromium, or scripts/vscode/provision.sh).');
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url);
    await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 60_000 });
    // The workspace is open: its README shows in the Explorer.
    await page.waitForSelector('.explorer-folders-view .monaco-list-row[aria-label*="README.md"], .explorer-folders-view .monaco-list-row:has-text("README.md")', { timeout: 60_000 });
    const checks = ['workbench loaded', 'playground workspace open in the Explorer'];
    // The extension is installed: its activity-bar container shows (when the manifest contributes one).
    const containers = pkg.contributes?.viewsContainers?.activitybar ?? [];
    for (const c of containers) {
      await page.waitForSelector(`.activitybar .action-item a[aria-label^="${c.title}"], .activitybar .action-label[aria-label^="${c.title}"]`, { timeout: 60_000 });
      checks.push(`activity bar shows "${c.title}"`);
    }
    if (process.env.KRUSTLET_SMOKE_SCREENSHOT) await page.screenshot({ path: process.env.KRUSTLET_SMOKE_SCREENSHOT });
    return checks;
  } finally {
    await browser.close();
  }
}

function writeState() {
  const file = join(opts.dir, 'start.json');
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

// ------------------------------------------------------------------------------------------- control plane watch
const CONTROL_PLANE_ORDER = ['etcd', 'kube-apiserver', 'kube-controller-manager'];

/**
 * Checks every second that the control plane's processes still run. When one is gone: says which, with its last
 * log lines, and offers to start it again (Enter; `controlplane.mjs revive` — the same cluster comes back, so the
 * extension and the agent reconnect by themselves). Without a terminal to answer from, it prints the command.
 */
function watchControlPlane(cp) {
  let offering = false;
  const reported = new Set(); // pids already reported dead: each death is reported once
  const pids = () => {
    try { return JSON.parse(readFileSync(join(clusterDir, 'state.json'), 'utf8')).pids ?? cp.pids; } catch { return cp.pids; }
  };
  const timer = setInterval(() => {
    if (stopping || offering) return;
    const current = pids();
    const dead = CONTROL_PLANE_ORDER.filter((name) => current[name] && !reported.has(current[name]) && !groupAlive(current[name]) && !pidAlive(current[name]));
    if (!dead.length) return;
    for (const n of dead) reported.add(current[n]);
    offering = true;
    const logs = join(clusterDir, 'logs');
    say('');
    say(`control plane: ${dead.map((n) => `${n} (pid ${current[n]})`).join(', ')} stopped running — the cluster ${cp.server} is down, and the Krustlet view reports it unreachable.`);
    for (const n of dead) say(`  last lines of ${join(logs, `${n}.log`)}:\n${tail(join(logs, `${n}.log`), 3).replace(/^/gm, '    ')}`);
    void offerRevive(dead).finally(() => { offering = false; });
  }, 1000);
  timer.unref();
}

async function offerRevive(dead) {
  const command = `node ${join(ROOT, 'scripts', 'cluster', 'controlplane.mjs')} revive --dir ${clusterDir}`;
  for (;;) {
    say(`Press Enter to start ${dead.length === 1 ? 'it' : 'them'} again (the same cluster: port, certificates and data are kept), or Ctrl-C to stop everything.`);
    const answered = await readLine();
    if (stopping) return;
    if (!answered) {
      say(`(no terminal to answer from) To start it again: ${command}`);
      return; // the watch reports again if that revives and it dies once more
    }
    const t = Date.now();
    try {
      // a process group of its own like every step, so Ctrl-C meanwhile stops it too
      const out = await runStep(`starting ${dead.join(', ')} again (controlplane.mjs revive)`, process.execPath,
        [join(ROOT, 'scripts', 'cluster', 'controlplane.mjs'), 'revive', '--dir', clusterDir, '--json'], { quiet: true });
      const revived = JSON.parse(lastLine(out));
      state.cluster = { ...state.cluster, pids: revived.pids };
      writeState();
      say(`control plane: ${dead.join(', ')} running again; ${revived.server} answers (${secs(Date.now() - t)}). The Krustlet view reconnects by itself.`);
      return;
    } catch (err) {
      if (err instanceof Cancelled || stopping) return;
      say(`control plane: starting ${dead.join(', ')} again failed (${err.message}); the reason is printed above, the logs are in ${join(clusterDir, 'logs')}.`);
    }
  }
}

/** One line from stdin: true when a line came, false when stdin is closed (or not there at all). */
function readLine() {
  if (process.stdin.readableEnded || process.stdin.destroyed) return Promise.resolve(false);
  return new Promise((res) => {
    // terminal: false keeps the terminal's own Ctrl-C (a SIGINT to us) working while we wait.
    const rl = createInterface({ input: process.stdin, terminal: false });
    let done = false;
    rl.once('line', () => { done = true; rl.close(); res(true); });
    rl.once('close', () => { if (!done) res(false); });
  });
}

// ------------------------------------------------------------------------------------------- stop
let stopPromise;
function stopAll(reason) {
  stopPromise ??= (async () => {
    stopping = true;
    if (reason) note(reason);
    // Whatever step is running (build, provisioning, control plane start) and code-server.
    await Promise.all([...children].map((child) => stopChild(child)));
    if (clusterStarted && clusterDir) {
      note('stopping the control plane');
      const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'cluster', 'controlplane.mjs'), 'stop', '--dir', clusterDir],
        { stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0) note(`controlplane.mjs stop exited ${r.status}`);
    }
    if (opts?.dir) {
      for (const t of ['.workspace-', '.agent-']) rmSync(join(opts.dir, `${t}${process.pid}`), { recursive: true, force: true });
      // Keep start.json (pids included) marked stopped: it tells what ran, and the next start ignores it.
      if (state.startedAt && existsSync(join(opts.dir, 'start.json'))) {
        state.stopped = true;
        writeState();
      }
    }
  })();
  return stopPromise;
}

let exiting = false;
function onSignal(sig) {
  if (exiting) return;
  exiting = true;
  void stopAll(`${sig}: stopping everything`).then(() => { note('stopped'); process.exit(0); });
}
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('SIGHUP', () => onSignal('SIGHUP'));

// ------------------------------------------------------------------------------------------- main
function guardSingleInstance() {
  const file = join(opts.dir, 'start.json');
  if (!existsSync(file)) return;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8'));
    if (s.pid && s.pid !== process.pid && !s.stopped) {
      try {
        process.kill(s.pid, 0);
        fail(`another \`npm start\` (pid ${s.pid}) is using ${opts.dir}${s.url ? ` at ${s.url}` : ''}. Stop it (Ctrl-C there, or kill ${s.pid}), or pass --dir DIR for a second playground.`);
      } catch (err) {
        if (err?.code !== 'ESRCH') throw err;
      }
    }
  } catch (err) {
    if (err instanceof SyntaxError) return;
    throw err;
  }
}

async function main() {
  opts = parseArgs(process.argv.slice(2));
  mkdirSync(opts.dir, { recursive: true });
  guardSingleInstance();
  writeState();
  for (const e of readdirSync(opts.dir)) {
    // leftovers of a run that was killed with SIGKILL
    if (e.startsWith('.workspace-') || e.startsWith('.agent-')) rmSync(join(opts.dir, e), { recursive: true, force: true });
  }

  // The control plane (≈ 10 s) and the VS Code side (build, stand-in agent, workspace, code-server) start side by side;
  // the workspace can name the kubeconfig before it exists, and the URL is printed only once both are up.
  const clusterTask = opts.kubeconfig ? Promise.resolve(undefined) : provisionCluster().then(startCluster);
  const kubeconfig = opts.kubeconfig ?? join(opts.dir, 'cluster', 'admin.kubeconfig');
  const dataDir = join(opts.dir, 'agent-data');
  // A new local control plane is a new cluster: the agent credentials of the last one are of no use (and would
  // make the agent skip bootstrapping against a cluster that is gone). With --kubeconfig they are kept.
  if (!opts.kubeconfig) rmSync(dataDir, { recursive: true, force: true });
  const vscodeTask = (async () => {
    await build();
    const vscode = await provisionVscode(opts.vscode);
    const real = onPath('krustlet-wasi');
    const simulated = !real && existsSync(STAND_IN_SRC);
    const agentPath = real ?? (simulated ? await prepareStandIn() : undefined);
    if (stopping) throw new Cancelled();
    const workspace = prepareWorkspace({ kubeconfig, agentPath, simulated, dataDir });
    const env = {
      KUBECONFIG: kubeconfig,
      KRUSTLET_DATA_DIR: dataDir,
      ...(simulated ? { PATH: `${dirname(agentPath)}${delimiter}${process.env.PATH ?? ''}` } : {}),
    };
    const { port, pid } = await startCodeServer(vscode.bin, workspace, env);
    return { vscode, agentPath, simulated, workspace, port, pid, env };
  })();
  const [cp, { vscode, agentPath, simulated, workspace, port, pid, env }] = await Promise.all([clusterTask, vscodeTask]);
  if (cp && resolve(cp.kubeconfigPath) !== kubeconfig) throw new Error(`controlplane.mjs wrote its kubeconfig to ${cp.kubeconfigPath}, not ${kubeconfig}`);
  if (cp) state.cluster = { dir: clusterDir, server: cp.server, pids: cp.pids };
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace).replaceAll('%2F', '/')}`;
  Object.assign(state, { url, port, workspace, codeServer: { pid, version: opts.vscode, log: codeServerLog } });
  writeState();

  say('');
  say(`Krustlet Bootstrap playground is ready (${secs(Date.now() - t0)})`);
  say(`  URL:       ${url}`);
  say(`  VS Code:   ${vscode.vscodeVersion} (code-server ${opts.vscode})${opts.portAsked && port !== opts.port ? ` — port ${opts.port} was taken` : ''}`);
  say(cp
    ? `  cluster:   local control plane ${cp.server} (KUBECONFIG=${kubeconfig})`
    : `  cluster:   your kubeconfig (KUBECONFIG=${kubeconfig})`);
  say(agentPath
    ? `  agent:     ${simulated ? 'SIMULATED stand-in agent (no krustlet-wasi on PATH), as krustlet-wasi on PATH: ' : ''}${agentPath}`
    : '  agent:     none found (set krustlet.agentPath to your krustlet-wasi build)');
  say(`  agent data: ${dataDir} (KRUSTLET_DATA_DIR; not your ~/.krustlet)`);
  say(`  workspace: ${workspace}`);
  if (opts.desktop) openDesktop(workspace, env);

  if (opts.smoke) {
    const checks = await smokeCheck(url);
    say(`smoke: /healthz 200; ${checks.join('; ')}`);
    await stopAll();
    say('smoke: ok (everything stopped)');
    process.exit(0);
  }
  say('Press Ctrl-C to stop everything.');
  if (cp) watchControlPlane(cp);
  const { code, signal } = await codeServer.exited;
  if (stopping) return; // the signal handler exits
  await stopAll();
  fail(`code-server stopped on its own (${signal ?? `exit ${code}`}). Last lines of ${codeServerLog}:\n${tail(codeServerLog)}`);
}

main().catch(async (err) => {
  if (err instanceof Cancelled || stopping) { await stopPromise; return; }
  await stopAll();
  if (err instanceof StepError && err.out) process.stderr.write(err.out.slice(-4000));
  fail(err.message);
});
