/**
 * The review's context: what the cluster knows about a request beyond its own bytes — its Nodes
 * (name, addresses, Ready, kubelet port), its Services' cluster IPs (the `kubernetes` Service's
 * first) and its bootstrap tokens' public facts (id, description, expiry, the node a token is
 * pinned to; never a secret). Plain interfaces: the extension and `bench/` implement them over
 * live informers (src/core/cluster/reviewFacts.ts), the CLI over one list per collection
 * ({@link factsFromLists}), tests over arrays. Each source says whether it can be read; a source
 * that cannot (not listable by this identity, still loading) makes the checks that need it a
 * warning that says so — never a silent pass.
 */
import { describeError, isKrustletError } from '../errors';
import type { DecodedRequest, CsrInfo, NodeInfo, ServiceInfo, TokenInfo } from '../types';
import { formatAge } from './format';
import { SIGNER_KUBELET_CLIENT, SIGNER_KUBELET_SERVING } from './format';

/** A source of facts can be read, or why not ("this identity may not list Nodes (403)", "still loading"). */
export type FactState = { readonly ready: true } | { readonly ready: false; readonly reason: string };

export const READY: FactState = { ready: true };

export interface FactSource<T> {
  readonly state: FactState;
  get(key: string): T | undefined;
}

export interface ServiceFacts {
  readonly state: FactState;
  /** The Service that has this cluster IP (any spelling of the address). */
  byClusterIp(ip: string): ServiceInfo | undefined;
  /** The `default/kubernetes` Service (the API server's own cluster IP), when listed. */
  kubernetes(): ServiceInfo | undefined;
  /** Changes whenever any cluster IP came or went (part of a review's cache key). */
  readonly version: string;
}

/** A node's current serving certificate, as far as the cluster tells (its newest issued serving CSR, or a TLS handshake). */
export interface CurrentCertificate {
  /** Where it was read: "CSR node-a-tls", "TLS 10.0.0.5:10250". */
  from: string;
  commonName?: string;
  organizations: string[];
  /** "DNS:x" / "IP:y", IPs canonical. */
  sans: string[];
  notAfter?: Date;
  /** Changes when another certificate becomes current (part of a review's cache key). */
  key: string;
}

export interface CertificateFacts {
  /** The node's current serving certificate, by node name; undefined when none is known. */
  current(nodeName: string): CurrentCertificate | undefined;
}

export interface ClusterFacts {
  /** By node name. */
  readonly nodes: FactSource<NodeInfo>;
  /** Current serving certificates (renewal comparison); undefined = not known at all. */
  readonly certificates?: CertificateFacts;
  /** By token id. */
  readonly tokens: FactSource<TokenInfo>;
  readonly services: ServiceFacts;
}

/** One spelling per address: `::ffff:10.0.0.1` and `0:0::1` as the URL parser writes them. */
export function canonicalIp(ip: string): string {
  try {
    return ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.replace(/^\[|\]$/g, '') : new URL(`http://${ip}/`).hostname;
  } catch {
    return ip;
  }
}

/** Why a list failed, in words a review can quote. */
export function unavailableReason(what: string, e: unknown): string {
  if (isKrustletError(e, 'forbidden')) return `this identity may not list ${what} (403 Forbidden)`;
  if (isKrustletError(e, 'unauthorized')) return `listing ${what} was refused: not authenticated (401)`;
  return `listing ${what} failed: ${describeError(e).split('\n')[0]}`;
}

/** A service index over a list of Services. */
export function serviceIndex(services: Iterable<ServiceInfo>, state: FactState = READY): ServiceFacts {
  const byIp = new Map<string, ServiceInfo>();
  let kubernetes: ServiceInfo | undefined;
  for (const s of services) {
    if (s.namespace === 'default' && s.name === 'kubernetes') kubernetes = s;
    for (const ip of s.clusterIPs) byIp.set(canonicalIp(ip), s);
  }
  const version = [...byIp.keys()].sort().join(',');
  return { state, byClusterIp: (ip) => byIp.get(canonicalIp(ip)), kubernetes: () => kubernetes, version };
}

function mapSource<T>(items: Iterable<T> | undefined, key: (t: T) => string, state: FactState): FactSource<T> {
  const m = new Map<string, T>();
  for (const t of items ?? []) m.set(key(t), t);
  return { state, get: (k) => m.get(k) };
}

/** A list's result: the items, or the error listing them failed with. */
export type Listed<T> = { items: T[] } | { error: unknown };

/**
 * Facts from one list per collection (the CLI: every CSR of a `csr list` is reviewed against the
 * same three lists; no request per CSR). A failed list is a source that is not ready, with why.
 */
export function factsFromLists(lists: { nodes: Listed<NodeInfo>; tokens: Listed<TokenInfo>; services: Listed<ServiceInfo> }): ClusterFacts {
  const state = (l: Listed<unknown>, what: string): FactState => ('error' in l ? { ready: false, reason: unavailableReason(what, l.error) } : READY);
  const items = <T>(l: Listed<T>): T[] => ('items' in l ? l.items : []);
  return {
    nodes: mapSource(items(lists.nodes), (n) => n.name, state(lists.nodes, 'Nodes')),
    tokens: mapSource(items(lists.tokens), (t) => t.id, state(lists.tokens, 'bootstrap token Secrets')),
    services: serviceIndex(items(lists.services), state(lists.services, 'Services')),
  };
}

/** `system:node:<name>` → name. */
export function nodeNameOf(identity: string | undefined): string | undefined {
  const p = 'system:node:';
  return identity?.startsWith(p) && identity.length > p.length ? identity.slice(p.length) : undefined;
}

const stateKey = (s: FactState) => (s.ready ? 'ok' : `x:${s.reason}`);
/** What the review reads of a Node (its uid and addresses; not its heartbeats). */
export const nodeKey = (n: NodeInfo | undefined) => (n ? `${n.uid ?? ''}/${n.addresses.map((a) => `${a.type}=${a.address}`).join(',')}` : '-');

/**
 * The facts one request's review read, as a string: the review is current as long as this is the
 * same (a heartbeat of another Node, or of this one, changes nothing here; its addresses do).
 * `decoded`: what the review decoded from the request (the subject's node name).
 */
export function contextKeyOf(csr: CsrInfo, decoded: DecodedRequest | undefined, facts: ClusterFacts | undefined, now: Date): string {
  if (!facts) return '';
  if (csr.signerName === SIGNER_KUBELET_SERVING) {
    const node = nodeNameOf(csr.username);
    const ips = decoded?.ipAddresses.length ? `${stateKey(facts.services.state)}|${facts.services.version}` : '';
    const current = node === undefined ? '' : (facts.certificates?.current(node)?.key ?? '-');
    return `${stateKey(facts.nodes.state)}|${node === undefined ? '' : nodeKey(facts.nodes.get(node))}|${ips}|${current}`;
  }
  if (csr.signerName === SIGNER_KUBELET_CLIENT) {
    const subject = nodeNameOf(decoded?.commonName);
    const tokenId = csr.username?.startsWith('system:bootstrap:') ? csr.username.slice('system:bootstrap:'.length) : undefined;
    let token = '';
    if (tokenId !== undefined) {
      const t = facts.tokens.get(tokenId);
      token = `${stateKey(facts.tokens.state)}|${t ? `${t.resourceVersion ?? ''}/${t.pinnedNode ?? ''}/${t.expiration && t.expiration <= now ? 'expired' : ''}/${t.createdAt ? formatAge(t.createdAt, now) : ''}` : '-'}`;
    }
    return `${stateKey(facts.nodes.state)}|${subject === undefined ? '' : nodeKey(facts.nodes.get(subject))}|${token}`;
  }
  return '';
}
