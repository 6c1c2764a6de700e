import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { connect, type Cluster } from '../core/cluster';
import { createCsrInformer, createNodeInformer, createServiceInformer, createTokenInformer } from '../core/cluster/informer';
import { describeError, isKrustletError, KrustletError } from '../core/errors';
import type { Logger } from '../core/log';
import type { CsrInfo, NodeInfo, PreflightFinding, ServiceInfo, TokenInfo } from '../core/types';
import { LiveCollection, type WatchStatus } from './collection';
import { affects, affectsConnection, contextSetting, expectedHostnamesSetting, kubeconfigSetting, kubeconfigWatchPaths } from './config';
import { BuiltinCommands, type ConnectionKind, ContextKeys, Settings, StateKeys } from './constants';

/**
 * The one connection to the cluster the extension works with: which context, whether it is
 * reachable, and its live collections. Each collection is read straight from its list+watch
 * informer — the only copy of a CSR or a token in the extension — and says what changed through
 * its own `onDidChange`. Who may change what: only this class connects, reconnects and starts or
 * stops the informers; everybody else reads.
 */
export interface ConnectionState {
  kind: ConnectionKind;
  /** One line for the view / log when not connected. */
  message?: string;
  error?: unknown;
  /** Unreachable: the delay before the next background attempt, and its number. */
  retryInMs?: number;
  attempt?: number;
}

export class ClusterService implements vscode.Disposable {
  private readonly connectionEmitter = new vscode.EventEmitter<ConnectionState>();
  /** The connection changed: connecting, connected (to another cluster, maybe), or why not. */
  readonly onDidChangeConnection = this.connectionEmitter.event;
  private readonly hostnamesEmitter = new vscode.EventEmitter<void>();
  /** {@link expectedHostnames} changed (the setting, or a hostname Start Agent remembered). */
  readonly onDidChangeExpectedHostnames = this.hostnamesEmitter.event;

  state: ConnectionState = { kind: 'idle' };
  cluster?: Cluster;
  /** CertificateSigningRequests, by name. */
  readonly csrs: LiveCollection<CsrInfo>;
  /** Bootstrap tokens (Secrets in kube-system, never with their secret), by token id. */
  readonly tokens: LiveCollection<TokenInfo>;
  /** Nodes, by name (the review's context and the Nodes group; a limited identity may not list them). */
  readonly nodes: LiveCollection<NodeInfo>;
  /** Services of every namespace, by namespace/name (their cluster IPs, for the review). */
  readonly services: LiveCollection<ServiceInfo>;

  private generation = 0;
  /** The last clean preflight of {@link cluster} (see {@link cleanPreflight}); never a failing one. */
  private preflight?: { cluster: Cluster; findings: PreflightFinding[]; at: number };
  private connecting?: Promise<void>;
  private fileWatchers: vscode.Disposable[] = [];
  private reconnectTimer?: NodeJS.Timeout;
  /** The background retry while the API server is unreachable (see {@link lose}). */
  private retryTimer?: NodeJS.Timeout;
  /** Failed attempts in a row to reach the API server (connects and watch reconnects): the backoff's exponent. */
  private failures = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly log: Logger,
    private readonly workspaceState: vscode.Memento,
  ) {
    this.csrs = new LiveCollection('CSR', (c, logger) => createCsrInformer(c, { logger }), log, (c) => `${c.name} (${c.state})`);
    this.tokens = new LiveCollection('Bootstrap token', (c, logger) => createTokenInformer(c, { logger }), log, (t) => t.id);
    this.nodes = new LiveCollection('Node', (c, logger) => createNodeInformer(c, { logger }), log, (n) => n.name);
    this.services = new LiveCollection('Service', (c, logger) => createServiceInformer(c, { logger }), log, (x) => `${x.namespace}/${x.name}`);
    this.disposables.push(
      this.connectionEmitter,
      this.hostnamesEmitter,
      this.csrs,
      this.tokens,
      this.nodes,
      this.services,
      // A watch that keeps failing means the API server is gone: after a few attempts the view says so.
      this.csrs.onDidChange((c) => {
        if (c.type === 'status') this.checkWatch(this.csrs.status);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsConnection(e)) this.scheduleReconnect('settings changed');
        if (affects(e, Settings.expectedHostnames)) this.hostnamesEmitter.fire();
      }),
    );
    void this.setContextKey('idle');
  }

  /** Connects on first use (the view opening or a command), not at activation. */
  ensureStarted(): Promise<void> {
    if (this.state.kind === 'idle') return this.reconnect('first use');
    return this.connecting ?? Promise.resolve();
  }

  /** Drops the current connection and watches, then connects again (setting change, kubeconfig change, Retry). */
  reconnect(why: string): Promise<void> {
    this.failures = 0;
    return this.connectNow(why, { quiet: false });
  }

  /**
   * Drops the connection and connects. `quiet` (the background retry while unreachable): the view keeps its
   * error state until the attempt succeeds or fails, instead of flashing "Connecting…" on every attempt.
   */
  private connectNow(why: string, o: { quiet: boolean }): Promise<void> {
    const gen = ++this.generation;
    this.clearRetry();
    this.log.info(`Connecting to the cluster (${why}).`);
    this.stopWatches();
    this.invalidatePreflight('reconnecting');
    this.cluster = undefined;
    if (!o.quiet) this.setState({ kind: 'connecting' });
    this.watchKubeconfigFiles();
    const run = this.doConnect(gen).finally(() => {
      if (this.generation === gen) this.connecting = undefined;
    });
    this.connecting = run;
    return run;
  }

  private async doConnect(gen: number): Promise<void> {
    try {
      const cluster = await connect({ kubeconfigPath: kubeconfigSetting(), context: contextSetting(), logger: this.log });
      if (gen !== this.generation) return;
      // A one-item list to learn whether the server is there and lets us read CSRs; the watches list in full themselves.
      await cluster.listCsrs({ limit: 1 });
      if (gen !== this.generation) return;
      this.cluster = cluster;
      this.failures = 0;
      this.log.info(`Connected to ${cluster.server} (context ${cluster.context.name}).`);
      this.setState({ kind: 'connected' });
      this.csrs.start(cluster);
      this.tokens.start(cluster);
      this.nodes.start(cluster);
      this.services.start(cluster);
    } catch (e) {
      if (gen !== this.generation) return;
      const kind = classify(e);
      this.log.warn(`Cannot use the cluster: ${describeError(e)}`);
      if (kind === 'unreachable') {
        this.lose(e);
        return;
      }
      this.setState({ kind, message: describeError(e), error: e });
    }
  }

  /**
   * The connected watches' status: after {@link FAILED_ATTEMPTS_BEFORE_ERROR} failed reconnects in a row of a
   * watch whose API server does not answer, the connection counts as lost (see {@link lose}).
   */
  private checkWatch(w: WatchStatus): void {
    if (this.state.kind !== 'connected' || w.state !== 'reconnecting' || w.forbidden) return;
    if ((w.attempt ?? 0) < FAILED_ATTEMPTS_BEFORE_ERROR || classify(w.error) !== 'unreachable') return;
    this.failures = w.attempt ?? FAILED_ATTEMPTS_BEFORE_ERROR;
    this.log.warn(`The API server did not answer ${this.failures} reconnects in a row.`);
    this.lose(w.error);
  }

  /**
   * The API server does not answer: the view turns into its error state (Retry, Select Context, Show Log) with
   * the reason and when the next attempt is, and a background attempt follows with capped exponential backoff
   * until it answers again — then everything reconnects by itself.
   */
  private lose(error: unknown): void {
    this.failures++;
    this.stopWatches();
    this.cluster = undefined;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(this.failures - 1, 10));
    const next = Math.round(delay / 1000);
    const message = `${describeError(error)} Retrying in ${next} s (attempt ${this.failures + 1}).`;
    this.log.info(`Cluster unreachable; next attempt in ${next} s (attempt ${this.failures + 1}).`);
    this.setState({ kind: 'unreachable', message, error, retryInMs: delay, attempt: this.failures + 1 });
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connectNow(`attempt ${this.failures + 1} after the API server did not answer`, { quiet: true });
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** The connected cluster, connecting first if needed; throws a KrustletError saying why not. */
  async requireCluster(): Promise<Cluster> {
    await this.ensureStarted();
    if (this.connecting) await this.connecting;
    if (this.cluster) return this.cluster;
    if (this.state.error instanceof Error) throw this.state.error;
    throw new KrustletError('unreachable', this.state.message ?? 'Not connected to a cluster.', 'Check that the cluster is running and that the context points at it.', { fix: { kind: 'select-context' } });
  }

  /**
   * A clean preflight of the connected cluster from the last {@link PREFLIGHT_REUSE_MS}, for a warm
   * Bootstrap to skip the 6 requests. Only clean results are kept (a failing preflight runs and shows
   * every time), only for the connection that ran them (a reconnect, a context or kubeconfig change
   * drops it), and {@link invalidatePreflight} drops it after Apply RBAC or a 401/403.
   */
  cleanPreflight(cluster: Cluster): { findings: PreflightFinding[]; ageMs: number } | undefined {
    const p = this.preflight;
    if (!p || p.cluster !== cluster || cluster !== this.cluster) return undefined;
    const ageMs = Date.now() - p.at;
    if (ageMs < 0 || ageMs > PREFLIGHT_REUSE_MS) {
      this.preflight = undefined;
      return undefined;
    }
    return { findings: p.findings, ageMs };
  }

  /** Keeps a preflight result for {@link cleanPreflight} if it is clean and of the connected cluster; otherwise drops any kept one. */
  rememberPreflight(cluster: Cluster, findings: PreflightFinding[]): void {
    if (cluster === this.cluster && findings.every((f) => f.ok)) this.preflight = { cluster, findings, at: Date.now() };
    else this.preflight = undefined;
  }

  invalidatePreflight(why: string): void {
    if (!this.preflight) return;
    this.preflight = undefined;
    this.log.debug(`Preflight result dropped (${why}).`);
  }

  private stopWatches(): void {
    this.csrs.stop();
    this.tokens.stop();
    this.nodes.stop();
    this.services.stop();
  }

  /** Watch the kubeconfig file(s): an edit on disk (a new context, a rotated credential) reconnects. */
  private watchKubeconfigFiles(): void {
    for (const w of this.fileWatchers) w.dispose();
    this.fileWatchers = [];
    for (const file of kubeconfigWatchPaths()) {
      try {
        // fs.watchFile polls the path itself, so it survives atomic replaces (rename over) and a file
        // that does not exist yet; VS Code's FileSystemWatcher does not see files outside the workspace reliably.
        const listener = (curr: fs.Stats, prev: fs.Stats) => {
          if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
          this.log.info(`Kubeconfig ${file} changed on disk.`);
          this.scheduleReconnect('kubeconfig changed');
        };
        fs.watchFile(file, { interval: 1000, persistent: false }, listener);
        this.fileWatchers.push(new vscode.Disposable(() => fs.unwatchFile(file, listener)));
      } catch (e) {
        this.log.debug(`Cannot watch ${file}: ${describeError(e)}`);
      }
    }
  }

  /** Coalesces bursts (editors write a file in several steps). */
  scheduleReconnect(why: string): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnect(why);
    }, 300);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    void this.setContextKey(state.kind);
    this.connectionEmitter.fire(state);
  }

  private async setContextKey(kind: ConnectionKind): Promise<void> {
    await vscode.commands.executeCommand(BuiltinCommands.setContext, ContextKeys.state, kind);
  }

  /** Hostnames whose `<hostname>-tls` serving CSRs are expected: the setting plus those this workspace bootstrapped. */
  expectedHostnames(): string[] {
    const remembered = this.workspaceState.get<string[]>(StateKeys.bootstrappedHostnames, []);
    return [...new Set([...expectedHostnamesSetting(), ...remembered].map((h) => h.trim()).filter(Boolean))];
  }

  /** For the agent feature: a hostname this workspace configured an agent with. */
  async rememberHostname(hostname: string): Promise<void> {
    const list = this.workspaceState.get<string[]>(StateKeys.bootstrappedHostnames, []);
    if (list.includes(hostname)) return;
    await this.workspaceState.update(StateKeys.bootstrappedHostnames, [...list, hostname]);
    this.hostnamesEmitter.fire();
  }

  dispose(): void {
    this.generation++;
    this.clearRetry();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const w of this.fileWatchers) w.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Failed reconnects in a row of a connected watch before the view shows the error state (its retries: ≈ 0.5 + 1 + 2 s). */
export const FAILED_ATTEMPTS_BEFORE_ERROR = 3;
/** The background attempts while unreachable: 1 s, doubled per failure, at most 30 s. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** How long a clean preflight is reused by Bootstrap on the same connection. */
const PREFLIGHT_REUSE_MS = 2 * 60_000;

function classify(e: unknown): ConnectionKind {
  if (isKrustletError(e)) {
    switch (e.code) {
      case 'kubeconfig-missing':
      case 'kubeconfig-invalid':
      case 'context-unknown':
      case 'no-server':
      case 'ca-missing':
        return 'noKubeconfig';
      case 'unreachable':
      case 'timeout':
        return 'unreachable';
      case 'forbidden':
      case 'unauthorized':
        return 'forbidden';
      default:
        return 'error';
    }
  }
  return 'error';
}
