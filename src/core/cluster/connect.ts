/**
 * The connection to one cluster through one kubeconfig context. The credentials are read as kubectl
 * reads them (credentials.ts); requests go through a small JSON transport with a hard timeout
 * (credentials included) so nothing ever hangs. client-node gives only its Watch (the informer's),
 * loaded lazily (`await import`) so the extension activates fast.
 */
import type * as K8s from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { KrustletError } from '../errors';
import { loadKubeconfig, readCaData, type KubeconfigSource, type LoadedKubeconfig, type RawCluster } from '../kubeconfig';
import { silentLogger, type Logger } from '../log';
import type { TokenSecretManifest } from '../token';
import { formatToken } from '../token';
import type { BootstrapToken, ContextInfo, CsrInfo, NodeInfo, ServiceInfo, TokenInfo } from '../types';
import { accessReview, tokenReview, type AccessAttributes, type AccessResult, type TokenReviewResult } from './access';
import { approveCsr, createCsr, deleteCsr, denyCsr, getCsr, getCsrCertificate, listCsrs, type CreateCsrOptions } from './csr';
import { createClusterInfo, getClusterInfo, type ClusterInfoCreateResult } from './clusterInfo';
import { listNodes, listServices } from './nodes';
import { createClusterRoleBinding, getClusterRoleBinding, listClusterRoleBindings, type ClusterRoleBindingInfo } from './rbac';
import { createTokenSecret, deleteToken, listTokens, type ListTokensOptions } from './tokens';
import { credentials, type CredentialOptions } from './credentials';
import { Transport } from './transport';

export const DEFAULT_TIMEOUT_MS = 5000;

type KubeConfig = K8s.KubeConfig;

/**
 * All that src/core/cluster takes from client-node. The bundles load it from dist/kube.js, which
 * exports only these (scripts/build.mjs, KUBE_ENTRY): add a name there before using it here.
 */
export type KubeModule = Pick<typeof K8s, 'Watch'>;

/** Loads client-node (lazily: the first connect pays for it, not activation or `--help`). */
export function loadKube(): Promise<KubeModule> {
  return import('@kubernetes/client-node');
}

export interface ConnectOptions extends KubeconfigSource {
  logger?: Logger;
  /** Whether an exec credential plugin may ask the user (kubectl: stdin is a terminal). Default false. */
  interactive?: boolean;
  /** Per-request timeout; default 5 s. */
  timeoutMs?: number;
}

/** A connection to one cluster through one context. Plain data in and out; no client-node types. */
export class Cluster {
  readonly transport: Transport;

  constructor(
    readonly loaded: LoadedKubeconfig,
    /** base64 PEM of the cluster CA (read from the file the kubeconfig names), if any. */
    readonly caData: string | undefined,
    readonly logger: Logger,
    readonly timeoutMs: number,
    who?: string,
    transport?: Transport,
    credentialOptions: CredentialOptions = {},
  ) {
    this.transport = transport ?? new Transport(this.server, credentials(loaded, caData, credentialOptions), timeoutMs, logger, who ?? `context '${loaded.context.name}'`);
  }

  /**
   * The same connection whose every request (and every connection derived from it, see asToken)
   * stops at once when `signal` aborts: how a use case is cancelled (Ctrl-C, VS Code closing).
   */
  withSignal(signal: AbortSignal): Cluster {
    return new Cluster(this.loaded, this.caData, this.logger, this.timeoutMs, undefined, this.transport.withSignal(signal));
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
  /**
   * Only for src/core/cluster (the informer's Watch): the two calls client-node's Watch makes of a
   * KubeConfig, answered with this connection's credentials (bounded like a request's).
   */
  kubeConfig(): KubeConfig {
    const transport = this.transport;
    const server = this.server;
    const shim = {
      getCurrentCluster: () => ({ name: this.clusterName, server, skipTLSVerify: this.insecureSkipTlsVerify }),
      applyToFetchOptions: async () => {
        const p = await transport.credentials();
        const headers: [string, string][] = [];
        for (const [k, v] of Object.entries(p.headers)) for (const one of Array.isArray(v) ? v : [v]) headers.push([k, one]);
        if (p.auth) headers.push(['Authorization', `Basic ${Buffer.from(p.auth).toString('base64')}`]);
        return { agent: p.agent, headers };
      },
    };
    return shim as unknown as KubeConfig;
  }

  /** GET /version: the server's Kubernetes version (also a cheap reachability check). */
  async version(): Promise<{ gitVersion: string; major?: string; minor?: string }> {
    return this.transport.request('GET', '/version');
  }

  /** A connection to the same server (same CA) authenticated with a bootstrap token instead. */
  asToken(token: BootstrapToken | string): Promise<Cluster> {
    const t = typeof token === 'string' ? token : formatToken(token);
    const cluster: RawCluster & { server: string } = { server: this.server };
    if (this.caData) cluster['certificate-authority-data'] = this.caData;
    if (this.insecureSkipTlsVerify) cluster['insecure-skip-tls-verify'] = true;
    if (this.tlsServerName) cluster['tls-server-name'] = this.tlsServerName;
    const proxy = this.loaded.cluster['proxy-url'];
    if (typeof proxy === 'string' && proxy) cluster['proxy-url'] = proxy;
    const loaded: LoadedKubeconfig = {
      files: [],
      context: { name: 'bootstrap-token', cluster: this.clusterName, user: 'bootstrap-token', server: this.server, current: true },
      clusterName: this.clusterName,
      cluster,
      userName: 'bootstrap-token',
      user: { token: t },
      contexts: [],
    };
    const asToken = fromLoaded(loaded, this.caData, this.logger, this.timeoutMs, 'the bootstrap token');
    return Promise.resolve(this.transport.signal ? asToken.withSignal(this.transport.signal) : asToken);
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

  // Nodes and Services (the review's context)
  listNodes(): Promise<NodeInfo[]> {
    return listNodes(this.transport);
  }
  listServices(): Promise<ServiceInfo[]> {
    return listServices(this.transport);
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

function fromLoaded(loaded: LoadedKubeconfig, caData: string | undefined, logger: Logger, timeoutMs: number, who?: string, credentialOptions: CredentialOptions = {}): Cluster {
  return new Cluster(loaded, caData, logger, timeoutMs, who, undefined, credentialOptions);
}

/** Loads the kubeconfig, resolves the context and prepares a connection (no request is made yet). */
export function connect(opts: ConnectOptions = {}): Promise<Cluster> {
  // (A bad kubeconfig is a rejection, as callers await it.)
  return new Promise((resolve) => resolve(connectNow(opts)));
}

/** setTimeout's limit: a longer timer fires at once (with a warning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function connectNow(opts: ConnectOptions): Cluster {
  const ms = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(ms) || ms < 1 || ms > MAX_TIMER_MS) {
    throw new KrustletError('invalid-argument', `A request timeout of ${String(ms)} ms is out of range.`, `Use 1 ms to ${MAX_TIMER_MS} ms.`, { fix: { kind: 'fix-input', data: { input: 'timeout' } } });
  }
  const loaded = loadKubeconfig(opts);
  const caData = readCaData(loaded);
  const logger = opts.logger ?? silentLogger;
  if (loaded.cluster['insecure-skip-tls-verify'] === true) {
    logger.warn(`Context '${loaded.context.name}' skips TLS verification (insecure-skip-tls-verify): the server's identity is not checked.`);
  }
  if (!loaded.userName) logger.warn(`Context '${loaded.context.name}' names no user: requests are anonymous (system:anonymous).`);
  return fromLoaded(loaded, caData, logger, ms, undefined, { interactive: opts.interactive, env: opts.env });
}
