/**
 * Pre-start checks for the agent: each looks at one thing that makes krustlet-wasi fail or behave
 * unexpectedly, and returns a finding with a fix id the VS Code command or the CLI can act on.
 * Everything outside (cluster, DNS, interfaces, PATH, clock) is injected, so the checks run in unit
 * tests with temp files and against a real cluster in integration tests.
 */
import { constants as fsc, existsSync, promises as fs } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { delimiter, dirname, isAbsolute, join, sep } from 'node:path';
import * as yaml from 'js-yaml';
import { describeError, isKrustletError } from '../errors';
import { loadKubeconfig, tokenFromBootstrapKubeconfig } from '../kubeconfig';
import { parseToken, tokenExpired } from '../token';
import type { CsrInfo, TokenInfo } from '../types';
import type { ResolvedAgentOptions } from './commandLine';

export type AgentCheckId =
  | 'agent-binary'
  | 'bootstrap-config'
  | 'token'
  | 'other-cluster'
  | 'kubeconfig-exists'
  | 'stale-client-csr'
  | 'stale-serving-csr'
  | 'node-ip'
  | 'data-dir';

/** What can be done about a finding; the UI/CLI maps each to an action. */
export type AgentFixId =
  | 'set-agent-path'
  | 'new-bootstrap'
  | 'select-context'
  | 'move-kubeconfig-aside'
  | 'delete-csr'
  | 'pick-node-ip'
  | 'create-data-dir'
  | 'choose-data-dir';

export type CheckSeverity = 'ok' | 'info' | 'warning' | 'error';

export interface AgentFix {
  id: AgentFixId;
  /** Button text, e.g. "Delete CSR Build-Box-tls". */
  label: string;
  /** The CSR to delete, the file to move aside, the folder to create … */
  target?: string;
  /** create-data-dir: every missing folder under `target` the agent writes into, created together. */
  folders?: string[];
  /** Node IP choices (pick-node-ip): address + where it comes from. */
  choices?: { address: string; label: string }[];
}

export interface AgentCheckFinding {
  id: AgentCheckId;
  severity: CheckSeverity;
  /** Plain language: what was checked and what was found. */
  message: string;
  fix?: AgentFix;
}

/** The part of the core's Cluster the checks need (a Cluster satisfies it). */
export interface AgentCheckCluster {
  readonly server: string;
  readonly contextName: string;
  listTokens(): Promise<TokenInfo[]>;
  /** Throws KrustletError('not-found') when there is none. */
  getCsr(name: string): Promise<CsrInfo>;
}

export interface AgentCheckDeps {
  /** The selected context's cluster; without it the cluster checks are reported as not done (info). */
  cluster?: AgentCheckCluster;
  /** Hostname → addresses (default: getaddrinfo via dns.lookup). */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** Addresses of this machine's interfaces (default: os.networkInterfaces, non-internal IPv4). */
  interfaceAddresses?: () => { address: string; iface: string }[];
  /** Finds the agent binary (default: the path itself, or a search of PATH). */
  findExecutable?: (command: string) => Promise<string | undefined>;
  /** PATH used by the default findExecutable. */
  pathEnv?: string;
  now?: Date;
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return false;
    await fs.access(p, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `command` as a path (contains a separator) or a name looked up on PATH, like the shell. */
export async function findExecutable(command: string, pathEnv = process.env.PATH ?? ''): Promise<string | undefined> {
  if (command.includes('/') || command.includes('\\')) return (await isExecutableFile(command)) ? command : undefined;
  const exts = process.platform === 'win32' ? ['', '.exe', '.cmd'] : [''];
  for (const dir of pathEnv.split(delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const p = join(dir, command + ext);
      if (await isExecutableFile(p)) return p;
    }
  }
  return undefined;
}

export function defaultInterfaceAddresses(): { address: string; iface: string }[] {
  const out: { address: string; iface: string }[] = [];
  for (const [iface, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) out.push({ address: a.address, iface });
  }
  return out;
}

async function defaultResolveHost(hostname: string): Promise<string[]> {
  const all = await lookup(hostname, { all: true });
  return all.map((a) => a.address);
}

/** Node IP choices: kind's docker0, minikube's host, then this machine's own addresses. */
export function nodeIpChoices(ifaces: { address: string; iface: string }[]): { address: string; label: string }[] {
  const choices = [
    { address: '172.17.0.1', label: 'kind (docker0 bridge)' },
    { address: '10.0.2.2', label: 'minikube (VirtualBox host)' },
  ];
  for (const i of ifaces) {
    if (!choices.some((c) => c.address === i.address)) choices.push({ address: i.address, label: `this machine (${i.iface})` });
  }
  return choices;
}

function normalizeServer(s: string): string {
  try {
    const u = new URL(s);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    return `${u.protocol}//${u.hostname.toLowerCase()}:${port}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return s.trim().replace(/\/+$/, '').toLowerCase();
  }
}

const ok = (id: AgentCheckId, message: string): AgentCheckFinding => ({ id, severity: 'ok', message });

async function checkBinary(r: ResolvedAgentOptions, deps: AgentCheckDeps): Promise<AgentCheckFinding> {
  const found = await (deps.findExecutable ?? ((c: string) => findExecutable(c, deps.pathEnv)))(r.command);
  if (found) return ok('agent-binary', `Agent binary: ${found}.`);
  const where = r.command.includes('/') ? `${r.command} does not exist or is not executable` : `'${r.command}' is not on PATH`;
  return {
    id: 'agent-binary',
    severity: 'error',
    message: `The agent binary was not found: ${where}. Build it from Krustlet's sources (cargo build --bin krustlet-wasi) and set its path.`,
    fix: { id: 'set-agent-path', label: 'Set Agent Path' },
  };
}

interface BootstrapFileInfo {
  server?: string;
  tokenId?: string;
}

async function checkBootstrapFile(r: ResolvedAgentOptions, kubeconfigExists: boolean, out: AgentCheckFinding[]): Promise<BootstrapFileInfo | undefined> {
  const newBootstrap: AgentFix = { id: 'new-bootstrap', label: 'New Bootstrap…', target: r.bootstrapFile };
  let text: string;
  try {
    text = await fs.readFile(r.bootstrapFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Without a bootstrap file the agent still runs when its kubeconfig exists (bootstrap is skipped).
    out.push({
      id: 'bootstrap-config',
      severity: kubeconfigExists ? 'info' : 'error',
      message:
        code === 'ENOENT'
          ? `The bootstrap config ${r.bootstrapFile} does not exist${kubeconfigExists ? ' (not needed now: the agent kubeconfig exists)' : ''}.`
          : `The bootstrap config ${r.bootstrapFile} cannot be read (${code ?? describeError(e)}).`,
      fix: kubeconfigExists ? undefined : newBootstrap,
    });
    return undefined;
  }
  const info: BootstrapFileInfo = {};
  try {
    info.server = loadKubeconfig({ kubeconfigPath: r.bootstrapFile, env: {} }).cluster.server;
    const token = tokenFromBootstrapKubeconfig(text);
    if (!token) throw new Error('it has no user token');
    info.tokenId = parseToken(token).id;
  } catch (e) {
    out.push({
      id: 'bootstrap-config',
      severity: kubeconfigExists ? 'warning' : 'error',
      message: `The bootstrap config ${r.bootstrapFile} is not usable: ${describeError(e)}`,
      fix: newBootstrap,
    });
    return info;
  }
  const ca = caProblem(text, info.server);
  if (ca) {
    out.push({ id: 'bootstrap-config', severity: ca.severity === 'error' && kubeconfigExists ? 'warning' : ca.severity, message: `The bootstrap config ${r.bootstrapFile} ${ca.message}`, fix: newBootstrap });
    return info;
  }
  out.push(ok('bootstrap-config', `Bootstrap config ${r.bootstrapFile}: server ${info.server}, token ${info.tokenId}.`));
  return info;
}

/**
 * What the real agent reads besides the token (bootstrapping/mod.rs `bootstrap_auth`): the FIRST cluster of the file
 * gives the server and CA of the kubeconfig it writes; its CA is the `certificate-authority` file (read as given,
 * relative to the agent's working folder), else `certificate-authority-data`; neither stops the agent before any CSR
 * ("Unable to find certificate authority information in bootstrap config"), insecure-skip-tls-verify or not.
 */
function caProblem(text: string, currentServer: string | undefined): { severity: CheckSeverity; message: string } | undefined {
  let doc: { clusters?: { name?: string; cluster?: Record<string, unknown> }[] } | undefined;
  try {
    doc = yaml.load(text) as typeof doc;
  } catch {
    return undefined; // reported by the kubeconfig load above
  }
  const first = doc?.clusters?.[0];
  const c = first?.cluster;
  if (!c) return { severity: 'error', message: 'has no cluster: the agent would stop ("Unable to find cluster information in bootstrap config").' };
  const caFile = c['certificate-authority'];
  if (typeof caFile === 'string' && caFile) {
    if (!existsSync(caFile)) {
      return {
        severity: 'error',
        message: `names the CA file ${caFile}, which does not exist${isAbsolute(caFile) ? '' : ' (a relative path is read from the agent’s working folder)'}: the agent would stop ("Error loading certificate_authority file").`,
      };
    }
  } else if (typeof c['certificate-authority-data'] !== 'string' || !c['certificate-authority-data']) {
    return {
      severity: 'error',
      message: `has no CA in its first cluster${c['insecure-skip-tls-verify'] === true ? ' (insecure-skip-tls-verify does not help)' : ''}: the agent would stop before it asks for a certificate ("Unable to find certificate authority information in bootstrap config"). Run Bootstrap from a context that names its cluster’s CA.`,
    };
  }
  if (typeof c.server === 'string' && currentServer && normalizeServer(c.server) !== normalizeServer(currentServer)) {
    return {
      severity: 'warning',
      message: `has more than one cluster: the agent asks for its certificate at ${currentServer} (the current context) but writes its kubeconfig for the first cluster, ${c.server}.`,
    };
  }
  return undefined;
}

async function checkToken(info: BootstrapFileInfo, r: ResolvedAgentOptions, kubeconfigExists: boolean, deps: AgentCheckDeps): Promise<AgentCheckFinding> {
  const id = info.tokenId as string;
  if (!deps.cluster) return { id: 'token', severity: 'info', message: `Token ${id} is well-formed; its expiry was not checked (no cluster connection).` };
  let tokens: TokenInfo[];
  try {
    tokens = await deps.cluster.listTokens();
  } catch (e) {
    return { id: 'token', severity: 'info', message: `Token ${id} could not be checked in context '${deps.cluster.contextName}': ${describeError(e)}` };
  }
  const t = tokens.find((x) => x.id === id);
  const severity: CheckSeverity = kubeconfigExists ? 'info' : 'error';
  const fix: AgentFix | undefined = kubeconfigExists ? undefined : { id: 'new-bootstrap', label: 'New Bootstrap…', target: r.bootstrapFile };
  if (!t) {
    return {
      id: 'token',
      severity,
      message: `Token ${id} of ${r.bootstrapFile} does not exist in the cluster (expired tokens are deleted by the token cleaner)${kubeconfigExists ? ', but the agent will not need it: its kubeconfig exists' : ': the agent would be rejected (401)'}.`,
      fix,
    };
  }
  const now = deps.now ?? new Date();
  if (t.expiration && tokenExpired(t, now)) {
    return { id: 'token', severity, message: `Token ${id} expired at ${t.expiration.toISOString()}${kubeconfigExists ? ' (not needed: the agent kubeconfig exists)' : ''}.`, fix };
  }
  return ok('token', `Token ${id} is valid${t.expiration ? ` until ${t.expiration.toISOString()}` : ' (no expiry)'}.`);
}

/** The agent kubeconfig's shape (the agent writes JSON: cluster, user and context all named `krustlet`). */
interface AgentKubeconfigDoc {
  'current-context'?: string;
  contexts?: { name?: string; context?: { cluster?: string } }[];
  clusters?: { name?: string; cluster?: { server?: string } }[];
}

/** The server of the kubeconfig's current context (else of its only cluster). */
function serverOf(doc: AgentKubeconfigDoc): string | undefined {
  const context = doc.contexts?.find((c) => c.name === doc['current-context'])?.context;
  const cluster = doc.clusters?.find((c) => c.name === context?.cluster) ?? (doc.clusters?.length === 1 ? doc.clusters[0] : undefined);
  return cluster?.cluster?.server;
}

/**
 * An existing agent kubeconfig makes the agent skip bootstrapping. One for another cluster (a cluster that was
 * recreated, a playground restarted on a new port) is a dead end: the agent connects to a server that is gone,
 * so it is an error with the fix offered before start. `expected` is the server bootstrap.conf names, else the
 * selected context's.
 */
async function checkKubeconfig(r: ResolvedAgentOptions, kubeconfigExists: boolean, expected?: { server: string; from: string }): Promise<AgentCheckFinding> {
  if (!kubeconfigExists) return ok('kubeconfig-exists', `The agent will bootstrap and write its kubeconfig to ${r.kubeconfig}.`);
  const moveAside: AgentFix = { id: 'move-kubeconfig-aside', label: 'Move It Aside', target: r.kubeconfig };
  let shape = '';
  try {
    const doc = JSON.parse(await fs.readFile(r.kubeconfig, 'utf8')) as AgentKubeconfigDoc;
    if (doc['current-context'] !== 'krustlet') shape = ' It does not look like one the agent wrote (no context "krustlet"): the agent would run with whatever credentials it holds.';
    const server = serverOf(doc);
    if (server && expected && normalizeServer(server) !== normalizeServer(expected.server)) {
      return {
        id: 'kubeconfig-exists',
        severity: 'error',
        message: `The agent kubeconfig ${r.kubeconfig} is for another cluster (${server}), not ${expected.server} (${expected.from}): the agent would skip bootstrapping and connect there. Move it aside so that the agent bootstraps against this cluster.`,
        fix: moveAside,
      };
    }
  } catch {
    shape = ' It is not a JSON kubeconfig the agent wrote: the agent would run with whatever credentials it holds.';
  }
  return {
    id: 'kubeconfig-exists',
    severity: 'warning',
    message: `The agent kubeconfig ${r.kubeconfig} already exists, so the agent will skip bootstrapping and use it.${shape}`,
    fix: moveAside,
  };
}

async function getCsrOrUndefined(cluster: AgentCheckCluster, name: string): Promise<CsrInfo | undefined> {
  try {
    return await cluster.getCsr(name);
  } catch (e) {
    if (isKrustletError(e, 'not-found')) return undefined;
    throw e;
  }
}

async function checkCsrs(r: ResolvedAgentOptions, kubeconfigExists: boolean, certExists: boolean, deps: AgentCheckDeps): Promise<AgentCheckFinding[]> {
  const out: AgentCheckFinding[] = [];
  const cluster = deps.cluster;
  if (!cluster) {
    out.push({ id: 'stale-serving-csr', severity: 'info', message: `CSR ${r.servingCsrName} was not looked up (no cluster connection).` });
    return out;
  }
  try {
    if (!kubeconfigExists) {
      const client = await getCsrOrUndefined(cluster, r.clientCsrName);
      if (client) {
        const denied = client.state === 'denied' || client.state === 'failed';
        out.push({
          id: 'stale-client-csr',
          severity: denied ? 'error' : 'warning',
          message: denied
            ? `CSR ${client.name} exists and is ${client.state}: the agent reuses it and would wait forever. Delete it first.`
            : `CSR ${client.name} exists from an earlier run (${client.state}): the agent reuses it, but its new key would not match that certificate. Delete it first.`,
          fix: { id: 'delete-csr', label: `Delete CSR ${client.name}`, target: client.name },
        });
      } else out.push(ok('stale-client-csr', `No CSR ${r.clientCsrName} yet: the agent will create it.`));
    }
    if (!certExists) {
      const serving = await getCsrOrUndefined(cluster, r.servingCsrName);
      if (serving) {
        out.push({
          id: 'stale-serving-csr',
          severity: 'error',
          message: `CSR ${serving.name} already exists (${serving.state}), and the agent fails when it creates it again. Delete it first.`,
          fix: { id: 'delete-csr', label: `Delete CSR ${serving.name}`, target: serving.name },
        });
      } else out.push(ok('stale-serving-csr', `No CSR ${r.servingCsrName} yet: the agent will create it.`));
    } else out.push(ok('stale-serving-csr', `Serving certificate ${r.certFile} exists: the agent will not request one.`));
  } catch (e) {
    out.push({ id: 'stale-serving-csr', severity: 'info', message: `CSRs could not be looked up in context '${cluster.contextName}': ${describeError(e)}` });
  }
  return out;
}

/** Why krustlet-wasi would not take this address as its default node IP (config.rs `default_node_ip`), if it would not. */
export function unusableNodeIpReason(ip: string, listenAddr: string): string | undefined {
  const v6 = isIPv6(ip);
  if (v6 ? /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(ip) : ip.startsWith('127.')) return 'loopback';
  if (v6 ? /^ff/i.test(ip) : Number(ip.split('.')[0]) >= 224 && Number(ip.split('.')[0]) <= 239) return 'multicast';
  if (v6 ? /^[0:]+$/.test(ip) : ip === '0.0.0.0') return 'unspecified';
  if (v6 !== isIPv6(listenAddr)) return `not ${isIPv6(listenAddr) ? 'IPv6' : 'IPv4'} like the listen address ${listenAddr}`;
  return undefined;
}

/**
 * Without --node-ip the real agent takes the first address of its hostname that is not loopback, multicast or
 * unspecified and has --addr's family, and panics (exit 101) when there is none — a stock Debian host, whose
 * hostname resolves to 127.0.1.1, fails at once. So a hostname with only such addresses is an error here.
 */
async function checkNodeIp(r: ResolvedAgentOptions, deps: AgentCheckDeps): Promise<AgentCheckFinding> {
  if (r.nodeIp) return ok('node-ip', `Node IP ${r.nodeIp} (${r.sources.nodeIp === 'env' ? 'from KRUSTLET_NODE_IP' : 'given'}).`);
  let addrs: string[];
  try {
    addrs = await (deps.resolveHost ?? defaultResolveHost)(r.hostname);
  } catch {
    addrs = [];
  }
  const choices = nodeIpChoices((deps.interfaceAddresses ?? defaultInterfaceAddresses)());
  const fix: AgentFix = { id: 'pick-node-ip', label: 'Pick Node IP…', choices };
  const setIt = 'Set the node IP (--node-ip / KRUSTLET_NODE_IP) to the address the cluster reaches this machine on.';
  if (addrs.length === 0) {
    return {
      id: 'node-ip',
      severity: 'error',
      message: `No node IP is set and the hostname '${r.hostname}' does not resolve, so the agent would stop at once ("unable to get default node IP: failed to lookup address information"). ${setIt}`,
      fix,
    };
  }
  const ip = addrs.find((a) => !unusableNodeIpReason(a, r.addr));
  if (!ip) {
    const why = addrs.map((a) => `${a} (${unusableNodeIpReason(a, r.addr)})`).join(', ');
    return {
      id: 'node-ip',
      severity: 'error',
      message: `No node IP is set and the hostname '${r.hostname}' resolves only to ${why}, which the agent never picks: it would stop at once ("unable to get default node IP: unable to find default IP address for node"). ${setIt}`,
      fix,
    };
  }
  return ok('node-ip', `No node IP is set; '${r.hostname}' resolves to ${ip}, which the agent will use.`);
}

async function checkDataDir(r: ResolvedAgentOptions): Promise<AgentCheckFinding[]> {
  const out: AgentCheckFinding[] = [];
  // The folders the agent writes into: the data dir, and the folders of its kubeconfig, cert and key.
  const folders = [...new Set([r.dataDir, dirname(r.kubeconfig), dirname(r.certFile), dirname(r.privateKeyFile)])];
  const missing: string[] = [];
  for (const dir of folders) {
    // Creating a missing folder creates its subfolders too: report only the topmost.
    if (missing.some((m) => dir.startsWith(m + sep))) continue;
    let st;
    try {
      st = await fs.stat(dir);
    } catch {
      st = undefined;
    }
    if (!st) {
      // Find the nearest existing ancestor: can we create it?
      let parent = dirname(dir);
      while (parent !== dirname(parent) && !(await exists(parent))) parent = dirname(parent);
      const parentIsDir = await fs.stat(parent).then(
        (p) => p.isDirectory(),
        () => false,
      );
      const writable =
        parentIsDir &&
        (await fs.access(parent, fsc.W_OK).then(
          () => true,
          () => false,
        ));
      missing.push(dir);
      out.push({
        id: 'data-dir',
        severity: writable ? 'warning' : 'error',
        message: writable
          ? `Folder ${dir} does not exist; krustlet-wasi does not create it (a commonly reported failure).`
          : `Folder ${dir} does not exist and cannot be created (${parent} is ${parentIsDir ? 'not writable' : 'a file, not a folder'}).`,
        fix: writable
          ? { id: 'create-data-dir', label: `Create ${dir}`, target: dir, folders: folders.filter((f) => f === dir || f.startsWith(dir + sep)) }
          : { id: 'choose-data-dir', label: 'Choose Data Folder…' },
      });
      continue;
    }
    if (!st.isDirectory()) {
      out.push({ id: 'data-dir', severity: 'error', message: `${dir} is a file, not a folder.`, fix: { id: 'choose-data-dir', label: 'Choose Data Folder…' } });
      continue;
    }
    const writable = await fs.access(dir, fsc.W_OK).then(
      () => true,
      () => false,
    );
    if (!writable) {
      out.push({ id: 'data-dir', severity: 'error', message: `Folder ${dir} is not writable: the agent cannot store its credentials there.`, fix: { id: 'choose-data-dir', label: 'Choose Data Folder…' } });
    }
  }
  if (!out.length) out.push(ok('data-dir', `Data folder ${r.dataDir} is writable.`));
  return out;
}

/**
 * All pre-start checks, in the order a user would fix them. Never throws for what it finds; a
 * finding's severity says whether starting makes sense (`error`: the agent would fail).
 */
export async function runAgentChecks(r: ResolvedAgentOptions, deps: AgentCheckDeps = {}): Promise<AgentCheckFinding[]> {
  const out: AgentCheckFinding[] = [];
  out.push(await checkBinary(r, deps));
  const kubeconfigExists = await exists(r.kubeconfig);
  const certExists = await exists(r.certFile);
  const info = await checkBootstrapFile(r, kubeconfigExists, out);
  if (info?.tokenId) out.push(await checkToken(info, r, kubeconfigExists, deps));
  if (info?.server && deps.cluster) {
    if (normalizeServer(info.server) !== normalizeServer(deps.cluster.server)) {
      out.push({
        id: 'other-cluster',
        severity: 'warning',
        message: `The bootstrap config points at ${info.server}, but the selected context '${deps.cluster.contextName}' is ${deps.cluster.server}: the node would join another cluster than the one you are watching.`,
        fix: { id: 'select-context', label: 'Select Context…' },
      });
    } else out.push(ok('other-cluster', `The bootstrap config is for the selected context's cluster (${deps.cluster.server}).`));
  }
  const expected = info?.server
    ? { server: info.server, from: `the server of ${r.bootstrapFile}` }
    : deps.cluster
      ? { server: deps.cluster.server, from: `context '${deps.cluster.contextName}'` }
      : undefined;
  out.push(await checkKubeconfig(r, kubeconfigExists, expected));
  out.push(...(await checkCsrs(r, kubeconfigExists, certExists, deps)));
  out.push(await checkNodeIp(r, deps));
  out.push(...(await checkDataDir(r)));
  return out;
}

/** Findings that need attention (warnings and errors), errors first. */
export function problemsOf(findings: AgentCheckFinding[]): AgentCheckFinding[] {
  const rank: Record<CheckSeverity, number> = { error: 0, warning: 1, info: 2, ok: 3 };
  return findings.filter((f) => f.severity === 'error' || f.severity === 'warning').sort((a, b) => rank[a.severity] - rank[b.severity]);
}

/** Text for a CLI or log: one line per finding. */
export function formatFindings(findings: AgentCheckFinding[]): string {
  const mark: Record<CheckSeverity, string> = { ok: 'ok   ', info: 'info ', warning: 'warn ', error: 'error' };
  return findings.map((f) => `${mark[f.severity]} ${f.id}: ${f.message}${f.fix ? ` [fix: ${f.fix.id}${f.fix.target ? ` ${f.fix.target}` : ''}]` : ''}`).join('\n');
}
