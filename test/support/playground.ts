// `npm start` (scripts/start.mjs) run by tests: the integration test of the command itself, and the UI tier's
// cold start, which clicks through a fresh playground as a new user.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './codeServer';

export interface StartRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when a stdout/stderr line matches. Rejects if the process exits first. */
  waitFor: (re: RegExp) => Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node scripts/start.mjs ARGS` (what `npm start -- ARGS` runs) with its output captured. */
export function startScript(args: string[], env: NodeJS.ProcessEnv = {}, o: { stdin?: 'pipe' } = {}): StartRun {
  const root = repoRoot();
  const child = spawn(process.execPath, [join(root, 'scripts', 'start.mjs'), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: [o.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = (out + err).match(w.re);
      if (m) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; check(); });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; check(); });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`start.mjs exited (${code ?? signal}) before ${w.re}\n${out}\n${err}`));
      res({ code, signal });
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor: (re) => new Promise((resolve, reject) => {
      const m = (out + err).match(re);
      if (m) resolve(m);
      else if (child.exitCode !== null) reject(new Error(`start.mjs already exited before ${re}`));
      else waiters.push({ re, resolve, reject });
    }),
  };
}

/** A running `npm start` playground: its URL, folder, the cluster it started, and how to stop it. */
export interface Playground {
  run: StartRun;
  dir: string;
  url: string;
  workspace: string;
  /** KRUSTLET_DATA_DIR of the playground (the agent's data folder). */
  dataDir: string;
  /** The playground's admin kubeconfig (its own local control plane). */
  kubeconfigPath: string;
  /** The control plane's state: server URL and the pid of each process. */
  cluster(): { server: string; pids: Record<string, number> };
  /** SIGTERM and wait: npm start stops everything it started. */
  stop(): Promise<void>;
}

/**
 * `npm start -- --dir DIR --port P --vscode V`, as a new user runs it (stdin a pipe, to answer its questions),
 * resolved once it prints the URL.
 */
export async function startPlayground(dir: string, o: { version: string; port: number; env?: NodeJS.ProcessEnv }): Promise<Playground> {
  const run = startScript(['--dir', dir, '--port', String(o.port), '--vscode', o.version], o.env ?? {}, { stdin: 'pipe' });
  const stop = async (): Promise<void> => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGTERM');
    await run.exit;
  };
  try {
    const [, url] = await run.waitFor(/URL:\s+(\S+)/);
    const [, workspace] = await run.waitFor(/workspace:\s+(\S+)/);
    return {
      run, dir, url, workspace, stop,
      dataDir: join(dir, 'agent-data'),
      kubeconfigPath: join(dir, 'cluster', 'admin.kubeconfig'),
      cluster: () => JSON.parse(readFileSync(join(dir, 'cluster', 'state.json'), 'utf8')) as { server: string; pids: Record<string, number> },
    };
  } catch (e) {
    await stop();
    throw new Error(`npm start did not print its URL: ${(e as Error).message}\n${run.stdout()}\n${run.stderr().slice(-3000)}`, { cause: e });
  }
}
