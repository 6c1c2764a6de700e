/**
 * `krustlet-bootstrap`: the headless way to do what the extension does.
 *
 * To add a command group: write src/cli/<group>.ts exporting a CommandGroup (see ./common.ts)
 * and add it to COMMANDS below. Failures are thrown as KrustletError; main() prints one line
 * `error: <what went wrong. what to do.>` and exits 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeError } from '../core/errors';
import { redactSecrets } from '../core/log';
import { agentCommand } from './agent';
import { bootstrapCommand } from './bootstrap';
import type { CliIO, CommandGroup } from './common';
import { csrCommand } from './csr';
import { preflightCommand, rbacCommand } from './preflight';
import { tokenCommand } from './token';

export const COMMANDS: CommandGroup[] = [bootstrapCommand, tokenCommand, csrCommand, preflightCommand, rbacCommand, agentCommand];

export function version(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'krustlet-bootstrap' && pkg.version) return pkg.version;
      } catch {
        // keep looking
      }
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: krustlet-bootstrap <command> [options]

Join Krustlet nodes to a Kubernetes cluster: bootstrap tokens, bootstrap.conf, RBAC and CSRs.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}   ${c.summary}`).join('\n')}

Run \`krustlet-bootstrap <command> --help\` for a command's options. --version prints the version.
`;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const cmd = first === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.stdout(cmd ? cmd.help : usage());
    return first === undefined ? 1 : 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`${version()}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) {
    io.stderr(`error: Unknown command '${first.slice(0, 40)}'. Run \`krustlet-bootstrap --help\` for the commands.\n`);
    return 1;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    io.stderr(`error: ${redactSecrets(describeError(e).replace(/\s*\n\s*/g, ' '))}\n`);
    if (io.env.KRUSTLET_DEBUG && e instanceof Error && e.stack) io.stderr(`${redactSecrets(e.stack)}\n`);
    return 1;
  }
}

export const processIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

if (require.main === module) {
  void main(process.argv.slice(2), processIO).then((code) => {
    process.exitCode = code;
  });
}
