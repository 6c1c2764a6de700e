/**
 * Small helpers shared by the test tiers: a free loopback port and process groups (the same code the
 * scripts use: scripts/lib/process.cjs), and running the built CLI.
 */
import { spawn } from 'node:child_process';
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
  return new Promise((res, rej) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, HOME: opts.home, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr, ms: Date.now() - started }));
  });
}
