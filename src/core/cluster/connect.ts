/**
 * The connection to one cluster through one kubeconfig context. @kubernetes/client-node does what
 * it is good at (credentials: client certificates, tokens, exec and auth-provider plugins, proxies);
 * requests go through a small JSON transport with a hard timeout so nothing ever hangs.
 * client-node is loaded lazily (`await import`) so the extension activates fast.
 */
import type * as http from 'node:http';
import type * as https from 'node:https';
import { accessSync, constants as fsc } from 'node:fs';
import type * as K8s from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { KrustletError } from '../errors';
import { loadKubeconfig, readCaData, type KubeconfigSource, type LoadedKubeconfig, type RawCluster } from '../kubeconfig';
import { silentLogger, type Logger } from '../log';
import type { TokenSecretManifest } from '../token';
import { formatToken } from '../token';
import type { BootstrapToken, ContextInfo, CsrInfo, TokenInfo } from '../types';
import { accessReview, tokenReview, type AccessAttributes, type AccessResult, type TokenReviewResult } from './access';
import { approveCsr, createCsr, deleteCsr, denyCsr, getCsr, getCsrCertificate, listCsrs, type CreateCsrOptions } from './csr';
import { createClusterInfo, getClusterInfo, type ClusterInfoCreateResult } from './clusterInfo';
import { createClusterRoleBinding, getClusterRoleBinding, listClusterRoleBindings, type ClusterRoleBindingInfo } from './rbac';
import { createTokenSecret, deleteToken, listTokens, type ListTokensOptions } from './tokens';
import { Transport, type Prepared } from './transport';

export const DEFAULT_TIMEOUT_MS = 5000;

type KubeConfig = K8s.KubeConfig;

/**
 * All that src/core/cluster takes from client-node. The bundles load it from dist/kube.js, which
 * exports only these (scripts/build.mjs, KUBE_ENTRY): add a name there before using it here.
 */
export type KubeModule = Pick<typeof K8s, 'KubeConfig' | 'Watch'>;

/** Loads client-node (lazily: the first connect pays for it, not activation or `--help`). */
export function loadKube(): Promise<KubeModule> {
  return import('@kubernetes/client-node');
}

export interface ConnectOptions extends KubeconfigSource {
  logger?: Logger;
  /** Per-request timeout; default 5 s. */
  timeoutMs?: number;
}

/** A connection to one cluster through one context. Plain data in and out; no client-node types. */
export class Cluster {
  #kc: KubeConfig;
  readonly transport: Transport;

  constructor(
    kc: KubeConfig,
    readonly loaded: LoadedKubeconfig,
    /** base64 PEM of the cluster CA (read from the file the kubeconfig names), if any. */
    readonly caData: string | undefined,
    readonly logger: Logger,
    readonly timeoutMs: number,
    who?: string,
    transport?: Transport,
  ) {
    this.#kc = kc;
    this.transport = transport ?? new Transport(this.server, () => prepareFromKubeConfig(this.#kc), timeoutMs, logger, who ?? `context '${loaded.context.name}'`);
  }

  /**
   * The same connection whose every request (and every connection derived from it, see asToken)
   * stops at once when `signal` aborts: how a use case is cancelled (Ctrl-C, VS Code closing).
   */
  withSignal(signal: AbortSignal): Cluster {
    return new Cluster(this.#kc, this.loaded, this.caData, this.logger, this.timeoutMs, undefined, this.transport.withSignal(signal));
  }

  get context(): ContextInfo {
    return this.loaded.context;
  }
  get contextName(): string {
    return this.loaded.context.name;
  }
  get server(): string {
    return this.loaded.cluster.server;
  }
  get clusterName(): string {
    return this.loaded.clusterName;
  }
  get insecureSkipTlsVerify(): boolean {
    return this.loaded.cluster['insecure-skip-tls-verify'] === true;
  }
  get tlsServerName(): string | undefined {
    const v = this.loaded.cluster['tls-server-name'];
    return typeof v === 'string' && v ? v : undefined;
  }
  /** Only for src/core/cluster (the informer's Watch): the underlying client-node KubeConfig. */
  kubeConfig(): KubeConfig {
    return this.#kc;
  }

  /** GET /version: the server's Kubernetes version (also a cheap reachability check). */
  async version(): Promise<{ gitVersion: string; major?: string; minor?: string }> {
    return this.transport.request('GET', '/version');
  }

  /** A connection to the same server (same CA) authenticated with a bootstrap token instead. */
  async asToken(token: BootstrapToken | string): Promise<Cluster> {
    const t = typeof token === 'string' ? token : formatToken(token);
    const cluster: RawCluster & { server: string } = { server: this.server };
    if (this.caData) cluster['certificate-authority-data'] = this.caData;
    if (this.insecureSkipTlsVerify) cluster['insecure-skip-tls-verify'] = true;
    if (this.tlsServerName) cluster['tls-server-name'] = this.tlsServerName;
    const loaded: LoadedKubeconfig = {
      files: [],
      context: { name: 'bootstrap-token', cluster: this.clusterName, user: 'bootstrap-token', server: this.server, current: true },
      clusterName: this.clusterName,
      cluster,
      userName: 'bootstrap-token',
      user: { token: t },
      contexts: [],
    };
    const asToken = await fromLoaded(loaded, this.caData, this.logger, this.timeoutMs, 'the bootstrap token');
    return this.transport.signal ? asToken.withSignal(this.transport.signal) : asToken;
  }

  // Tokens
  createTokenSecret(manifest: TokenSecretManifest): Promise<void> {
    return createTokenSecret(this.transport, manifest);
  }
  listTokens(opts?: ListTokensOptions): Promise<TokenInfo[]> {
    return listTokens(this.transport, opts);
  }
  /** `resourceVersion`: delete only that version of the Secret (a 'conflict' error if it changed). */
  deleteToken(idOrToken: string, resourceVersion?: string): Promise<{ id: string; secretName: string }> {
    return deleteToken(this.transport, idOrToken, resourceVersion);
  }

  // CSRs
  listCsrs(opts?: { limit?: number }): Promise<{ items: CsrInfo[]; resourceVersion: string }> {
    return listCsrs(this.transport, opts);
  }
  getCsr(name: string): Promise<CsrInfo> {
    return getCsr(this.transport, name);
  }
  /** The issued certificate (PEM), or undefined while there is none. */
  getCsrCertificate(name: string): Promise<string | undefined> {
    return getCsrCertificate(this.transport, name);
  }
  /** `known`: a copy read earlier (e.g. the informer's) — one PUT with its resourceVersion instead of GET + PUT; see csr.ts. */
  approveCsr(name: string, reason?: string, message?: string, known?: CsrInfo): Promise<CsrInfo> {
    return approveCsr(this.transport, name, reason, message, known);
  }
  denyCsr(name: string, reason?: string, message?: string, known?: CsrInfo): Promise<CsrInfo> {
    return denyCsr(this.transport, name, reason, message, known);
  }
  /** `exactly`: delete only that object (uid, resourceVersion as listed; a 'conflict' error if it changed). */
  deleteCsr(name: string, exactly?: { uid?: string; resourceVersion?: string }): Promise<void> {
    return deleteCsr(this.transport, name, exactly);
  }
  createCsr(opts: CreateCsrOptions): Promise<CsrInfo> {
    return createCsr(this.transport, opts);
  }

  // Access
  accessReview(attrs: AccessAttributes): Promise<AccessResult> {
    return accessReview(this.transport, attrs);
  }
  /** Who a token authenticates as (TokenReview; needs `create tokenreviews`). */
  tokenReview(token: BootstrapToken | string): Promise<TokenReviewResult> {
    return tokenReview(this.transport, typeof token === 'string' ? token : formatToken(token));
  }

  // kube-public/cluster-info (kubeadm's token discovery)
  /** The ConfigMap's data, or undefined when it does not exist. */
  getClusterInfo(): Promise<Record<string, string> | undefined> {
    return getClusterInfo(this.transport);
  }
  createClusterInfo(kubeconfig: string): Promise<ClusterInfoCreateResult> {
    return createClusterInfo(this.transport, kubeconfig);
  }

  // RBAC
  listClusterRoleBindings(): Promise<ClusterRoleBindingInfo[]> {
    return listClusterRoleBindings(this.transport);
  }
  getClusterRoleBinding(name: string): Promise<ClusterRoleBindingInfo | undefined> {
    return getClusterRoleBinding(this.transport, name);
  }
  createClusterRoleBinding(b: ClusterRoleBindingInfo): Promise<'created' | 'exists'> {
    return createClusterRoleBinding(this.transport, b);
  }
}

async function prepareFromKubeConfig(kc: KubeConfig): Promise<Prepared> {
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { agent: opts.agent as http.Agent | undefined, headers, auth: opts.auth ?? undefined };
}

const USER_FILE_KEYS = ['client-certificate', 'client-key', 'token-file'];

function checkUserFiles(loaded: LoadedKubeconfig): void {
  for (const key of USER_FILE_KEYS) {
    const f = loaded.user[key];
    if (typeof f !== 'string' || !f) continue;
    try {
      accessSync(f, fsc.R_OK);
    } catch {
      throw new KrustletError(
        'kubeconfig-invalid',
        `The ${key} file ${f} of user '${loaded.userName}' (context '${loaded.context.name}') cannot be read.`,
        'Fix the path in the kubeconfig, or use another context.',
        { fix: { kind: 'select-context' } },
      );
    }
  }
}

async function fromLoaded(loaded: LoadedKubeconfig, caData: string | undefined, logger: Logger, timeoutMs: number, who?: string): Promise<Cluster> {
  const k8s = await loadKube();
  const cluster: RawCluster = { ...loaded.cluster };
  delete cluster['certificate-authority'];
  if (caData) cluster['certificate-authority-data'] = caData;
  const userName = loaded.userName || 'user';
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: loaded.clusterName, cluster }],
    users: [{ name: userName, user: loaded.user }],
    contexts: [{ name: loaded.context.name, context: { cluster: loaded.clusterName, user: userName, namespace: loaded.context.namespace } }],
    'current-context': loaded.context.name,
  };
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromString(JSON.stringify(doc));
  } catch (e) {
    throw new KrustletError(
      'kubeconfig-invalid',
      `Context '${loaded.context.name}' cannot be used: ${String((e as Error).message).split('\n')[0]}.`,
      'Fix the kubeconfig entry, or use another context.',
      { fix: { kind: 'select-context' } },
    );
  }
  return new Cluster(kc, loaded, caData, logger, timeoutMs, who);
}

/** Loads the kubeconfig, resolves the context and prepares a connection (no request is made yet). */
export async function connect(opts: ConnectOptions = {}): Promise<Cluster> {
  const loaded = loadKubeconfig(opts);
  const caData = readCaData(loaded);
  checkUserFiles(loaded);
  const logger = opts.logger ?? silentLogger;
  if (loaded.cluster['insecure-skip-tls-verify'] === true) {
    logger.warn(`Context '${loaded.context.name}' skips TLS verification (insecure-skip-tls-verify): the server's identity is not checked.`);
  }
  return fromLoaded(loaded, caData, logger, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}
