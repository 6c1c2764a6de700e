/**
 * The review's context (core/csr/context.ts) read from the cluster: kept live by informers (the
 * extension, the bench), or from one list per collection (the CLI). Either way no request is made
 * per CSR.
 */
import { factsFromLists, READY, serviceIndex, unavailableReason, type ClusterFacts, type FactSource, type FactState, type Listed, type ServiceFacts } from '../csr/context';
import { isKrustletError } from '../errors';
import { certificatesFromCsrs, csrsByNode } from '../nodes';
import type { CsrInfo, NodeInfo, ServiceInfo, TokenInfo } from '../types';
import type { Cluster } from './connect';
import { createNodeInformer, createServiceInformer, createTokenInformer, type Informer } from './informer';

/** Why a collection that is not synced cannot be read yet: refused (403/401), or still loading. */
export function liveState(what: string, synced: boolean, error: unknown): FactState {
  if (isKrustletError(error, 'forbidden') || isKrustletError(error, 'unauthorized')) return { ready: false, reason: unavailableReason(what, error) };
  if (synced) return READY;
  return { ready: false, reason: error === undefined ? `the ${what} list has not arrived yet (still loading)` : `${unavailableReason(what, error)} (retrying)` };
}

/** What a FactSource needs of a live collection: the informer, or the extension's LiveCollection. */
export interface LiveSource<T> {
  readonly synced: boolean;
  /** The error the watch is failing with (undefined when live). */
  readonly error: unknown;
  get(key: string): T | undefined;
  list(): T[];
}

export function liveFactSource<T>(what: string, src: LiveSource<T>): FactSource<T> {
  return {
    get state() {
      return liveState(what, src.synced, src.error);
    },
    get: (key) => (src.synced ? src.get(key) : undefined),
  };
}

/**
 * The Services' cluster IPs over a live collection: the index is rebuilt on the first read after
 * `changed()` (Services change rarely; CSRs are read often).
 */
export function liveServiceFacts(src: LiveSource<ServiceInfo>): ServiceFacts & { changed(): void } {
  let index: ServiceFacts | undefined;
  let generation = 0;
  const current = () => (index ??= serviceIndex(src.synced ? src.list() : []));
  return {
    get state() {
      return liveState('Services', src.synced, src.error);
    },
    byClusterIp: (ip) => current().byClusterIp(ip),
    kubernetes: () => current().kubernetes(),
    get version() {
      return String(generation);
    },
    changed() {
      index = undefined;
      generation++;
    },
  };
}

function informerSource<T>(i: Informer<T>): LiveSource<T> {
  return {
    get synced() {
      return i.synced;
    },
    get error() {
      return i.lastError;
    },
    get: (k) => i.get(k),
    list: () => i.list(),
  };
}

export interface LiveReviewFacts extends ClusterFacts {
  readonly informers: { nodes: Informer<NodeInfo>; tokens: Informer<TokenInfo>; services: Informer<ServiceInfo> };
  /** Resolves when all three lists arrived, or when one of them is refused (a limited identity). */
  whenSettled(): Promise<void>;
  dispose(): void;
}

/** The review context kept live by three informers (Nodes, bootstrap token Secrets, Services). */
export function watchReviewFacts(cluster: Cluster): LiveReviewFacts {
  const informers = { nodes: createNodeInformer(cluster), tokens: createTokenInformer(cluster), services: createServiceInformer(cluster) };
  const services = liveServiceFacts(informerSource(informers.services));
  informers.services.onEvent(() => services.changed());
  informers.services.onSynced(() => services.changed());
  const settled = (i: Informer<unknown>) =>
    new Promise<void>((resolve) => {
      if (i.synced) return resolve();
      void i.whenSynced().then(resolve, resolve);
      i.onState((s) => {
        if (isKrustletError(s.error, 'forbidden') || isKrustletError(s.error, 'unauthorized')) resolve();
      });
    });
  return {
    informers,
    nodes: liveFactSource('Nodes', informerSource(informers.nodes)),
    tokens: liveFactSource('bootstrap token Secrets', informerSource(informers.tokens)),
    services,
    whenSettled: async () => {
      await Promise.all([settled(informers.nodes), settled(informers.tokens), settled(informers.services)]);
    },
    dispose: () => {
      informers.nodes.dispose();
      informers.tokens.dispose();
      informers.services.dispose();
    },
  };
}

async function listed<T>(p: Promise<T[]>): Promise<Listed<T>> {
  try {
    return { items: await p };
  } catch (error) {
    return { error };
  }
}

/**
 * The review context from one list of each collection, side by side (the CLI). A refused list is a
 * source that says why. `csrs`: the CSRs already listed (else they are listed too), for each node's
 * current serving certificate (the renewal comparison).
 */
export async function loadReviewFacts(cluster: Cluster, csrs?: CsrInfo[] | Promise<CsrInfo[]>): Promise<ClusterFacts> {
  const [nodes, tokens, services, all] = await Promise.all([
    listed(cluster.listNodes()),
    listed(cluster.listTokens()),
    listed(cluster.listServices()),
    csrs ?? cluster.listCsrs().then((l) => l.items, () => [] as CsrInfo[]),
  ]);
  const index = csrsByNode(all);
  return { ...factsFromLists({ nodes, tokens, services }), certificates: certificatesFromCsrs(() => index) };
}
