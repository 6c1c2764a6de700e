/**
 * Reading the user's kubeconfig the way kubectl does (KUBECONFIG with several files, first
 * definition wins; else ~/.kube/config), choosing a context, and building the bootstrap
 * kubeconfig (bootstrap.conf) in exactly the shape of Krustlet's seed example.
 * Plain js-yaml: the cluster adapter turns a {@link LoadedKubeconfig} into a client.
 */
import { closeSync, constants as fsc, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import * as yaml from 'js-yaml';
import { KrustletError, type Fix } from './errors';
import { formatToken } from './token';
import type { BootstrapToken, ContextInfo } from './types';

export interface KubeconfigSource {
  /** An explicit file (like kubectl --kubeconfig); otherwise KUBECONFIG, otherwise ~/.kube/config. */
  kubeconfigPath?: string;
  /** Context name; default: the current context. */
  context?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** A kubeconfig `clusters[].cluster` entry (file paths already absolute). */
export interface RawCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
  [key: string]: unknown;
}

/** A kubeconfig `users[].user` entry (file paths already absolute). May hold credentials: never log it. */
export type RawUser = Record<string, unknown>;

export interface RawContext {
  cluster?: string;
  user?: string;
  namespace?: string;
  [key: string]: unknown;
}

export interface MergedKubeconfig {
  /** Files actually read, in order. */
  files: string[];
  currentContext?: string;
  clusters: Map<string, RawCluster>;
  users: Map<string, RawUser>;
  contexts: Map<string, RawContext>;
  /** The file each cluster / user entry came from (`cluster:NAME`, `user:NAME`). */
  origins: Map<string, string>;
}

/** The chosen context, resolved: what the cluster adapter needs to connect. */
export interface LoadedKubeconfig {
  files: string[];
  context: ContextInfo;
  clusterName: string;
  cluster: RawCluster & { server: string };
  userName: string;
  user: RawUser;
  /** Every context (current first), for pickers. */
  contexts: ContextInfo[];
}

/**
 * Where kubectl looks for its kubeconfig, in order, whether the files exist or not: the explicit
 * path, else each entry of KUBECONFIG, else ~/.kube/config. (The extension watches these for edits
 * and for the file to appear.)
 */
export function kubeconfigCandidates(source: KubeconfigSource = {}): string[] {
  const env = source.env ?? process.env;
  if (source.kubeconfigPath) return [resolve(source.kubeconfigPath)];
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter(Boolean).map((p) => resolve(p));
  return [join(source.home ?? homedir(), '.kube', 'config')];
}

/** The files kubectl would read, in order ({@link kubeconfigCandidates} that exist). An explicit path must exist. */
export function kubeconfigFiles(source: KubeconfigSource = {}): string[] {
  const env = source.env ?? process.env;
  const candidates = kubeconfigCandidates(source);
  if (source.kubeconfigPath) {
    const p = candidates[0];
    if (!existsSync(p)) {
      throw new KrustletError(
        'kubeconfig-missing',
        `Kubeconfig ${p} does not exist.`,
        undefined,
        { fix: { kind: 'set-kubeconfig' } },
      );
    }
    return [p];
  }
  if (env.KUBECONFIG) {
    const listed = candidates;
    const present = listed.filter((p) => existsSync(p));
    if (!present.length) {
      throw new KrustletError(
        'kubeconfig-missing',
        `None of the files in KUBECONFIG exist (${listed.join(delimiter)}).`,
        undefined,
        { fix: { kind: 'set-kubeconfig' } },
      );
    }
    return present;
  }
  const p = candidates[0];
  if (!existsSync(p)) {
    throw new KrustletError(
      'kubeconfig-missing',
      `No kubeconfig found: ${p} does not exist and KUBECONFIG is not set.`,
      'Create it for your cluster (kubectl config set-cluster, set-credentials, set-context), or use another kubeconfig.',
      { fix: { kind: 'set-kubeconfig' } },
    );
  }
  return [p];
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

const CLUSTER_PATH_KEYS = ['certificate-authority'];
const USER_PATH_KEYS = ['client-certificate', 'client-key', 'tokenFile'];

/**
 * client-go's rule (ResolveLocalPaths): relative file paths are relative to the folder of the
 * kubeconfig file that defines the entry; an exec command is resolved too when it contains a
 * path separator (`./bin/plugin`), while a bare name (`aws`) is looked up on PATH.
 */
function absolutise<T extends Record<string, unknown>>(entry: T, keys: string[], base: string): T {
  const out: Record<string, unknown> = { ...entry };
  for (const k of keys) {
    const v = out[k];
    if (typeof v === 'string' && v && !isAbsolute(v)) out[k] = resolve(base, v);
  }
  const exec = asObject(out.exec);
  if (exec && typeof exec.command === 'string' && exec.command.includes(sep) && !isAbsolute(exec.command)) {
    out.exec = { ...exec, command: resolve(base, exec.command) };
  }
  return out as T;
}

/**
 * The largest kubeconfig read (a real one with hundreds of contexts and embedded certificates is well
 * under 1 MiB): a bigger file is refused before parsing, so a mistaken path is an error at once.
 */
export const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;
/**
 * The most nodes a kubeconfig may expand to through YAML aliases (a "billion laughs" file is a few
 * hundred bytes that expand to billions): more is refused, as Go's YAML parser (kubectl's) does.
 */
const MAX_EXPANDED_NODES = 1_000_000;
/** The most read of a file a kubeconfig names (CA, client certificate or key, tokenFile). */
export const MAX_NAMED_FILE_BYTES = 1024 * 1024;

/** The number of nodes `doc` has once every alias is expanded, or Infinity when more than `limit`; linear in the distinct nodes. */
function expandedSize(doc: unknown, limit: number): number {
  const sizes = new Map<object, number>();
  const visit = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1;
    const known = sizes.get(v);
    if (known !== undefined) return known;
    sizes.set(v, Infinity); // a cycle counts as too big
    let n = 1;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      n += visit(child);
      if (n > limit) break;
    }
    const size = n > limit ? Infinity : n;
    sizes.set(v, size);
    return size;
  };
  return visit(doc);
}

/** Why {@link readRegularFileSync} could not read a file: `reason` completes "FILE …" ("is a FIFO (named pipe), not a file"). */
export class FileReadError extends Error {
  constructor(
    readonly kind: 'unreadable' | 'not-regular' | 'too-big',
    readonly reason: string,
    readonly errno?: string,
  ) {
    super(reason);
  }
}

/**
 * A file's bytes, for the files a kubeconfig names (itself, CA, client certificate, tokenFile): only a
 * regular file of at most `maxBytes` — a FIFO would block the read for ever (it is opened O_NONBLOCK
 * and refused), a device is endless, a folder is no file.
 */
export function readRegularFileSync(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, fsc.O_RDONLY | (fsc.O_NONBLOCK ?? 0));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new FileReadError('unreadable', err.message.split('\n')[0], err.code);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const what = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
      throw new FileReadError('not-regular', `is ${what}, not a file`);
    }
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    if (st.size > maxBytes) throw new FileReadError('too-big', `is ${mib(st.size)}, more than a kubeconfig can be (at most ${mib(maxBytes)} are read)`);
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let len = 0;
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len >= buf.length) throw new FileReadError('too-big', 'grew while it was read');
    }
    return buf.subarray(0, len);
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new FileReadError('unreadable', err.message.split('\n')[0], err.code);
  } finally {
    closeSync(fd);
  }
}

/** The file's text; refuses anything but a regular file (a FIFO would block, a device is endless) and anything too big. */
function readKubeconfigText(file: string): string {
  try {
    return readRegularFileSync(file, MAX_KUBECONFIG_BYTES).toString('utf8');
  } catch (e) {
    const r = e as FileReadError;
    if (r.kind === 'not-regular') throw new KrustletError('kubeconfig-missing', `Kubeconfig ${file} ${r.reason}.`, 'Point to the kubeconfig file itself.', { fix: { kind: 'set-kubeconfig' } });
    if (r.kind === 'too-big') throw new KrustletError('kubeconfig-invalid', `Kubeconfig ${file} ${r.reason}.`, 'Check that the path names your kubeconfig.', { fix: { kind: 'set-kubeconfig' } });
    throw new KrustletError('kubeconfig-missing', `Cannot read kubeconfig ${file}: ${r.message}.`, 'Check the path and its permissions.', { fix: { kind: 'set-kubeconfig' } });
  }
}

function parseFile(file: string): Record<string, unknown> {
  const text = readKubeconfigText(file);
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file });
  } catch (e) {
    const mark = (e as yaml.YAMLException).mark;
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    throw new KrustletError(
      'kubeconfig-invalid',
      `Kubeconfig ${file} is not valid YAML${where}: ${(e as yaml.YAMLException).reason ?? 'parse error'}.`,
      'Fix the file (kubectl config view shows what kubectl makes of it).',
      { fix: { kind: 'edit-kubeconfig', data: { file } } },
    );
  }
  if (doc === undefined || doc === null) return {};
  if (expandedSize(doc, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES) {
    throw new KrustletError(
      'kubeconfig-invalid',
      `Kubeconfig ${file} expands to more than ${MAX_EXPANDED_NODES.toLocaleString('en')} values through YAML aliases (excessive aliasing).`,
      'Fix the file: a kubeconfig needs no aliases.',
      { fix: { kind: 'edit-kubeconfig', data: { file } } },
    );
  }
  const obj = asObject(doc);
  if (!obj) {
    throw new KrustletError(
      'kubeconfig-invalid',
      `Kubeconfig ${file} is not a kubeconfig (expected a mapping with clusters, users and contexts).`,
      undefined,
      { fix: { kind: 'set-kubeconfig' } },
    );
  }
  for (const key of ['clusters', 'users', 'contexts']) {
    if (obj[key] !== undefined && obj[key] !== null && !Array.isArray(obj[key])) {
      throw new KrustletError('kubeconfig-invalid', `Kubeconfig ${file}: '${key}' must be a list.`, 'Fix the file.', { fix: { kind: 'edit-kubeconfig', data: { file } } });
    }
  }
  return obj;
}

/** Reads and merges the kubeconfig files: for each name the first definition wins, as in kubectl. */
function readKubeconfig(source: KubeconfigSource = {}): MergedKubeconfig {
  const files = kubeconfigFiles(source);
  const merged: MergedKubeconfig = { files, clusters: new Map(), users: new Map(), contexts: new Map(), origins: new Map() };
  for (const file of files) {
    const doc = parseFile(file);
    const base = dirname(file);
    if (merged.currentContext === undefined && typeof doc['current-context'] === 'string' && doc['current-context']) {
      merged.currentContext = doc['current-context'];
    }
    const sections: [string, string, (e: Record<string, unknown>) => Record<string, unknown>, Map<string, Record<string, unknown>>][] = [
      ['clusters', 'cluster', (e) => absolutise(e, CLUSTER_PATH_KEYS, base), merged.clusters],
      ['users', 'user', (e) => absolutise(e, USER_PATH_KEYS, base), merged.users],
      ['contexts', 'context', (e) => e, merged.contexts],
    ];
    for (const [key, inner, fix, map] of sections) {
      const list = (doc[key] as unknown[] | undefined) ?? [];
      list.forEach((item, i) => {
        const o = asObject(item);
        const name = o?.name;
        if (!o || typeof name !== 'string' || !name) {
          throw new KrustletError('kubeconfig-invalid', `Kubeconfig ${file}: ${key}[${i}] has no name.`, 'Fix the file.', { fix: { kind: 'edit-kubeconfig', data: { file } } });
        }
        const body = asObject(o[inner]) ?? {};
        if (!map.has(name)) {
          map.set(name, fix(body));
          merged.origins.set(`${inner}:${name}`, file);
        }
      });
    }
  }
  return merged;
}

function contextInfo(m: MergedKubeconfig, name: string, ctx: RawContext): ContextInfo {
  const cluster = typeof ctx.cluster === 'string' ? ctx.cluster : '';
  const server = m.clusters.get(cluster)?.server;
  return {
    name,
    cluster,
    user: typeof ctx.user === 'string' ? ctx.user : '',
    server: typeof server === 'string' ? server : undefined,
    namespace: typeof ctx.namespace === 'string' ? ctx.namespace : undefined,
    current: name === m.currentContext,
  };
}

/** Every context, the current one first, then by name. */
function contextsOf(m: MergedKubeconfig): ContextInfo[] {
  const all = [...m.contexts].map(([name, ctx]) => contextInfo(m, name, ctx));
  return all.sort((a, b) => Number(b.current) - Number(a.current) || a.name.localeCompare(b.name));
}

export function listContexts(source: KubeconfigSource = {}): ContextInfo[] {
  return contextsOf(readKubeconfig(source));
}

/** The fix for a missing or unknown context: another one, or (when there is none) a repaired kubeconfig. */
function contextFix(m: MergedKubeconfig): { hint?: string; fix: Fix } {
  const contexts = [...m.contexts.keys()];
  if (contexts.length) return { fix: { kind: 'select-context', data: { contexts } } };
  return { hint: 'The kubeconfig defines no contexts (kubectl config set-context adds one).', fix: { kind: 'edit-kubeconfig', data: { file: m.files[0] } } };
}

function invalidEntry(message: string, file: string | undefined, hint = 'Fix the entry (kubectl config view shows it), or use another context.'): KrustletError {
  return new KrustletError('kubeconfig-invalid', message, hint, { fix: { kind: 'edit-kubeconfig', data: file ? { file } : undefined } });
}

const nonEmpty = (v: unknown): boolean => typeof v === 'string' ? v.length > 0 : v !== undefined && v !== null && v !== false;

const PROXY_SCHEMES = ['http:', 'https:', 'socks5:'];

/** kubectl's checks of a cluster entry (client-go's validateClusterInfo and its TLS rules), as errors. */
function checkCluster(name: string, c: RawCluster, file: string | undefined): void {
  const server = String(c.server).trim();
  let url: URL | undefined;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || !url.host) {
    throw invalidEntry(`Cluster '${name}' has server '${server}', which is not an http(s) URL.`, file, 'Set it (kubectl config set-cluster NAME --server=https://HOST:PORT), or use another context.');
  }
  if (nonEmpty(c['certificate-authority']) && nonEmpty(c['certificate-authority-data'])) {
    throw invalidEntry(`Cluster '${name}' has both certificate-authority and certificate-authority-data (kubectl refuses that too).`, file, 'Keep one of them, or use another context.');
  }
  if (c['insecure-skip-tls-verify'] === true && (nonEmpty(c['certificate-authority']) || nonEmpty(c['certificate-authority-data']))) {
    throw invalidEntry(`Cluster '${name}' names a CA and sets insecure-skip-tls-verify (kubectl refuses that too: "specifying a root certificates file with the insecure flag is not allowed").`, file, 'Remove insecure-skip-tls-verify (the CA is the safe choice), or use another context.');
  }
  const proxy = c['proxy-url'];
  if (nonEmpty(proxy)) {
    let p: URL | undefined;
    try {
      p = new URL(String(proxy));
    } catch {
      p = undefined;
    }
    if (!p || !PROXY_SCHEMES.includes(p.protocol) || !p.hostname) {
      throw invalidEntry(`Cluster '${name}' has proxy-url '${String(proxy)}', which is not an http, https or socks5 URL.`, file);
    }
  }
}

const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];
const INTERACTIVE_MODES = ['Never', 'IfAvailable', 'Always'];

/** What kubectl ≥ 1.26 says about the auth-provider plugins it no longer has (and the one this tool never had). */
function authProviderAdvice(provider: string): string {
  if (provider === 'gcp') return 'Use the gke-gcloud-auth-plugin exec credential plugin instead (gcloud components install gke-gcloud-auth-plugin), as kubectl ≥ 1.26 requires.';
  if (provider === 'azure') return 'Use the kubelogin exec credential plugin instead (kubelogin convert-kubeconfig), as kubectl ≥ 1.26 requires.';
  if (provider === 'oidc') return 'Use an exec credential plugin instead (e.g. kubelogin / kubectl oidc-login get-token), or a token.';
  return 'Use an exec credential plugin, a token or a client certificate instead.';
}

/** kubectl's checks of a user entry (client-go's validateAuthInfo), plus the fields it never reads that would leave the user anonymous. */
function checkUser(name: string, u: RawUser, file: string | undefined): void {
  const provider = asObject(u['auth-provider']);
  if (provider) {
    const pname = typeof provider.name === 'string' ? provider.name : '?';
    throw invalidEntry(
      `User '${name}' authenticates through the auth-provider plugin '${pname}', which this tool does not support (kubectl ≥ 1.26 dropped gcp and azure; client-go credential plugins replace them all).`,
      file,
      authProviderAdvice(pname),
    );
  }
  if (nonEmpty(u['token-file'])) {
    throw invalidEntry(`User '${name}' has 'token-file', which is not a kubeconfig field: kubectl ignores it and would act as system:anonymous.`, file, "Rename it to 'tokenFile' (kubectl's field).");
  }
  const methods: string[] = [];
  if (nonEmpty(u.token) || nonEmpty(u.tokenFile)) methods.push('token');
  if (nonEmpty(u.username) || nonEmpty(u.password)) methods.push('basic auth');
  if (methods.length > 1) {
    throw invalidEntry(`User '${name}' has more than one authentication method (${methods.join(', ')}); kubectl allows only one.`, file, 'Keep one of them.');
  }
  const others = ['client-certificate', 'client-certificate-data', 'exec'].some((k) => nonEmpty(u[k]));
  if (methods[0] === 'basic auth' && !others) {
    throw invalidEntry(
      `User '${name}' has only username/password (basic auth), which kubectl no longer sends (it acts as system:anonymous) and API servers no longer accept (removed in Kubernetes 1.19).`,
      file,
      'Use a token, a client certificate or an exec credential plugin.',
    );
  }
  const certFile = nonEmpty(u['client-certificate']);
  const certData = nonEmpty(u['client-certificate-data']);
  const keyFile = nonEmpty(u['client-key']);
  const keyData = nonEmpty(u['client-key-data']);
  if (certFile && certData) throw invalidEntry(`User '${name}' has both client-certificate and client-certificate-data (kubectl refuses that too).`, file, 'Keep one of them.');
  if (keyFile && keyData) throw invalidEntry(`User '${name}' has both client-key and client-key-data (kubectl refuses that too).`, file, 'Keep one of them.');
  if ((certFile || certData) && !(keyFile || keyData)) throw invalidEntry(`User '${name}' has a client certificate but no client-key or client-key-data.`, file, 'Add the key that belongs to the certificate.');
  if ((keyFile || keyData) && !(certFile || certData)) throw invalidEntry(`User '${name}' has a client key but no client-certificate or client-certificate-data.`, file, 'Add the certificate that belongs to the key.');
  if ((nonEmpty(u['as-groups']) || nonEmpty(u['as-user-extra']) || nonEmpty(u['as-uid'])) && !nonEmpty(u.as)) {
    throw invalidEntry(`User '${name}' impersonates groups, a uid or extra fields without a user ('as'); kubectl refuses that too.`, file, "Add 'as: USER', or remove the impersonation.");
  }
  if (u.exec !== undefined && u.exec !== null) {
    const exec = asObject(u.exec);
    if (!exec) throw invalidEntry(`User '${name}': 'exec' must be a mapping (command, args, env, apiVersion …).`, file);
    if (typeof exec.command !== 'string' || !exec.command) throw invalidEntry(`User '${name}' has an exec credential plugin without a command.`, file);
    const api = exec.apiVersion;
    if (typeof api !== 'string' || !api) throw invalidEntry(`User '${name}' has an exec credential plugin without apiVersion (kubectl needs it too).`, file, `Set apiVersion to ${EXEC_API_VERSIONS.join(' or ')}.`);
    if (!EXEC_API_VERSIONS.includes(api)) throw invalidEntry(`User '${name}' has an exec credential plugin with apiVersion '${api}', which kubectl no longer supports.`, file, `Use ${EXEC_API_VERSIONS.join(' or ')} (and a plugin that speaks it).`);
    if (exec.args !== undefined && exec.args !== null && !(Array.isArray(exec.args) && exec.args.every((a) => typeof a === 'string'))) {
      throw invalidEntry(`User '${name}': exec args must be a list of strings.`, file);
    }
    if (exec.env !== undefined && exec.env !== null) {
      if (!Array.isArray(exec.env) || !exec.env.every((e) => typeof asObject(e)?.name === 'string' && asObject(e)?.name !== '')) {
        throw invalidEntry(`User '${name}': exec env must be a list of { name, value } with a name each.`, file);
      }
    }
    const mode = exec.interactiveMode;
    if (mode === undefined || mode === null || mode === '') {
      if (api === 'client.authentication.k8s.io/v1') throw invalidEntry(`User '${name}' has an exec credential plugin (client.authentication.k8s.io/v1) without interactiveMode (kubectl needs it too).`, file, `Set interactiveMode to one of ${INTERACTIVE_MODES.join(', ')}.`);
    } else if (typeof mode !== 'string' || !INTERACTIVE_MODES.includes(mode)) {
      throw invalidEntry(`User '${name}' has an exec credential plugin with interactiveMode '${JSON.stringify(mode)}'.`, file, `Use one of ${INTERACTIVE_MODES.join(', ')}.`);
    }
  }
}

/**
 * The server as a URL without a trailing slash (a path prefix is kept: requests go below it). Without
 * a scheme, client-go's rule (DefaultServerURL): https when TLS is configured (a CA, a client
 * certificate, insecure-skip-tls-verify), else http.
 */
function serverUrl(c: RawCluster & { server: string }, u: RawUser): string {
  const s = c.server.trim().replace(/\/+$/, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return s;
  const tls = [c['certificate-authority'], c['certificate-authority-data'], u['client-certificate'], u['client-certificate-data']].some(nonEmpty) || c['insecure-skip-tls-verify'] === true;
  return `${tls ? 'https' : 'http'}://${s}`;
}

/** Reads the kubeconfig and resolves the chosen (default: current) context to its cluster and user. */
export function loadKubeconfig(source: KubeconfigSource = {}): LoadedKubeconfig {
  const m = readKubeconfig(source);
  const where = m.files.join(delimiter);
  const name = source.context || m.currentContext;
  if (!name) {
    const { hint, fix } = contextFix(m);
    throw new KrustletError('context-unknown', `Kubeconfig ${where} has no current context.`, hint, { fix });
  }
  const ctx = m.contexts.get(name);
  if (!ctx) {
    const { hint, fix } = contextFix(m);
    throw new KrustletError('context-unknown', `Context '${name}' is not in kubeconfig ${where}.`, hint, { fix });
  }
  const clusterName = typeof ctx.cluster === 'string' ? ctx.cluster : '';
  const cluster = m.clusters.get(clusterName);
  if (!clusterName || !cluster) {
    throw new KrustletError(
      'kubeconfig-invalid',
      `Context '${name}' refers to cluster '${clusterName}', which kubeconfig ${where} does not define.`,
      'Fix the context (kubectl config set-context), or use another one.',
      { fix: { kind: 'select-context', data: { contexts: [...m.contexts.keys()] } } },
    );
  }
  if (typeof cluster.server !== 'string' || !cluster.server.trim()) {
    throw new KrustletError(
      'no-server',
      `Cluster '${clusterName}' (context '${name}') has no server address.`,
      'Set it (kubectl config set-cluster NAME --server=https://HOST:PORT), or use another context.',
      { fix: { kind: 'select-context', data: { contexts: [...m.contexts.keys()] } } },
    );
  }
  const userName = typeof ctx.user === 'string' ? ctx.user : '';
  const user = userName ? m.users.get(userName) : {};
  if (!user) {
    // kubectl falls back to no credentials here (system:anonymous); a missing entry is a mistake, never meant.
    throw new KrustletError(
      'kubeconfig-invalid',
      `Context '${name}' uses user '${userName}', which kubeconfig ${where} does not define.`,
      'Add the user (kubectl config set-credentials), fix the context, or use another one.',
      { fix: { kind: 'select-context', data: { contexts: [...m.contexts.keys()] } } },
    );
  }
  checkCluster(clusterName, cluster, m.origins.get(`cluster:${clusterName}`));
  if (userName) checkUser(userName, user, m.origins.get(`user:${userName}`));
  return {
    files: m.files,
    context: contextInfo(m, name, ctx),
    clusterName,
    cluster: { ...cluster, server: serverUrl({ ...cluster, server: cluster.server }, user) },
    userName,
    user,
    contexts: contextsOf(m),
  };
}

/**
 * The cluster's CA as base64 (`certificate-authority-data`), read from the file when the kubeconfig
 * names one. Undefined when there is none (system trust store, or insecure-skip-tls-verify).
 */
export function readCaData(k: Pick<LoadedKubeconfig, 'cluster' | 'clusterName'>): string | undefined {
  const file = k.cluster['certificate-authority'];
  if (typeof file === 'string' && file) {
    try {
      return readRegularFileSync(file, MAX_NAMED_FILE_BYTES).toString('base64');
    } catch (e) {
      const r = e as FileReadError;
      throw new KrustletError(
        'ca-missing',
        `The CA file ${file} of cluster '${k.clusterName}' cannot be read (${r.kind === 'unreadable' ? (r.errno ?? r.message) : r.reason}).`,
        'Fix certificate-authority in the kubeconfig (or embed certificate-authority-data), or use another context.',
        { fix: { kind: 'select-context' } },
      );
    }
  }
  const data = k.cluster['certificate-authority-data'];
  return typeof data === 'string' && data ? data.replace(/\s+/g, '') : undefined;
}

const BOOTSTRAP_USER = 'tls-bootstrap-token-user';
const BOOTSTRAP_CONTEXT = 'tls-bootstrap-token-user@kubernetes';

export interface BootstrapClusterInfo {
  clusterName: string;
  server: string;
  /** base64 PEM; omitted when insecureSkipTlsVerify is set (kubectl refuses both). */
  caData?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
}

/** bootstrap.conf, in the seed's exact shape and key order. Contains the token secret: write it, never log it. */
export function buildBootstrapKubeconfig(c: BootstrapClusterInfo, token: BootstrapToken): string {
  const cluster: Record<string, unknown> = {};
  if (c.insecureSkipTlsVerify) cluster['insecure-skip-tls-verify'] = true;
  else if (c.caData) cluster['certificate-authority-data'] = c.caData;
  cluster.server = c.server;
  if (c.tlsServerName) cluster['tls-server-name'] = c.tlsServerName;
  const doc = {
    apiVersion: 'v1',
    clusters: [{ cluster, name: c.clusterName }],
    contexts: [{ context: { cluster: c.clusterName, namespace: 'kube-system', user: BOOTSTRAP_USER }, name: BOOTSTRAP_CONTEXT }],
    'current-context': BOOTSTRAP_CONTEXT,
    kind: 'Config',
    preferences: {},
    users: [{ name: BOOTSTRAP_USER, user: { token: formatToken(token) } }],
  };
  return yaml.dump(doc, { lineWidth: -1, noArrayIndent: true, quotingType: '"' });
}

/** Reads the token back out of a bootstrap kubeconfig (for checks). */
export function tokenFromBootstrapKubeconfig(text: string): string | undefined {
  const doc = asObject(yaml.load(text));
  const users = (doc?.users as unknown[] | undefined) ?? [];
  for (const u of users) {
    const token = asObject(asObject(u)?.user)?.token;
    if (typeof token === 'string') return token;
  }
  return undefined;
}
