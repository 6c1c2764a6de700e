/** Shared pieces of the `krustlet-bootstrap` commands: IO, option parsing, connecting, output. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { connect, type Cluster } from '../core/cluster';
import { KrustletError } from '../core/errors';
import { redactingLogger, type Logger } from '../core/log';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** One command group (`bootstrap`, `token`, `csr` …): listed, with its summary, in the table in src/cli/main.ts. */
export interface CommandGroup {
  name: string;
  /** Full help text (usage, options). */
  help: string;
  /** Runs with the arguments after the group name; returns the exit code. Throw KrustletError for failures. */
  run(args: string[], io: CliIO): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that talks to a cluster accepts. */
export const CLUSTER_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  timeout: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const CLUSTER_HELP = `  --kubeconfig PATH    kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME       kubeconfig context (default: the current context)
  --timeout SECONDS    per-request timeout (default: 5)
  -v, --verbose        log requests to stderr
  -h, --help           show this help`;

/** node:util parseArgs, with its errors turned into one-line KrustletErrors. */
export function parse<O extends Options>(args: string[], options: O, command: string, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    throw new KrustletError('invalid-argument', `${String((e as Error).message).split('\n')[0].replace(/\.$/, '')}.`, `Run \`krustlet-bootstrap ${command} --help\`.`);
  }
}

export function stderrLogger(io: CliIO, verbose: boolean): Logger {
  return redactingLogger({
    debug: (m) => verbose && io.stderr(`debug: ${m}\n`),
    info: (m) => verbose && io.stderr(`${m}\n`),
    warn: (m) => io.stderr(`warning: ${m}\n`),
    error: (m) => io.stderr(`error: ${m}\n`),
  });
}

export function timeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new KrustletError('invalid-argument', `--timeout '${value}' is not a positive number of seconds.`, 'Use e.g. --timeout 10.');
  return Math.round(n * 1000);
}

export function connectFrom(values: { kubeconfig?: string; context?: string; timeout?: string; verbose?: boolean }, io: CliIO, logger?: Logger): Promise<Cluster> {
  return connect({
    kubeconfigPath: values.kubeconfig,
    context: values.context,
    env: io.env,
    timeoutMs: timeoutMs(values.timeout),
    logger: logger ?? stderrLogger(io, !!values.verbose),
  });
}

/**
 * For groups with subcommands: with none, prints the group's help and gives exit 1; with --help/-h,
 * prints it and gives 0; otherwise undefined (go on with the subcommand).
 */
export function groupHelp(sub: string | undefined, help: string, io: CliIO): number | undefined {
  if (sub !== undefined && sub !== '--help' && sub !== '-h') return undefined;
  io.stdout(help);
  return sub === undefined ? 1 : 0;
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain left-aligned table like kubectl's. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
