// A real VS Code for tests: code-server (provisioned by scripts/vscode/provision.sh, cached outside the
// repo) on a free 127.0.0.1 port, offline and throwaway.
//
//   const cs = await startCodeServer({ version: '4.100.3', workspace });
//   ... open cs.url (or workbenchUrl(cs, {...})) in Chromium (see workbench.ts) ...
//   await cs.stop();
//
// Env: KRUSTLET_CACHE (cache root), KRUSTLET_VSCODE_VERSIONS (comma list; default both versions).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort, signalGroup } from './process';

export const DEFAULT_VSCODE_VERSIONS = ['4.100.3', '4.139.1'];

/** The code-server versions to test against: KRUSTLET_VSCODE_VERSIONS (comma list) or both defaults. */
export function testVersions(): string[] {
  const raw = process.env.KRUSTLET_VSCODE_VERSIONS?.trim();
  if (!raw) return [...DEFAULT_VSCODE_VERSIONS];
  return raw.split(/[\s,]+/).filter(Boolean);
}

/** The repository root (the folder whose package.json is this extension's). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'krustlet-bootstrap') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no krustlet-bootstrap package.json above ${__dirname}`);
    dir = up;
  }
}

export function cacheRoot(): string {
  return process.env.KRUSTLET_CACHE || join(homedir(), '.cache', 'krustlet-bootstrap');
}

export interface CodeServerInstall {
  version: string;
  vscodeVersion: string;
  node: string;
  bin: string;
}

/** Reads what provision.sh recorded for a version; throws with the command to run when it is missing. */
export function codeServerInstall(version: string): CodeServerInstall {
  const dir = join(cacheRoot(), 'vscode', `code-server-${version}`);
  const info = join(dir, 'info.json');
  if (!existsSync(join(dir, '.ok')) || !existsSync(info)) {
    throw new Error(`code-server ${version} is not provisioned. Run: scripts/vscode/provision.sh ${version}`);
  }
  return JSON.parse(readFileSync(info, 'utf8')) as CodeServerInstall;
}

/** Runs scripts/vscode/provision.sh for the versions (idempotent; quick when cached). Output goes to stderr. */
export function provisionCodeServer(versions: string[] = testVersions()): void {
  const script = join(repoRoot(), 'scripts', 'vscode', 'provision.sh');
  const r = spawnSync(script, versions, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${script} ${versions.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

export { freePort };

export interface CodeServerOptions {
  /** code-server version (default: the first of testVersions()). */
  version?: string;
  /** Folder to open; only used to build `url`. */
  workspace?: string;
  userDataDir?: string;
  extensionsDir?: string;
  /** Extra environment for code-server and so for its extension host (e.g. VSCODE_OPTIONS, KRUSTLET_TEST_*). */
  env?: Record<string, string | undefined>;
  /** User settings merged over the defaults (telemetry off, no welcome page …). */
  settings?: Record<string, unknown>;
  /** Where code-server's stdout/stderr go (default: <dir>/code-server.log). */
  logFile?: string;
}

export interface CodeServer {
  /** http://127.0.0.1:PORT/ (with ?folder= when a workspace was given). */
  url: string;
  port: number;
  version: string;
  vscodeVersion: string;
  /** Holds config.yaml, and ud/ ext/ unless given. */
  dir: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  pid: number;
  /** Kills the process group and waits for it; idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) killGroup(p, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const p of live) killGroup(p, 'SIGKILL');
      process.exit(130);
    });
  }
}

function killGroup(p: ChildProcess, sig: NodeJS.Signals): void {
  signalGroup(p.pid, sig);
}

const DEFAULT_SETTINGS: Record<string, unknown> = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
};

export async function startCodeServer(opts: CodeServerOptions = {}): Promise<CodeServer> {
  const version = opts.version ?? testVersions()[0];
  const install = codeServerInstall(version);
  const dir = mkdtempSync(join(tmpdir(), `krustlet-cs-${version}-`));
  const userDataDir = resolve(opts.userDataDir ?? join(dir, 'ud'));
  const extensionsDir = resolve(opts.extensionsDir ?? join(dir, 'ext'));
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const settingsFile = join(userDataDir, 'User', 'settings.json');
  const existing = existsSync(settingsFile) ? (JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(settingsFile, JSON.stringify({ ...DEFAULT_SETTINGS, ...existing, ...opts.settings }, null, 2));

  const port = await freePort();
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const logFile = opts.logFile ?? join(dir, 'code-server.log');
  mkdirSync(dirname(logFile), { recursive: true });
  const out = createWriteStream(logFile, { flags: 'a' });
  out.on('error', () => { /* a lost log file must not end the run */ });

  const env: Record<string, string | undefined> = {
    ...process.env,
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery' }),
    ...opts.env,
  };
  // code-server reads PASSWORD/HASHED_PASSWORD; keep them out of the throwaway server
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  const args = [
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--config', config,
  ];
  const child = spawn(install.bin, args, { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  live.add(child);
  installExitHook();
  let exited = false;
  const exitP = new Promise<void>((res) => child.once('exit', () => { exited = true; live.delete(child); res(); }));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return exitP;
    stopped = true;
    if (!exited) {
      killGroup(child, 'SIGTERM');
      const t = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
      await exitP;
      clearTimeout(t);
    }
    out.end();
    if (!opts.userDataDir && !opts.extensionsDir && !opts.logFile) rmSync(dir, { recursive: true, force: true });
  };

  const base = `http://127.0.0.1:${port}`;
  // wait for /healthz, or for the process to die
  for (;;) {
    if (exited) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      throw new Error(`code-server ${version} exited before answering /healthz:\n${log.slice(-4000)}`);
    }
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  const url = opts.workspace ? `${base}/?folder=${encodeURIComponent(resolve(opts.workspace))}` : `${base}/`;
  return { url, port, version, vscodeVersion: install.vscodeVersion, dir, userDataDir, extensionsDir, logFile, pid: child.pid!, stop };
}

/**
 * The workbench URL that makes the server's Node extension host load a development extension and, if
 * given, run a test suite (the desktop --extensionDevelopmentPath/--extensionTestsPath, as URL payload).
 * code-server >= 4.1xx honours it only with env VSCODE_OPTIONS=--enable-smoke-test-driver.
 */
export function workbenchUrl(
  server: Pick<CodeServer, 'port'>,
  o: { folder?: string; extensionDevelopmentPath?: string[]; extensionTestsPath?: string },
): string {
  const authority = `127.0.0.1:${server.port}`;
  const remote = (p: string): string => `vscode-remote://${authority}${resolve(p)}`;
  const payload: [string, string][] = [];
  for (const p of o.extensionDevelopmentPath ?? []) payload.push(['extensionDevelopmentPath', remote(p)]);
  if (o.extensionTestsPath) payload.push(['extensionTestsPath', remote(o.extensionTestsPath)]);
  const q: string[] = [];
  if (o.folder) q.push(`folder=${encodeURIComponent(resolve(o.folder))}`);
  if (payload.length) q.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  return `http://${authority}/${q.length ? `?${q.join('&')}` : ''}`;
}

/**
 * Merges values into a VS Code settings file (user, Machine or workspace), creating it if needed; `undefined`
 * removes a key. Written from outside: reload the window for the extension to see it at once.
 */
export function mergeSettings(file: string, values: Record<string, unknown>): void {
  mkdirSync(dirname(file), { recursive: true });
  let current: Record<string, unknown>;
  try {
    current = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    current = {};
  }
  const next: Record<string, unknown> = { ...current, ...values };
  for (const [k, v] of Object.entries(values)) if (v === undefined) delete next[k];
  writeFileSync(file, JSON.stringify(next, null, 2) + '\n');
}

/** Prints the tail of the extension's log (its LogOutputChannel file under the code-server's logs folder). */
export function printExtensionLog(userDataDir: string): void {
  const files: string[] = [];
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      try {
        if (statSync(p).isDirectory()) walk(p);
        else if (/krustlet/i.test(e) && e.endsWith('.log')) files.push(p);
      } catch {
        /* vanished */
      }
    }
  };
  walk(join(userDataDir, 'logs'));
  if (!files.length) {
    console.log(`      extension log: none found under ${join(userDataDir, 'logs')}`);
    return;
  }
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').trimEnd().split('\n');
    console.log(`      extension log ${f} (last ${Math.min(60, lines.length)} lines):`);
    for (const l of lines.slice(-60)) console.log(`        ${l}`);
  }
}
