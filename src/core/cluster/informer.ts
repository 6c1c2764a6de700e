/**
 * A list+watch informer: keeps a live, incremental copy of one resource collection.
 *
 *  - lists once, then watches from the list's resourceVersion (with bookmarks);
 *  - each ADDED / MODIFIED / DELETED updates only that item and emits one event;
 *  - 410 Gone (resourceVersion too old) → relist, emitting only the difference (no duplicates);
 *  - a dropped or failed connection → reconnect with capped exponential backoff, resuming from the
 *    last resourceVersion seen; the state ('connecting' | 'live' | 'reconnecting' | 'stopped') and
 *    the last error are reported so a UI can show "reconnecting";
 *  - a watch that stays silent longer than the server's own timeout is treated as dropped;
 *  - dispose() stops everything: the connection is aborted and no timer is left.
 *
 * Watches go through @kubernetes/client-node's `Watch` (loaded lazily through loadKube(), like every use of client-node) with the Cluster's KubeConfig;
 * lists go through the Cluster's transport. Items are converted to plain types before anyone sees
 * them: a token Secret's secret never leaves this file.
 */
import { describeError, KrustletError } from '../errors';
import { silentLogger, type Logger } from '../log';
import { TOKEN_NAMESPACE, TOKEN_SECRET_TYPE } from '../token';
import type { CsrInfo, NodeInfo, ServiceInfo, TokenInfo } from '../types';
import { loadKube, type Cluster, type KubeModule } from './connect';
import { CSR_PATH, toCsrInfo, type V1Csr } from './csr';
import { NODES_PATH, SERVICES_PATH, toNodeInfo, toServiceInfo, type V1Node, type V1Service } from './nodes';
import { secretToTokenInfo } from './tokens';

export type InformerState = 'connecting' | 'live' | 'reconnecting' | 'stopped';
export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerEvent<T> {
  type: InformerEventType;
  key: string;
  /** For DELETED: the last known state of the item. */
  item: T;
}

export interface InformerStateChange {
  state: InformerState;
  /** The error that caused 'reconnecting' (a KrustletError when it came from a request). */
  error?: unknown;
  /** One line describing `error`, safe to show. */
  message?: string;
  /** When reconnecting: the delay before the next attempt, and which attempt it is (1-based). */
  retryInMs?: number;
  attempt?: number;
}

export interface InformerStats {
  lists: number;
  relists: number;
  watches: number;
  reconnects: number;
  bookmarks: number;
  events: number;
  /** Watch events skipped because the store already had that exact version (replays after a reconnect). */
  duplicatesSkipped: number;
}

export interface InformerHandlers<T> {
  onEvent?: (e: InformerEvent<T>) => void;
  onState?: (s: InformerStateChange) => void;
  /** After the first list and after every relist, once its diff events have been emitted. */
  onSynced?: (items: T[]) => void;
}

export interface InformerOptions<T> extends InformerHandlers<T> {
  logger?: Logger;
  /** First retry delay (default 500 ms), doubled per failed attempt up to maxBackoffMs (default 30 s); ±20 % jitter. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * The server ends each watch after about this long (default 120 s, randomised ±10 %); we then resume
   * from the last resourceVersion. Silence for 30 s beyond it counts as a dead connection.
   */
  watchTimeoutSeconds?: number;
  /**
   * Resume from a known snapshot instead of listing first (a cached tree, or a test forcing 410 Gone):
   * the watch starts at `resourceVersion` with `items` as the current state.
   */
  resume?: { resourceVersion: string; items: T[] };
}

export interface Informer<T> {
  readonly what: string;
  readonly state: InformerState;
  readonly lastError: unknown;
  /** The last resourceVersion seen (list, event or bookmark). */
  readonly resourceVersion: string | undefined;
  /** True once the first list (or the resume snapshot) has been applied. */
  readonly synced: boolean;
  readonly stats: Readonly<InformerStats>;
  list(): T[];
  get(key: string): T | undefined;
  onEvent(listener: (e: InformerEvent<T>) => void): () => void;
  onState(listener: (s: InformerStateChange) => void): () => void;
  onSynced(listener: (items: T[]) => void): () => void;
  /** Resolves after the first successful list; rejects if disposed first. */
  whenSynced(): Promise<void>;
  dispose(): void;
}

/** What to list and watch, and how to turn the API's JSON into plain items. */
export interface InformerSpec<R, T> {
  /** For logs: "CSRs", "bootstrap tokens". */
  what: string;
  /** Collection path, e.g. /apis/certificates.k8s.io/v1/certificatesigningrequests. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** undefined = the object is not one of ours (treated as absent). */
  toItem(raw: R): T | undefined;
  key(item: T): string;
  /** The version of an item, to skip replays; default: the raw object's metadata.resourceVersion. */
  version?(item: T): string | undefined;
}

interface RawObject {
  metadata?: { name?: string; resourceVersion?: string };
}
interface ListResponse<R> {
  metadata?: { resourceVersion?: string };
  items?: R[];
}
interface WatchStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

const DEFAULTS = { initialBackoffMs: 500, maxBackoffMs: 30_000, watchTimeoutSeconds: 120 };
/** A watch that ends sooner than this without any event counts as a failure (avoids a tight reconnect loop). */
const MIN_HEALTHY_WATCH_MS = 1000;
/** A watch up this long (or one that delivered events) counts as healthy: the backoff starts over. */
const HEALTHY_WATCH_MS = 5000;

class Gone extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Gone';
  }
}

type Listener<A> = (a: A) => void;
interface Entry<T> {
  item: T;
  version?: string;
  rawName?: string;
}

export function createInformer<R extends RawObject, T>(cluster: Cluster, spec: InformerSpec<R, T>, opts: InformerOptions<T> = {}): Informer<T> {
  const log = opts.logger ?? cluster.logger ?? silentLogger;
  const initialBackoffMs = opts.initialBackoffMs ?? DEFAULTS.initialBackoffMs;
  const maxBackoffMs = opts.maxBackoffMs ?? DEFAULTS.maxBackoffMs;
  const watchTimeoutSeconds = opts.watchTimeoutSeconds ?? DEFAULTS.watchTimeoutSeconds;

  /** key → item, its version, and the raw object's name (which differs from the key for tokens). */
  const store = new Map<string, Entry<T>>();
  const eventListeners = new Set<Listener<InformerEvent<T>>>();
  const stateListeners = new Set<Listener<InformerStateChange>>();
  const syncedListeners = new Set<Listener<T[]>>();
  if (opts.onEvent) eventListeners.add(opts.onEvent);
  if (opts.onState) stateListeners.add(opts.onState);
  if (opts.onSynced) syncedListeners.add(opts.onSynced);

  const stats: InformerStats = { lists: 0, relists: 0, watches: 0, reconnects: 0, bookmarks: 0, events: 0, duplicatesSkipped: 0 };
  let state: InformerState = 'connecting';
  let lastError: unknown;
  let resourceVersion: string | undefined;
  let synced = false;
  let disposed = false;
  let failures = 0;
  let lastListAt = 0;
  /** Bumped for every watch started and on dispose: callbacks of an older watch are ignored. */
  let generation = 0;
  let controller: AbortController | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let watchFactory: InstanceType<KubeModule['Watch']> | undefined;

  let resolveSynced!: () => void;
  let rejectSynced!: (e: unknown) => void;
  const syncedPromise = new Promise<void>((res, rej) => {
    resolveSynced = res;
    rejectSynced = rej;
  });
  syncedPromise.catch(() => undefined); // nobody has to wait for it

  const emit = <A>(set: Set<Listener<A>>, a: A) => {
    for (const l of [...set]) {
      try {
        l(a);
      } catch (e) {
        log.error(`Informer (${spec.what}): a listener failed: ${describeError(e)}`);
      }
    }
  };
  const setState = (s: InformerStateChange) => {
    if (disposed && s.state !== 'stopped') return;
    const changed = s.state !== state || s.error !== undefined;
    state = s.state;
    if (s.state === 'live' || s.state === 'stopped') lastError = undefined;
    else if (s.error !== undefined) lastError = s.error;
    if (changed) emit(stateListeners, s);
  };
  const versionOf = (raw: R, item: T) => spec.version?.(item) ?? raw.metadata?.resourceVersion;

  const convert = (raw: R): T | undefined => {
    try {
      return spec.toItem(raw);
    } catch (e) {
      log.warn(`Informer (${spec.what}): skipping ${raw.metadata?.name ?? 'an object'} that cannot be read: ${describeError(e)}`);
      return undefined;
    }
  };

  /** Replaces the store with a fresh list, emitting only what changed. */
  const applyList = (list: ListResponse<R>) => {
    const fresh = new Map<string, Entry<T>>();
    for (const raw of list.items ?? []) {
      const item = convert(raw);
      if (item !== undefined) fresh.set(spec.key(item), { item, version: versionOf(raw, item), rawName: raw.metadata?.name });
    }
    const events: InformerEvent<T>[] = [];
    for (const [key, old] of store) if (!fresh.has(key)) events.push({ type: 'DELETED', key, item: old.item });
    for (const [key, now] of fresh) {
      const old = store.get(key);
      if (!old) events.push({ type: 'ADDED', key, item: now.item });
      else if (old.version === undefined || old.version !== now.version) events.push({ type: 'MODIFIED', key, item: now.item });
    }
    store.clear();
    for (const [k, v] of fresh) store.set(k, v);
    resourceVersion = list.metadata?.resourceVersion ?? resourceVersion;
    for (const e of events) {
      stats.events++;
      emit(eventListeners, e);
    }
    const first = !synced;
    synced = true;
    emit(syncedListeners, [...store.values()].map((v) => v.item));
    if (first) resolveSynced();
    return events.length;
  };

  const applyWatchEvent = (type: string, raw: R) => {
    const rv = raw?.metadata?.resourceVersion;
    if (type === 'BOOKMARK') {
      stats.bookmarks++;
      if (rv) resourceVersion = rv;
      return;
    }
    if (type === 'ERROR') {
      const status = raw as unknown as WatchStatus;
      if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') throw new Gone(status.message ?? 'resourceVersion too old');
      throw new KrustletError('api-error', `The ${spec.what} watch reported an error: ${status.message ?? status.reason ?? 'unknown'} (${status.code ?? '?'}).`, 'It reconnects by itself.', { fix: { kind: 'retry' } });
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
    if (rv) resourceVersion = rv;
    const item = convert(raw);
    if (item === undefined) {
      // Not (or no longer) one of ours: drop it if we had it under its name.
      const name = raw?.metadata?.name;
      for (const [key, old] of store) {
        if (name === undefined || old.rawName !== name) continue;
        store.delete(key);
        stats.events++;
        emit(eventListeners, { type: 'DELETED', key, item: old.item });
      }
      return;
    }
    const key = spec.key(item);
    const old = store.get(key);
    const version = versionOf(raw, item);
    if (type === 'DELETED') {
      if (!old) {
        stats.duplicatesSkipped++;
        return;
      }
      store.delete(key);
      stats.events++;
      emit(eventListeners, { type: 'DELETED', key, item });
      return;
    }
    if (old && version !== undefined && old.version === version) {
      stats.duplicatesSkipped++;
      return;
    }
    store.set(key, { item, version, rawName: raw.metadata?.name });
    stats.events++;
    emit(eventListeners, { type: old ? 'MODIFIED' : 'ADDED', key, item });
  };

  const list = async (): Promise<void> => {
    const query: Record<string, string> = {};
    if (spec.fieldSelector) query.fieldSelector = spec.fieldSelector;
    if (spec.labelSelector) query.labelSelector = spec.labelSelector;
    const gen = generation;
    const res = await cluster.transport.request<ListResponse<R>>('GET', spec.path, { query });
    if (disposed || gen !== generation) return;
    stats.lists++;
    lastListAt = Date.now();
    const changes = applyList(res);
    log.debug(`Informer (${spec.what}): listed ${store.size} at resourceVersion ${resourceVersion ?? '?'}${stats.lists > 1 ? ` (${changes} changed)` : ''}.`);
  };

  const clearTimers = () => {
    if (retryTimer) clearTimeout(retryTimer);
    if (idleTimer) clearTimeout(idleTimer);
    retryTimer = undefined;
    idleTimer = undefined;
  };

  const scheduleRetry = (error: unknown, relist: boolean) => {
    if (disposed) return;
    failures++;
    stats.reconnects++;
    const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(failures - 1, 20));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    const message = describeError(error);
    log.warn(`Informer (${spec.what}): ${message} Reconnecting in ${delay} ms (attempt ${failures}).`);
    setState({ state: synced ? 'reconnecting' : 'connecting', error, message, retryInMs: delay, attempt: failures });
    clearTimers();
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void run(relist);
    }, delay);
  };

  /** One cycle: (re)list if needed, then watch until the watch ends. */
  const run = async (relist: boolean): Promise<void> => {
    if (disposed) return;
    try {
      if (relist || !synced) {
        if (synced) stats.relists++;
        await list();
        if (disposed) return;
      }
      await watch();
    } catch (e) {
      if (disposed) return;
      if (e instanceof Gone) {
        log.info(`Informer (${spec.what}): resourceVersion ${resourceVersion ?? '?'} is too old (410 Gone); listing again.`);
        // A relist that is itself gone at once would loop: back off instead.
        if (Date.now() - lastListAt < MIN_HEALTHY_WATCH_MS) scheduleRetry(e, true);
        else void run(true);
        return;
      }
      scheduleRetry(e, false);
    }
  };

  const watch = async (): Promise<void> => {
    const gen = ++generation;
    if (!watchFactory) {
      const k8s = await loadKube();
      watchFactory = new k8s.Watch(cluster.kubeConfig());
    }
    if (disposed || gen !== generation) return;
    const timeoutSeconds = Math.round(watchTimeoutSeconds * (0.9 + Math.random() * 0.2));
    const started = Date.now();
    let sawEvent = false;
    let established = false;
    let ended = false;
    let failure: unknown;

    // The watch ends through `done`; everything after that is driven from there.
    const finished = new Promise<void>((resolveEnd) => {
      const armIdle = () => {
        if (idleTimer) clearTimeout(idleTimer);
        // The server closes the watch after timeoutSeconds; silence well beyond that means a dead connection.
        idleTimer = setTimeout(() => {
          idleTimer = undefined;
          if (gen !== generation || ended) return;
          log.warn(`Informer (${spec.what}): no word from the server for ${timeoutSeconds + 30} s; dropping the watch.`);
          failure = new KrustletError('timeout', `The ${spec.what} watch went silent.`, 'It reconnects by itself.', { fix: { kind: 'retry' } });
          controller?.abort();
          end();
        }, (timeoutSeconds + 30) * 1000);
      };
      const end = () => {
        if (ended) return;
        ended = true;
        if (idleTimer) clearTimeout(idleTimer);
        idleTimer = undefined;
        resolveEnd();
      };
      armIdle();
      const query: Record<string, string | number | boolean> = { allowWatchBookmarks: true, timeoutSeconds };
      if (resourceVersion) query.resourceVersion = resourceVersion;
      if (spec.fieldSelector) query.fieldSelector = spec.fieldSelector;
      if (spec.labelSelector) query.labelSelector = spec.labelSelector;
      stats.watches++;
      watchFactory!
        .watch(
          spec.path,
          query,
          (type: string, obj: R) => {
            if (disposed || gen !== generation || ended) return;
            sawEvent = true;
            armIdle();
            try {
              applyWatchEvent(type, obj);
            } catch (e) {
              failure = e;
              controller?.abort();
              end();
            }
          },
          (err: unknown) => {
            if (gen !== generation) return;
            if (err && !ended && failure === undefined) failure = err;
            end();
          },
        )
        .then((c) => {
          if (gen !== generation || disposed || ended) {
            c.abort();
            return;
          }
          controller = c;
          if (!ended) {
            established = true;
            log.debug(`Informer (${spec.what}): watching from resourceVersion ${query.resourceVersion ?? '(now)'}.`);
            setState({ state: 'live' });
          }
        })
        .catch((e: unknown) => {
          if (gen !== generation) return;
          failure ??= e;
          end();
        });
    });
    await finished;
    controller = undefined;
    if (disposed || gen !== generation) return;
    // Only a watch that delivered something or stayed up a while resets the backoff.
    if (established && (sawEvent || Date.now() - started >= HEALTHY_WATCH_MS)) failures = 0;
    if (failure !== undefined) {
      const status = (failure as { statusCode?: number }).statusCode;
      if (failure instanceof Gone || status === 410) throw failure instanceof Gone ? failure : new Gone('410 Gone');
      throw asWatchError(failure, spec.what, cluster.server);
    }
    if (!sawEvent && Date.now() - started < MIN_HEALTHY_WATCH_MS) {
      throw new KrustletError('unreachable', `The ${spec.what} watch at ${cluster.server} closed at once.`, 'It reconnects by itself.', { fix: { kind: 'retry' } });
    }
    // A normal end (the server's timeout): resume from where we are.
    log.debug(`Informer (${spec.what}): watch ended after ${Math.round((Date.now() - started) / 1000)} s; resuming.`);
    void run(false);
  };

  const informer: Informer<T> = {
    what: spec.what,
    get state() {
      return state;
    },
    get lastError() {
      return lastError;
    },
    get resourceVersion() {
      return resourceVersion;
    },
    get synced() {
      return synced;
    },
    stats,
    list: () => [...store.values()].map((v) => v.item),
    get: (key) => store.get(key)?.item,
    onEvent: (l) => (eventListeners.add(l), () => eventListeners.delete(l)),
    onState: (l) => (stateListeners.add(l), () => stateListeners.delete(l)),
    onSynced: (l) => (syncedListeners.add(l), () => syncedListeners.delete(l)),
    whenSynced: () => syncedPromise,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      generation++;
      clearTimers();
      controller?.abort();
      controller = undefined;
      setState({ state: 'stopped' });
      rejectSynced(new KrustletError('cancelled', `The ${spec.what} informer was stopped.`, undefined, { fix: { kind: 'retry' } }));
      eventListeners.clear();
      stateListeners.clear();
      syncedListeners.clear();
    },
  };

  if (opts.resume) {
    for (const item of opts.resume.items) store.set(spec.key(item), { item, version: spec.version?.(item), rawName: spec.key(item) });
    resourceVersion = opts.resume.resourceVersion;
    synced = true;
    resolveSynced();
  }
  // Start on the next tick so callers can attach listeners synchronously after creating it.
  setImmediate(() => void run(false));
  return informer;
}

/** Errors from client-node's Watch (node-fetch) as a KrustletError with a hint. */
function asWatchError(e: unknown, what: string, server: string): KrustletError {
  if (e instanceof KrustletError) return e;
  const status = (e as { statusCode?: number }).statusCode;
  const msg = describeError(e).split('\n')[0];
  if (status === 401) return new KrustletError('unauthorized', `Watching ${what} at ${server} was refused: not authenticated (401).`, 'Check the credentials of the kubeconfig context.', { cause: e, fix: { kind: 'check-credentials' } });
  if (status === 403) return new KrustletError('forbidden', `Watching ${what} at ${server} is forbidden (403).`, 'Ask for list and watch permission on them.', { cause: e, fix: { kind: 'ask-admin', data: { permission: `list and watch on ${what}` } } });
  if (status) return new KrustletError('api-error', `Watching ${what} at ${server} failed: ${status} ${msg}.`, 'It reconnects by itself.', { cause: e, fix: { kind: 'retry' } });
  return new KrustletError('unreachable', `The ${what} watch at ${server} dropped: ${msg}.`, 'It reconnects by itself.', { cause: e, fix: { kind: 'retry' } });
}

/** CertificateSigningRequests (certificates.k8s.io/v1), keyed by name. */
export function createCsrInformer(cluster: Cluster, opts: InformerOptions<CsrInfo> = {}): Informer<CsrInfo> {
  return createInformer<V1Csr & RawObject, CsrInfo>(
    cluster,
    { what: 'CSRs', path: CSR_PATH, toItem: (raw) => toCsrInfo(raw), key: (c) => c.name, version: (c) => c.resourceVersion },
    opts,
  );
}

/**
 * Bootstrap token Secrets in kube-system, keyed by token id. Items never carry the secret.
 * Needs list+watch on Secrets in kube-system.
 */
export function createTokenInformer(cluster: Cluster, opts: InformerOptions<TokenInfo> = {}): Informer<TokenInfo> {
  return createInformer<RawObject & { data?: Record<string, string>; type?: string }, TokenInfo>(
    cluster,
    {
      what: 'bootstrap tokens',
      path: `/api/v1/namespaces/${TOKEN_NAMESPACE}/secrets`,
      fieldSelector: `type=${TOKEN_SECRET_TYPE}`,
      toItem: (raw) => secretToTokenInfo(raw),
      key: (t) => t.id,
    },
    opts,
  );
}

/** Nodes, keyed by name (only what the review and the Nodes view read: see toNodeInfo). Needs list+watch on nodes. */
export function createNodeInformer(cluster: Cluster, opts: InformerOptions<NodeInfo> = {}): Informer<NodeInfo> {
  return createInformer<V1Node & RawObject, NodeInfo>(
    cluster,
    { what: 'Nodes', path: NODES_PATH, toItem: (raw) => toNodeInfo(raw), key: (n) => n.name, version: (n) => n.resourceVersion },
    opts,
  );
}

/** Services in every namespace, keyed by namespace/name (their cluster IPs). Needs list+watch on services cluster-wide. */
export function createServiceInformer(cluster: Cluster, opts: InformerOptions<ServiceInfo> = {}): Informer<ServiceInfo> {
  return createInformer<V1Service & RawObject, ServiceInfo>(
    cluster,
    { what: 'Services', path: SERVICES_PATH, toItem: (raw) => toServiceInfo(raw), key: (s) => `${s.namespace}/${s.name}` },
    opts,
  );
}
