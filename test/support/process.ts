/**
 * Small helpers shared by the test tiers: a free loopback port and process groups (the same code the
 * scripts use: scripts/lib/process.cjs), running the built CLI, and ending stray processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// Plain CommonJS shared with the build-free scripts; from out/test/support/ it is three folders up.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const shared = require(resolve(__dirname, '../../../scripts/lib/process.cjs')) as typeof import('../../scripts/lib/process.cjs');
export const { freePort, groupAlive, pidAlive, signalGroup, killGroup, killGroupsSync } = shared;

/** dist/cli.js, as built by `npm run build` (from out/test/support/). */
export const CLI = resolve(__dirname, '../../../dist/cli.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Process start to exit. */
  ms: number;
}

/** Runs `node dist/cli.js ARGS` with only PATH, HOME and `env` in its environment. */
export function runCli(args: string[], opts: { home: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  return startCli(args, opts).done;
}

/** Starts `node dist/cli.js ARGS` (as runCli): the child, to signal it, and its result once it exits. */
export function startCli(args: string[], opts: { home: string; env?: NodeJS.ProcessEnv }): { child: ChildProcess; done: Promise<CliRun> } {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: opts.home, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<CliRun>((res, rej) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code, signal) => res({ code: code ?? (signal ? -1 : -1), stdout, stderr, ms: Date.now() - started }));
  });
  return { child, done };
}

/**
 * Safety net for a failed UI run: SIGTERM to every process whose command line contains `needle` (a path only this
 * run uses, e.g. its own agent data folder). An agent task runs in a pty, outside code-server's process group.
 */
export function killProcessesMentioning(needle: string): number[] {
  const killed: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number)) {
    if (pid === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes(needle)) continue;
    try {
      process.kill(pid, 'SIGTERM');
      killed.push(pid);
    } catch {
      /* gone */
    }
  }
  return killed;
}
