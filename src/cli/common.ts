/** Shared pieces of the `krustlet-bootstrap` commands: IO, option parsing, connecting, output. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { connect, type Cluster } from '../core/cluster';
import { KrustletError } from '../core/errors';
import { redactingLogger, type Logger } from '../core/log';
import { displayText } from '../core/text';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /**
   * Asks the person at the terminal (question on stderr, answer from stdin); the line typed, or
   * undefined at end of input or when `signal` aborts. Absent when stdin or stderr is not a terminal:
   * then a command answers from its flags or refuses with the flag that answers it.
   */
  prompt?(question: string, signal?: AbortSignal): Promise<string | undefined>;
  /**
   * Calls `handler` on SIGINT (Ctrl-C) / SIGTERM instead of the default exit, until the returned
   * function is called; a second signal exits at once (`onForcedExit` says what may remain). Absent in tests.
   */
  onInterrupt?(handler: (signal: 'SIGINT' | 'SIGTERM') => void, onForcedExit?: () => string | undefined): () => void;
  /** stdin is a terminal: an exec credential plugin may ask for a login (interactiveMode IfAvailable / Always). */
  terminal?: boolean;
}

/** The exit code after a signal, as shells give it: 128 + the signal's number. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

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
  --timeout SECONDS    per-request timeout, credentials included (default: 5; 0.1 to 3600, or 30s, 2m)
  -v, --verbose        log requests to stderr
  -h, --help           show this help`;

/**
 * A value that starts with a dash (`--ttl -1`, `--description -edge-`) joined to its option as
 * `--ttl=-1`, so it reaches the option's own check instead of parseArgs' "argument is ambiguous".
 * A following known option (`--context --json`) stays an option.
 */
function joinDashValues(args: string[], options: Options): string[] {
  const isString = (flag: string): boolean => {
    if (flag.startsWith('--')) return options[flag.slice(2)]?.type === 'string';
    if (/^-[^-]$/.test(flag)) return Object.values(options).some((o) => o.short === flag[1] && o.type === 'string');
    return false;
  };
  const isKnown = (a: string): boolean => {
    if (a.startsWith('--')) return a.slice(2).split('=')[0] in options;
    return /^-[^-]/.test(a) && Object.values(options).some((o) => o.short === a[1]);
  };
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (!a.includes('=') && isString(a) && next !== undefined && next.startsWith('-') && next !== '--' && !isKnown(next)) {
      out.push(`${a.startsWith('--') ? a : `--${Object.entries(options).find(([, o]) => o.short === a[1])?.[0] ?? a}`}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** node:util parseArgs, with its errors turned into one-line KrustletErrors. */
export function parse<O extends Options>(args: string[], options: O, command: string, allowPositionals = false) {
  try {
    return parseArgs({ args: joinDashValues(args, options), options, allowPositionals, strict: true });
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

/** The range --timeout accepts, in seconds. */
export const TIMEOUT_RANGE = { min: 0.1, max: 3600 };

/** `--timeout`: seconds (`10`, `2.5`) or a duration (`10s`, `2m`, `1h`, as kubectl's --request-timeout), within {@link TIMEOUT_RANGE}. */
export function timeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/.exec(value);
  const bad = (what: string) =>
    new KrustletError('invalid-argument', `--timeout '${value}' ${what}.`, `Use seconds from ${TIMEOUT_RANGE.min} to ${TIMEOUT_RANGE.max} (e.g. --timeout 10, or 30s, 2m).`, { fix: { kind: 'fix-input', data: { input: 'timeout' } } });
  if (!m) throw bad('is not a number of seconds');
  const seconds = Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  if (!(seconds >= TIMEOUT_RANGE.min) || !(seconds <= TIMEOUT_RANGE.max)) throw bad('is out of range');
  return Math.round(seconds * 1000);
}

/** The values of CLUSTER_OPTIONS after parsing. */
export interface ClusterValues {
  kubeconfig?: string;
  context?: string;
  timeout?: string;
  verbose?: boolean;
}

export function connectFrom(values: ClusterValues, io: CliIO, logger?: Logger): Promise<Cluster> {
  return connect({
    kubeconfigPath: values.kubeconfig,
    context: values.context,
    env: io.env,
    interactive: io.terminal === true,
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

/**
 * Characters JSON.stringify leaves raw that a terminal acts on or hides (DEL, C1 such as CSI, bidi
 * overrides, zero-width and line-separator characters): written as \u escapes, the same JSON value.
 */
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu;

/** Exact JSON (parsing it gives `value` back), safe to print to a terminal. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(JSON_UNSAFE, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout(`${jsonText(value)}\n`);
}

/** Every line of `text` made display-safe (see displayText); the line breaks themselves are kept. */
export function displayLines(text: string): string {
  return text
    .split('\n')
    .map((l) => displayText(l))
    .join('\n');
}

/**
 * The IO every command gets from main(): whatever it writes is display-safe, so text from the cluster
 * (CSR names, usernames, SANs, token descriptions, API messages) can never drive the terminal.
 * JSON passes unchanged (jsonText already escaped it).
 */
export function displaySafeIO(io: CliIO): CliIO {
  const safe: CliIO = { ...io, stdout: (t) => io.stdout(displayLines(t)), stderr: (t) => io.stderr(displayLines(t)) };
  const ask = io.prompt?.bind(io);
  if (ask) safe.prompt = (q, signal) => ask(displayLines(q), signal);
  return safe;
}

export interface TableColumn {
  header: string;
  /** Cells longer than this many characters are cut, ending in `…` (free text such as descriptions). */
  max?: number;
}

/** A plain left-aligned table like kubectl's; every cell is display-safe (see displayText), so no value can forge a row. */
export function table(columns: (string | TableColumn)[], rows: string[][]): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const cells = rows.map((r) => cols.map((c, i) => displayText(r[i] ?? '', { max: c.max })));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...cells.map((r) => [...r[i]].length)));
  const line = (cs: string[]) => cs.map((c, i) => (i === cs.length - 1 ? c : c + ' '.repeat(widths[i] - [...c].length))).join('   ').trimEnd();
  return [line(cols.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}
