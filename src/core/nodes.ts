/**
 * The Nodes view's facts, shared by the tree and `krustlet-bootstrap node list`: every Node with
 * its Ready state and addresses, the CSRs it came from (its client CSRs by subject, its serving CSRs
 * by requester), the bootstrap token of its first client certificate, and its serving certificate
 * as issued through its newest serving CSR. Pure (node:crypto for the certificate details).
 */
import { X509Certificate } from 'node:crypto';
import { nodeNameOf, type CertificateFacts, type CurrentCertificate } from './csr/context';
import { sanSet } from './csr/contextChecks';
import { humanDuration, SIGNER_KUBELET_CLIENT, SIGNER_KUBELET_SERVING } from './csr/format';
import { certificateValidity, requestCommonName } from './der';
import type { CsrInfo, NodeInfo, TokenInfo } from './types';

export const DEFAULT_EXPIRY_WARNING_DAYS = 30;

/** The CSRs that belong to one node. */
export interface NodeCsrs {
  /** kube-apiserver-client-kubelet requests whose subject is system:node:<name>. */
  client: CsrInfo[];
  /** kubelet-serving requests made by system:node:<name>. */
  serving: CsrInfo[];
}

const BOOTSTRAP_PREFIX = 'system:bootstrap:';

/** Subject CN per request version (a CsrInfo object is one version of one CSR). */
const cnCache = new WeakMap<CsrInfo, string | null>();
function subjectNode(csr: CsrInfo): string | undefined {
  let cn = cnCache.get(csr);
  if (cn === undefined) cnCache.set(csr, (cn = requestCommonName(csr.requestPem) ?? null));
  return nodeNameOf(cn ?? undefined);
}

/** Every CSR that belongs to a node, by lowercased node name (one pass; the client CSRs' CN read from DER, cached per version). */
export function csrsByNode(csrs: Iterable<CsrInfo>): Map<string, NodeCsrs> {
  const out = new Map<string, NodeCsrs>();
  const of = (name: string) => {
    const k = name.toLowerCase();
    let e = out.get(k);
    if (!e) out.set(k, (e = { client: [], serving: [] }));
    return e;
  };
  for (const c of csrs) {
    if (c.signerName === SIGNER_KUBELET_SERVING) {
      const n = nodeNameOf(c.username);
      if (n) of(n).serving.push(c);
    } else if (c.signerName === SIGNER_KUBELET_CLIENT) {
      const n = subjectNode(c);
      if (n) of(n).client.push(c);
    }
  }
  return out;
}

const newestFirst = (a: CsrInfo, b: CsrInfo) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0) || a.name.localeCompare(b.name);

/** The node's current serving certificate as far as CSRs tell: its newest issued serving CSR. */
export function servingCsrOf(csrs: NodeCsrs | undefined): CsrInfo | undefined {
  return csrs?.serving.filter((c) => c.state === 'issued' && c.certificatePem).sort(newestFirst)[0];
}

/** The bootstrap token the node's first client certificate was asked for with (its oldest bootstrap-token client CSR). */
export function bootstrapTokenIdOf(csrs: NodeCsrs | undefined): string | undefined {
  const first = csrs?.client.filter((c) => c.username?.startsWith(BOOTSTRAP_PREFIX)).sort(newestFirst).pop();
  return first?.username?.slice(BOOTSTRAP_PREFIX.length);
}

/** A serving certificate's details (the first certificate of the chain). */
export interface CertificateDetails {
  subject: string;
  issuer: string;
  /** "DNS:x", "IP:10.0.0.1" … */
  sans: string[];
  notBefore: Date;
  notAfter: Date;
  /** Issued by itself (its issuer is its subject and its own key verifies it): no client can trust it without pinning it. */
  selfSigned: boolean;
  /** Where it was read: the issued CSR, or a TLS handshake with the node's kubelet endpoint. */
  source: { kind: 'csr'; csrName: string } | { kind: 'tls'; endpoint: string };
}

const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');

export function certificateDetails(pem: string, source: CertificateDetails['source']): CertificateDetails | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return undefined;
  }
  const sans = (cert.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((s) => s.replace(/^IP Address:/, 'IP:'));
  let selfSigned: boolean;
  try {
    selfSigned = cert.subject === cert.issuer && cert.verify(cert.publicKey);
  } catch {
    selfSigned = false;
  }
  return { subject: oneLine(cert.subject), issuer: oneLine(cert.issuer), sans, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), selfSigned, source };
}

/** "in 43 days", "in 5h", "expired 2 days ago"; `warn` from `warnDays` before the end on. */
export function expiryText(notAfter: Date, now: Date, warnDays = DEFAULT_EXPIRY_WARNING_DAYS): { text: string; warn: boolean; expired: boolean } {
  const s = (notAfter.getTime() - now.getTime()) / 1000;
  const days = Math.floor(Math.abs(s) / 86400);
  const span = days >= 2 ? `${days} days` : humanDuration(Math.abs(s));
  if (s <= 0) return { text: `expired ${span} ago`, warn: true, expired: true };
  return { text: `in ${span}`, warn: s < warnDays * 86400, expired: false };
}

/** What the tree's Node item and `node list` show for one Node. */
export interface NodeSummary {
  node: NodeInfo;
  csrs: NodeCsrs;
  /** The bootstrap token it joined with, and whether its Secret is still there. */
  token?: { id: string; info?: TokenInfo };
  /** The newest issued serving CSR, and its certificate's validity (cheap: read from DER). */
  serving?: { csr: CsrInfo; notAfter?: Date };
}

export function summarizeNode(node: NodeInfo, index: Map<string, NodeCsrs>, token: (id: string) => TokenInfo | undefined): NodeSummary {
  const csrs = index.get(node.name.toLowerCase()) ?? { client: [], serving: [] };
  const out: NodeSummary = { node, csrs };
  const tokenId = bootstrapTokenIdOf(csrs);
  if (tokenId) out.token = { id: tokenId, info: token(tokenId) };
  const serving = servingCsrOf(csrs);
  if (serving) out.serving = { csr: serving, notAfter: certificateValidity(serving.certificatePem ?? '')?.notAfter };
  return out;
}

/** "Ready", "NotReady", "Unknown". */
export function readyText(n: NodeInfo): string {
  return n.ready === 'True' ? 'Ready' : n.ready === 'False' ? 'NotReady' : 'Unknown';
}

/** The addresses as one short text: "10.1.0.5, node-a.lan". */
export function addressText(n: NodeInfo): string {
  return n.addresses.map((a) => a.address).join(', ');
}

/** "CN=system:node:x\nO=system:nodes" → its CN and O values. */
function subjectParts(dn: string): { commonName?: string; organizations: string[] } {
  const out: { commonName?: string; organizations: string[] } = { organizations: [] };
  for (const line of dn.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k === 'CN') out.commonName = v;
    else if (k === 'O') out.organizations.push(v);
  }
  return out;
}

/** A certificate (PEM) as the renewal comparison reads it. */
export function currentCertificateFromPem(pem: string, from: string, key: string): CurrentCertificate | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return undefined;
  }
  const dns: string[] = [];
  const ips: string[] = [];
  for (const s of (cert.subjectAltName ?? '').split(', ')) {
    if (s.startsWith('DNS:')) dns.push(s.slice(4));
    else if (s.startsWith('IP Address:')) ips.push(s.slice('IP Address:'.length));
  }
  return { from, ...subjectParts(cert.subject), sans: sanSet(dns, ips), notAfter: new Date(cert.validTo), key };
}

const currentCache = new WeakMap<CsrInfo, CurrentCertificate | null>();

/** The current serving certificates as issued through each node's newest issued serving CSR (parsed once per CSR version). */
export function certificatesFromCsrs(index: () => Map<string, NodeCsrs>): CertificateFacts {
  return {
    current(nodeName) {
      const csr = servingCsrOf(index().get(nodeName.toLowerCase()));
      if (!csr?.certificatePem) return undefined;
      let c = currentCache.get(csr);
      if (c === undefined) currentCache.set(csr, (c = currentCertificateFromPem(csr.certificatePem, `CSR ${csr.name}`, `${csr.uid ?? csr.name}/${csr.resourceVersion ?? ''}`) ?? null));
      return c ?? undefined;
    },
  };
}
