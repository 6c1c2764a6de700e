import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { describeError, isKrustletError, KrustletError } from '../core/errors';
import type { Logger } from '../core/log';
import type { CsrInfo, PreflightFinding, TokenInfo } from '../core/types';
import { contextSetting, expectedHostnamesSetting, kubeconfigFiles, kubeconfigSetting } from './config';
import { BuiltinCommands, type ConnectionKind, ContextKeys, StateKeys } from './constants';
import { type Cluster, connectCluster, startWatch, type WatchState } from './coreAdapter';

/**
 * The one connection to the cluster the view shows: which context, whether it is reachable, and the
 * live CSRs and bootstrap tokens kept current by list+watch informers. Views and commands read it;
 * it says what changed through {@link onDidChange}, one item at a time.
 */
export type ModelChange =
  | { kind: 'connection' }
  | { kind: 'csr'; op: 'added' | 'modified' | 'deleted'; name: string }
  | { kind: 'csrs-reset' }
  | { kind: 'csrs-state' }
  | { kind: 'token'; op: 'added' | 'modified' | 'deleted'; id: string }
  | { kind: 'tokens-reset' }
  | { kind: 'tokens-state' };

export interface ConnectionState {
  kind: ConnectionKind;
  /** One line for the view / log when not connected. */
  message?: string;
  error?: unknown;
}

export interface WatchStatus {
  state: WatchState;
  /** The last error while reconnecting, as one line. */
  message?: string;
  /** The watch cannot run (e.g. 403 listing Secrets in kube-system). */
  forbidden?: boolean;
}

export class ClusterService implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ModelChange>();
  readonly onDidChange = this.emitter.event;

  state: ConnectionState = { kind: 'idle' };
  cluster?: Cluster;
  readonly csrs = new Map<string, CsrInfo>();
  readonly tokens = new Map<string, TokenInfo>();
  csrWatch: WatchStatus = { state: 'connecting' };
  tokenWatch: WatchStatus = { state: 'connecting' };

  private generation = 0;
  /** The last clean preflight of {@link cluster} (see {@link cleanPreflight}); never a failing one. */
  private preflight?: { cluster: Cluster; findings: PreflightFinding[]; at: number };
  private connecting?: Promise<void>;
  private watches: vscode.Disposable[] = [];
  private fileWatchers: vscode.Disposable[] = [];
  private reconnectTimer?: NodeJS.Timeout;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly log: Logger,
    private readonly workspaceState: vscode.Memento,
  ) {
    this.disposables.push(this.emitter);
    void this.setContextKey('idle');
  }

  /** Connects on first use (the view opening or a command), not at activation. */
  ensureStarted(): Promise<void> {
    if (this.state.kind === 'idle') return this.reconnect('first use');
    return this.connecting ?? Promise.resolve();
  }

  /** Drops the current connection and watches, then connects again (setting change, kubeconfig change, Retry). */
  reconnect(why: string): Promise<void> {
    const gen = ++this.generation;
    this.log.info(`Connecting to the cluster (${why}).`);
    this.stopWatches();
    this.invalidatePreflight('reconnecting');
    this.cluster = undefined;
    this.csrs.clear();
    this.tokens.clear();
    this.csrWatch = { state: 'connecting' };
    this.tokenWatch = { state: 'connecting' };
    this.setState({ kind: 'connecting' });
    this.watchKubeconfigFiles();
    const run = this.doConnect(gen).finally(() => {
      if (this.generation === gen) this.connecting = undefined;
    });
    this.connecting = run;
    return run;
  }

  private async doConnect(gen: number): Promise<void> {
    try {
      const cluster = await connectCluster({ kubeconfigPath: kubeconfigSetting(), context: contextSetting(), logger: this.log });
      if (gen !== this.generation) return;
      // A one-item list to learn whether the server is there and lets us read CSRs; the watches list in full themselves.
      await cluster.listCsrs({ limit: 1 });
      if (gen !== this.generation) return;
      this.cluster = cluster;
      this.log.info(`Connected to ${cluster.server} (context ${cluster.context.name}).`);
      this.setState({ kind: 'connected' });
      this.startWatches(cluster, gen);
    } catch (e) {
      if (gen !== this.generation) return;
      const kind = classify(e);
      this.log.warn(`Cannot use the cluster: ${describeError(e)}`);
      this.setState({ kind, message: describeError(e), error: e });
    }
  }

  /** The connected cluster, connecting first if needed; throws a KrustletError saying why not. */
  async requireCluster(): Promise<Cluster> {
    await this.ensureStarted();
    if (this.connecting) await this.connecting;
    if (this.cluster) return this.cluster;
    if (this.state.error instanceof Error) throw this.state.error;
    throw new KrustletError('unreachable', this.state.message ?? 'Not connected to a cluster.', 'Check the kubeconfig and context (Krustlet: Select Kubeconfig Context), then Refresh.');
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

  private startWatches(cluster: Cluster, gen: number): void {
    const live = () => gen === this.generation;
    this.watches.push(
      startWatch(cluster, 'csrs', this.log, {
        reset: (items) => {
          if (!live()) return;
          this.csrs.clear();
          for (const c of items) this.csrs.set(c.name, c);
          this.emitter.fire({ kind: 'csrs-reset' });
        },
        upsert: (item, op) => {
          if (!live()) return;
          this.log.debug(`CSR ${item.name} ${op} (${item.state}).`);
          this.csrs.set(item.name, item);
          this.emitter.fire({ kind: 'csr', op, name: item.name });
        },
        remove: (name) => {
          if (!live()) return;
          if (this.csrs.delete(name)) this.emitter.fire({ kind: 'csr', op: 'deleted', name });
        },
        state: (state, error) => {
          if (!live()) return;
          this.log.debug(`CSR watch: ${state}${error === undefined ? '' : ` (${describeError(error)})`}.`);
          this.csrWatch = watchStatus(state, error);
          this.emitter.fire({ kind: 'csrs-state' });
        },
      }),
      startWatch(cluster, 'tokens', this.log, {
        reset: (items) => {
          if (!live()) return;
          this.tokens.clear();
          for (const t of items) this.tokens.set(t.id, t);
          this.emitter.fire({ kind: 'tokens-reset' });
        },
        upsert: (item, op) => {
          if (!live()) return;
          this.log.debug(`Bootstrap token ${item.id} ${op}.`);
          this.tokens.set(item.id, item);
          this.emitter.fire({ kind: 'token', op, id: item.id });
        },
        remove: (id) => {
          if (!live()) return;
          if (this.tokens.delete(id)) this.emitter.fire({ kind: 'token', op: 'deleted', id });
        },
        state: (state, error) => {
          if (!live()) return;
          this.log.debug(`Token watch: ${state}${error === undefined ? '' : ` (${describeError(error)})`}.`);
          this.tokenWatch = watchStatus(state, error);
          this.emitter.fire({ kind: 'tokens-state' });
        },
      }),
    );
  }

  private stopWatches(): void {
    for (const w of this.watches) w.dispose();
    this.watches = [];
  }

  /** Watch the kubeconfig file(s): an edit on disk (a new context, a rotated credential) reconnects. */
  private watchKubeconfigFiles(): void {
    for (const w of this.fileWatchers) w.dispose();
    this.fileWatchers = [];
    for (const file of kubeconfigFiles()) {
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
    this.emitter.fire({ kind: 'connection' });
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
    if (!list.includes(hostname)) await this.workspaceState.update(StateKeys.bootstrappedHostnames, [...list, hostname]);
  }

  dispose(): void {
    this.generation++;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stopWatches();
    for (const w of this.fileWatchers) w.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** How long a clean preflight is reused by Bootstrap on the same connection. */
export const PREFLIGHT_REUSE_MS = 2 * 60_000;

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

function watchStatus(state: WatchState, error?: unknown): WatchStatus {
  return {
    state,
    message: error === undefined ? undefined : describeError(error),
    forbidden: isKrustletError(error, 'forbidden') || isKrustletError(error, 'unauthorized'),
  };
}
