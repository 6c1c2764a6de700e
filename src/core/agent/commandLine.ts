/**
 * The agent's command line: ONE mapping from options to `{command, args, env}` used by the VS Code
 * task, the debug configuration and the CLI (`krustlet-bootstrap agent command`), plus the effective
 * values the agent will use (for pre-start checks and join progress).
 *
 * Defaults are krustlet-wasi's own (krustlet-facts.md). Precedence is the agent's: flag > env >
 * default. We pass a flag for every option the user set, `--bootstrap-file` always, and always set
 * KUBECONFIG — the file where the agent WRITES its credentials — so that an inherited KUBECONFIG
 * (the user's admin config!) can never make the agent skip bootstrapping and run as admin.
 */
import { isIP } from 'node:net';
import { homedir, hostname as osHostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { KrustletError } from '../errors';

export const AGENT_DEFAULTS = {
  command: 'krustlet-wasi',
  port: 3000,
  addr: '0.0.0.0',
  maxPods: 110,
  /** The agent's own default; rarely right, so the command line always passes `--bootstrap-file`. */
  bootstrapFile: '/etc/kubernetes/bootstrap-kubelet.conf',
  /** `$DATA` = `~/.krustlet`. */
  dataDirName: '.krustlet',
} as const;

/** Everything a user may set. Relative paths resolve against `cwd`; `~/` against the home folder. */
export interface AgentOptions {
  /** The agent binary (path or name on PATH). Default `krustlet-wasi`. */
  command?: string;
  port?: number;
  addr?: string;
  hostname?: string;
  nodeName?: string;
  nodeIp?: string;
  bootstrapFile?: string;
  /** Where the agent writes (and later reads) its own kubeconfig. Default `<dataDir>/config/kubeconfig`. */
  kubeconfig?: string;
  certFile?: string;
  privateKeyFile?: string;
  dataDir?: string;
  nodeLabels?: Record<string, string>;
  maxPods?: number;
  insecureRegistries?: string[];
  allowLocalModules?: boolean;
  /** RUST_LOG, e.g. `info` or `kubelet=debug`. */
  logLevel?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
}

/** What the command line depends on besides the options: injectable for tests. */
export interface AgentHost {
  homedir: string;
  hostname: string;
  /** The environment the agent inherits (KRUSTLET_* variables there count when no flag is given). */
  env: Record<string, string | undefined>;
  /** Base for relative paths (the workspace folder in VS Code). */
  cwd: string;
}

export function defaultAgentHost(): AgentHost {
  return { homedir: homedir(), hostname: osHostname(), env: { ...process.env }, cwd: process.cwd() };
}

/** Where a value came from: shown by `agent command --explain` and in check messages. */
export type ValueSource = 'option' | 'env' | 'default';

/** The values the agent will actually run with. */
export interface ResolvedAgentOptions {
  command: string;
  port: number;
  addr: string;
  hostname: string;
  nodeName: string;
  /** Undefined: the agent looks the hostname up in DNS (and fails if it cannot). */
  nodeIp?: string;
  bootstrapFile: string;
  kubeconfig: string;
  certFile: string;
  privateKeyFile: string;
  dataDir: string;
  nodeLabels: Record<string, string>;
  maxPods: number;
  /** `<node-name>`: the client CSR. */
  clientCsrName: string;
  /** `<hostname>-tls`: the serving CSR (raw hostname, not the node name). */
  servingCsrName: string;
  sources: Partial<Record<keyof AgentOptions, ValueSource>>;
}

export interface AgentCommandLine {
  command: string;
  args: string[];
  /** Only the variables we set; callers merge them over the inherited environment. */
  env: Record<string, string>;
  resolved: ResolvedAgentOptions;
}

/** Flag and variable names of krustlet-wasi, in one place. */
export const AGENT_FLAGS = {
  port: { flag: '--port', env: 'KRUSTLET_PORT' },
  addr: { flag: '--addr', env: 'KRUSTLET_ADDRESS' },
  hostname: { flag: '--hostname', env: 'KRUSTLET_HOSTNAME' },
  nodeName: { flag: '--node-name', env: 'KRUSTLET_NODE_NAME' },
  nodeIp: { flag: '--node-ip', env: 'KRUSTLET_NODE_IP' },
  certFile: { flag: '--cert-file', env: 'KRUSTLET_CERT_FILE' },
  privateKeyFile: { flag: '--private-key-file', env: 'KRUSTLET_PRIVATE_KEY_FILE' },
  dataDir: { flag: '--data-dir', env: 'KRUSTLET_DATA_DIR' },
  bootstrapFile: { flag: '--bootstrap-file', env: 'KRUSTLET_BOOTSTRAP_FILE' },
  nodeLabels: { flag: '--node-labels', env: 'NODE_LABELS' },
  maxPods: { flag: '--max-pods', env: 'MAX_PODS' },
  insecureRegistries: { flag: '--insecure-registries', env: 'KRUSTLET_INSECURE_REGISTRIES' },
  allowLocalModules: { flag: '--x-allow-local-modules', env: 'KRUSTLET_ALLOW_LOCAL_MODULES' },
} as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function invalid(what: string, hint: string): KrustletError {
  return new KrustletError('invalid-argument', what, hint, { fix: { kind: 'fix-input', data: { input: 'agent-settings' } } });
}

/** `~/x` → home/x; `${userHome}`, `${workspaceFolder}` → host values; relative → against cwd. */
export function expandPath(p: string, host: AgentHost): string {
  let s = p.replace(/\$\{userHome\}/g, host.homedir).replace(/\$\{workspaceFolder\}/g, host.cwd);
  if (s === '~') s = host.homedir;
  else if (s.startsWith('~/')) s = join(host.homedir, s.slice(2));
  return isAbsolute(s) ? resolve(s) : resolve(host.cwd, s);
}

/** The agent binary: a bare name stays a PATH lookup; anything path-like is expanded like the other paths. */
export function expandCommand(command: string, host: AgentHost): string {
  const c = command.trim();
  return /[\\/]|^~|\$\{/.test(c) ? expandPath(c, host) : c;
}

export function parseNodeLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw invalid(`Node label '${pair}' is not name=value.`, 'Write labels as name=value pairs separated by commas.');
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

export function formatNodeLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function checkPort(port: number, source: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(`Port ${source} is not a port number.`, 'Use a whole number from 1 to 65535 (krustlet-wasi listens on 3000 by default).');
  }
  return port;
}

/** The effective values krustlet-wasi will use with these options on this host. Throws KrustletError on invalid input. */
export function resolveAgentOptions(opts: AgentOptions = {}, host: AgentHost = defaultAgentHost()): ResolvedAgentOptions {
  // The agent sees the inherited environment overlaid with the env we pass.
  const env: Record<string, string | undefined> = { ...host.env, ...(opts.env ?? {}) };
  const sources: ResolvedAgentOptions['sources'] = {};
  function pick<K extends keyof typeof AGENT_FLAGS>(key: K, given: string | number | undefined): string | undefined {
    if (given !== undefined && given !== '') {
      sources[key] = 'option';
      return String(given);
    }
    const v = env[AGENT_FLAGS[key].env];
    if (v !== undefined && v !== '') {
      sources[key] = 'env';
      return v;
    }
    sources[key] = 'default';
    return undefined;
  }

  const portText = pick('port', opts.port);
  const port = portText === undefined ? AGENT_DEFAULTS.port : checkPort(Number(portText), `'${portText}'`);
  const maxPodsText = pick('maxPods', opts.maxPods);
  const maxPods = maxPodsText === undefined ? AGENT_DEFAULTS.maxPods : Number(maxPodsText);
  if (!Number.isInteger(maxPods) || maxPods < 1) throw invalid(`Max pods '${maxPodsText}' is not a positive whole number.`, 'Use e.g. 110 (the default).');

  const addr = pick('addr', opts.addr) ?? AGENT_DEFAULTS.addr;
  if (!isIP(addr)) throw invalid(`Listen address '${addr}' is not an IP address.`, 'Use 0.0.0.0 (all interfaces, the default) or one IP of this machine.');
  const hostname = pick('hostname', opts.hostname) ?? host.hostname;
  if (!hostname.trim()) throw invalid('The hostname is empty.', 'Set the hostname option, or leave it unset to use the machine name.');
  const nodeName = pick('nodeName', opts.nodeName) ?? hostname.toLowerCase();
  if (!DNS_LABEL.test(nodeName) || nodeName.length > 253) {
    throw invalid(
      `Node name '${nodeName}' is not a valid Kubernetes node name.`,
      'Use lowercase letters, digits, - and . (e.g. krustlet-1); it defaults to the lowercased hostname.',
    );
  }
  const nodeIp = pick('nodeIp', opts.nodeIp);
  if (nodeIp !== undefined && !isIP(nodeIp)) {
    throw invalid(`Node IP '${nodeIp}' is not an IP address.`, 'Use the address the cluster reaches this machine on, e.g. 172.17.0.1 (kind) or 10.0.2.2 (minikube).');
  }
  const dataDirText = pick('dataDir', opts.dataDir);
  const dataDir = dataDirText ? expandPath(dataDirText, host) : join(host.homedir, AGENT_DEFAULTS.dataDirName);
  const certText = pick('certFile', opts.certFile);
  const keyText = pick('privateKeyFile', opts.privateKeyFile);
  const bootText = pick('bootstrapFile', opts.bootstrapFile);
  const labelsFromEnv = opts.nodeLabels === undefined ? pick('nodeLabels', undefined) : undefined;
  if (opts.nodeLabels !== undefined) sources.nodeLabels = 'option';
  const nodeLabels = opts.nodeLabels ?? parseNodeLabels(labelsFromEnv ?? '');
  for (const [k, v] of Object.entries(nodeLabels)) {
    if (!LABEL_KEY.test(k) || !LABEL_VALUE.test(v)) {
      throw invalid(`Node label '${k}=${v}' is not a valid Kubernetes label.`, 'Keys are [prefix/]name, values up to 63 of A-Z a-z 0-9 - _ .');
    }
  }
  if (opts.kubeconfig) sources.kubeconfig = 'option';
  else sources.kubeconfig = 'default';
  const resolved: ResolvedAgentOptions = {
    command: opts.command?.trim() ? expandCommand(opts.command, host) : AGENT_DEFAULTS.command,
    port,
    addr,
    hostname,
    nodeName,
    nodeIp,
    bootstrapFile: bootText ? expandPath(bootText, host) : AGENT_DEFAULTS.bootstrapFile,
    kubeconfig: opts.kubeconfig ? expandPath(opts.kubeconfig, host) : join(dataDir, 'config', 'kubeconfig'),
    certFile: certText ? expandPath(certText, host) : join(dataDir, 'config', 'krustlet.crt'),
    privateKeyFile: keyText ? expandPath(keyText, host) : join(dataDir, 'config', 'krustlet.key'),
    dataDir,
    nodeLabels,
    maxPods,
    clientCsrName: nodeName,
    servingCsrName: `${hostname}-tls`,
    sources,
  };
  return resolved;
}

/** `{command, args, env}` for a ProcessExecution, a debugger's program/args/env, or a shell line. */
export function buildAgentCommandLine(opts: AgentOptions = {}, host: AgentHost = defaultAgentHost()): AgentCommandLine {
  const r = resolveAgentOptions(opts, host);
  const args: string[] = [];
  const flag = (key: keyof typeof AGENT_FLAGS, value: string) => args.push(AGENT_FLAGS[key].flag, value);
  if (opts.port !== undefined) flag('port', String(r.port));
  if (opts.addr) flag('addr', r.addr);
  if (opts.hostname) flag('hostname', r.hostname);
  if (opts.nodeName) flag('nodeName', r.nodeName);
  if (opts.nodeIp) flag('nodeIp', opts.nodeIp);
  if (opts.dataDir) flag('dataDir', r.dataDir);
  // Always explicit: the agent's own default (/etc/kubernetes/…) is almost never what the user means.
  flag('bootstrapFile', r.bootstrapFile);
  if (opts.certFile) flag('certFile', r.certFile);
  if (opts.privateKeyFile) flag('privateKeyFile', r.privateKeyFile);
  if (opts.nodeLabels && Object.keys(opts.nodeLabels).length) flag('nodeLabels', formatNodeLabels(opts.nodeLabels));
  if (opts.maxPods !== undefined) flag('maxPods', String(r.maxPods));
  if (opts.insecureRegistries?.length) flag('insecureRegistries', opts.insecureRegistries.join(','));
  if (opts.allowLocalModules) flag('allowLocalModules', 'true');
  args.push(...(opts.extraArgs ?? []));

  const env: Record<string, string> = { ...(opts.env ?? {}), KUBECONFIG: r.kubeconfig };
  if (opts.logLevel) env.RUST_LOG = opts.logLevel;
  return { command: r.command, args, env, resolved: r };
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One POSIX shell line: `KUBECONFIG=… krustlet-wasi --bootstrap-file …`. */
export function formatCommandLine(cl: Pick<AgentCommandLine, 'command' | 'args' | 'env'>): string {
  const env = Object.entries(cl.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  return [...env, shellQuote(cl.command), ...cl.args.map(shellQuote)].join(' ');
}
