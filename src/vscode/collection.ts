/**
 * One live collection of the connected cluster (CSRs, bootstrap tokens; Nodes or ConfigMaps the same
 * way): typed reads straight from the core's list+watch informer — the only store of its items — and
 * one change event. The object outlives connections: a reconnect stops the old informer and starts
 * another, and readers keep the same `LiveCollection`.
 */
import * as vscode from 'vscode';
import type { Cluster } from '../core/cluster';
import type { Informer, InformerState } from '../core/cluster/informer';
import { describeError, isKrustletError } from '../core/errors';
import type { Logger } from '../core/log';

export interface WatchStatus {
  state: InformerState;
  /** The last error while reconnecting, as one line. */
  message?: string;
  /** The watch cannot run (e.g. 403 listing Secrets in kube-system). */
  forbidden?: boolean;
  /** While reconnecting: which failed attempt in a row this is (1-based), and the delay before the next one. */
  attempt?: number;
  retryInMs?: number;
  /** The last error (a KrustletError when it came from a request). */
  error?: unknown;
}

/**
 * What changed. `reset`: anything may have changed (the first list arrived, a relist, a new
 * connection): read again. `status`: the watch's state changed (live, reconnecting …).
 */
export type CollectionChange<T> =
  | { type: 'added' | 'modified'; key: string; item: T }
  | { type: 'deleted'; key: string; item: T }
  | { type: 'reset' }
  | { type: 'status' };

/** Makes the informer of one collection for a connected cluster. */
type InformerFactory<T> = (cluster: Cluster, logger: Logger) => Informer<T>;

export class LiveCollection<T> implements vscode.Disposable {
  private informer?: Informer<T>;
  private offs: (() => void)[] = [];
  private current: WatchStatus = { state: 'connecting' };
  private readonly emitter = new vscode.EventEmitter<CollectionChange<T>>();
  readonly onDidChange = this.emitter.event;

  /**
   * @param what for the log: "CSR", "bootstrap token"
   * @param describe one item for the log, e.g. "node1-tls (pending)"
   */
  constructor(
    readonly what: string,
    private readonly createInformer: InformerFactory<T>,
    private readonly log: Logger,
    private readonly describe: (item: T) => string,
  ) {}

  /** The item with this key, once the first list has arrived. */
  get(key: string): T | undefined {
    return this.informer?.synced ? this.informer.get(key) : undefined;
  }

  /** Every item (a new array), once the first list has arrived. */
  list(): T[] {
    return this.informer?.synced ? this.informer.list() : [];
  }

  /** True once the first list of the current connection has arrived. */
  get synced(): boolean {
    return this.informer?.synced ?? false;
  }

  get status(): WatchStatus {
    return this.current;
  }

  /** The error the watch fails with (undefined while live): why its facts cannot be read. */
  get lastError(): unknown {
    return this.informer?.lastError;
  }

  /** Lists and watches the collection of `cluster`, replacing any earlier watch. */
  start(cluster: Cluster): void {
    this.stop();
    const informer = this.createInformer(cluster, this.log);
    this.informer = informer;
    const live = () => this.informer === informer;
    this.offs = [
      // The first list arrives as ADDED events followed by onSynced: readers take it whole on `reset`;
      // after that each event stands on its own.
      informer.onEvent((e) => {
        if (!live() || !informer.synced) return;
        if (e.type === 'DELETED') {
          this.emitter.fire({ type: 'deleted', key: e.key, item: e.item });
        } else {
          this.log.debug(`${this.what} ${this.describe(e.item)} ${e.type === 'ADDED' ? 'added' : 'modified'}.`);
          this.emitter.fire({ type: e.type === 'ADDED' ? 'added' : 'modified', key: e.key, item: e.item });
        }
      }),
      informer.onSynced(() => {
        if (live()) this.emitter.fire({ type: 'reset' });
      }),
      informer.onState((s) => {
        if (!live()) return;
        this.log.debug(`${this.what} watch: ${s.state}${s.error === undefined ? '' : ` (${describeError(s.error)})`}.`);
        this.current = {
          state: s.state,
          message: s.error === undefined ? undefined : describeError(s.error),
          forbidden: isKrustletError(s.error, 'forbidden') || isKrustletError(s.error, 'unauthorized'),
          attempt: s.attempt,
          retryInMs: s.retryInMs,
          error: s.error,
        };
        this.emitter.fire({ type: 'status' });
      }),
    ];
  }

  /** Stops watching: the collection is empty until the next {@link start}. */
  stop(): void {
    const had = this.informer !== undefined;
    for (const off of this.offs) off();
    this.offs = [];
    this.informer?.dispose();
    this.informer = undefined;
    this.current = { state: 'connecting' };
    if (had) this.emitter.fire({ type: 'reset' });
  }

  dispose(): void {
    for (const off of this.offs) off();
    this.offs = [];
    this.informer?.dispose();
    this.informer = undefined;
    this.emitter.dispose();
  }
}
