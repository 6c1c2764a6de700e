/**
 * `krustlet-bootstrap`: the headless way to do what the extension does.
 *
 * To add a command group: write src/cli/<group>.ts exporting a CommandGroup (see ./common.ts)
 * and add an entry to COMMANDS below. Failures are thrown as KrustletError; main() prints one line
 * `error: <what went wrong. what to do.>` and exits 1.
 *
 * Groups load lazily: the table holds only names and summaries, and `load` imports the group's
 * module when it runs (esbuild turns the `import()` into a deferred require). So `bootstrap` never
 * initialises the CSR review's x509 stack, and `--version`/`--help` initialise no group at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { redactSecrets } from '../core/log';
import { createInterface } from 'node:readline';
import { displaySafeIO, SIGNAL_EXIT, type CliIO, type CommandGroup } from './common';
import { errorLine } from './errors';

/** A row of the command table: what `--help` lists, and how to load the group when it runs. */
export interface CommandEntry {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  load(): Promise<CommandGroup>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'bootstrap', summary: 'create a bootstrap token and write bootstrap.conf for a Krustlet node', load: async () => (await import('./bootstrap.js')).bootstrapCommand },
  { name: 'token', summary: 'create (with the kubeadm join command), list, delete or prune bootstrap tokens', load: async () => (await import('./token.js')).tokenCommand },
  { name: 'csr', summary: 'list, review, approve, deny or prune CertificateSigningRequests', load: async () => (await import('./csr.js')).csrCommand },
  { name: 'node', summary: 'list Nodes: Ready, addresses, the token and CSRs they came from, serving certificate expiry', load: async () => (await import('./node.js')).nodeCommand },
  { name: 'preflight', summary: 'check permissions, RBAC bindings and bootstrap-token auth', load: async () => (await import('./preflight.js')).preflightCommand },
  { name: 'cluster-info', summary: "kubeadm join's token discovery: check kube-public/cluster-info and its signatures, or create it", load: async () => (await import('./clusterInfo.js')).clusterInfoCommand },
  { name: 'rbac', summary: "create kubeadm's bootstrap RBAC bindings (rbac apply)", load: async () => (await import('./preflight.js')).rbacCommand },
  { name: 'agent', summary: "the agent's command line (agent command) and pre-start checks (agent check)", load: async () => (await import('./agent.js')).agentCommand },
  { name: 'completion', summary: 'a bash or zsh completion script (source <(krustlet-bootstrap completion bash))', load: async () => (await import('./completion.js')).completionCommand },
];

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

export async function main(argv: string[], rawIo: CliIO): Promise<number> {
  const io = displaySafeIO(rawIo);
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const entry = first === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.stdout(entry ? (await entry.load()).help : usage());
    return first === undefined ? 1 : 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`${version()}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === first);
  if (!entry) {
    io.stderr(`error: Unknown command '${first.slice(0, 40)}'. Run \`krustlet-bootstrap --help\` for the commands.\n`);
    return 1;
  }
  try {
    const cmd = await entry.load();
    return await cmd.run(rest, io);
  } catch (e) {
    io.stderr(`error: ${redactSecrets(errorLine(e))}\n`);
    if (io.env.KRUSTLET_DEBUG && e instanceof Error && e.stack) io.stderr(`${redactSecrets(e.stack)}\n`);
    return 1;
  }
}

/** A yes/no question at the terminal (readline over stdin/stderr), only when both are terminals. */
function terminalPrompt(question: string, signal?: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    let done = false;
    const finish = (answer: string | undefined) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      rl.close();
      resolve(answer);
    };
    const onAbort = () => {
      process.stderr.write('\n');
      finish(undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    rl.on('close', () => finish(undefined));
    // readline turns Ctrl-C into its own 'SIGINT' event while it reads: raise it as the signal, whose
    // handler aborts `signal` (which ends this prompt); without a handler it ends the process, as Ctrl-C does.
    rl.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
    rl.question(question, (a) => finish(a));
  });
}

function onInterrupt(handler: (signal: 'SIGINT' | 'SIGTERM') => void, onForcedExit?: () => string | undefined): () => void {
  let seen = false;
  const on = (sig: 'SIGINT' | 'SIGTERM') => () => {
    if (seen) {
      const left = onForcedExit?.();
      process.stderr.write(`error: Interrupted again: stopping before the rollback finished.${left ? ` ${left}` : ''}\n`);
      process.exit(SIGNAL_EXIT[sig]);
    }
    seen = true;
    handler(sig);
  };
  const int = on('SIGINT');
  const term = on('SIGTERM');
  process.on('SIGINT', int);
  process.on('SIGTERM', term);
  return () => {
    process.removeListener('SIGINT', int);
    process.removeListener('SIGTERM', term);
  };
}

export const processIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  ...(process.stdin.isTTY && process.stderr.isTTY ? { prompt: terminalPrompt } : {}),
  onInterrupt,
  terminal: process.stdin.isTTY === true,
};

if (require.main === module) {
  void main(process.argv.slice(2), processIO).then((code) => {
    process.exitCode = code;
  });
}
