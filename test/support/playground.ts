// `npm start` (scripts/start.mjs) run by tests: the integration test of the command itself, and the UI tier's
// cold start, which clicks through a fresh playground as a new user.
import { spawn, type ChildProcess } from 'node:child_process';
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
