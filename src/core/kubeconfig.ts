/**
 * Reading the user's kubeconfig the way kubectl does (KUBECONFIG with several files, first
 * definition wins; else ~/.kube/config), choosing a context, and building the bootstrap
 * kubeconfig (bootstrap.conf) in exactly the shape of Krustlet's seed example.
 * Plain js-yaml: the cluster adapter turns a {@link LoadedKubeconfig} into a client.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
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
const USER_PATH_KEYS = ['client-certificate', 'client-key', 'token-file'];

function absolutise<T extends Record<string, unknown>>(entry: T, keys: string[], base: string): T {
  const out: Record<string, unknown> = { ...entry };
  for (const k of keys) {
    const v = out[k];
    if (typeof v === 'string' && v && !isAbsolute(v)) out[k] = resolve(base, v);
  }
  return out as T;
}

function parseFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new Error('is a folder');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KrustletError(
      'kubeconfig-missing',
      `Cannot read kubeconfig ${file}: ${(e as Error).message.split('\n')[0]}.`,
      'Check the path and its permissions.',
      { fix: { kind: 'set-kubeconfig' } },
    );
  }
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
  const merged: MergedKubeconfig = { files, clusters: new Map(), users: new Map(), contexts: new Map() };
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
        if (!map.has(name)) map.set(name, fix(body));
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
  const user = m.users.get(userName) ?? {};
  return {
    files: m.files,
    context: contextInfo(m, name, ctx),
    clusterName,
    cluster: { ...cluster, server: cluster.server.trim().replace(/\/+$/, '') },
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
      return readFileSync(file).toString('base64');
    } catch (e) {
      throw new KrustletError(
        'ca-missing',
        `The CA file ${file} of cluster '${k.clusterName}' cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
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
