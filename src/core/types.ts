import type { Fix } from './errors';

/**
 * Plain data shapes shared by the core, the CLI and the VS Code glue. Nothing here depends on
 * @kubernetes/client-node: the cluster adapter (src/core/cluster) converts to and from these.
 */

/** A bootstrap token `<id>.<secret>`; `secret` must never be logged or shown unless the user asks. */
export interface BootstrapToken {
  readonly id: string;
  readonly secret: string;
}

/** A bootstrap token Secret as listed from kube-system (the secret itself is only present when asked for). */
export interface TokenInfo {
  id: string;
  secretName: string;
  description?: string;
  /** Undefined = never expires. */
  expiration?: Date;
  /** `tokenExpired()` when listed; a later judgement calls `tokenExpired(info, now)` again. */
  expired: boolean;
  usages: string[];
  extraGroups: string[];
  createdAt?: Date;
  /** The node name the token is for (annotation `krustlet.dev/node-name`, see PINNED_NODE_ANNOTATION); undefined = any node. */
  pinnedNode?: string;
  /** The Secret's resourceVersion (what an informer saw). */
  resourceVersion?: string;
  /** Only filled by callers that explicitly asked for it (Copy token, `--show-secrets`). */
  secret?: string;
}

/** One kubeconfig context as the user sees it. */
export interface ContextInfo {
  name: string;
  cluster: string;
  user: string;
  server?: string;
  namespace?: string;
  current: boolean;
}

export type CsrState = 'pending' | 'approved' | 'issued' | 'denied' | 'failed';

export interface CsrCondition {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: Date;
}

/** A certificates.k8s.io/v1 CertificateSigningRequest, flattened. */
export interface CsrInfo {
  name: string;
  uid?: string;
  resourceVersion?: string;
  createdAt?: Date;
  signerName: string;
  /** PEM text of the PKCS#10 request (decoded from spec.request). */
  requestPem: string;
  usages: string[];
  username?: string;
  groups: string[];
  expirationSeconds?: number;
  conditions: CsrCondition[];
  /** True when status.certificate is non-empty. */
  hasCertificate: boolean;
  /** The issued certificate chain (PEM, decoded from status.certificate), when there is one. */
  certificatePem?: string;
  state: CsrState;
}

export type Verdict = 'pass' | 'warn' | 'fail';

/**
 * What a finding checked: the request itself, or a fact the cluster holds about it — the Node
 * object, the bootstrap token's Secret, the Services' cluster IPs, the node's current certificate —
 * or `context` when that fact could not be read (and so was not checked).
 */
export type FindingSource = 'request' | 'node' | 'token' | 'service' | 'certificate' | 'context';

export interface ReviewFinding {
  verdict: Verdict;
  /** Plain language, e.g. "Subject organisation is 'evil', expected 'system:nodes'." */
  message: string;
  /** What was checked; undefined = the request (findings built before sources existed). */
  source?: FindingSource;
}

/** One entry of a Node's status.addresses. */
export interface NodeAddress {
  /** InternalIP, ExternalIP, Hostname, InternalDNS, ExternalDNS. */
  type: string;
  address: string;
}

/** A Node, as the review and the Nodes view read it (never its images, pods or heartbeat times). */
export interface NodeInfo {
  name: string;
  uid?: string;
  resourceVersion?: string;
  createdAt?: Date;
  addresses: NodeAddress[];
  /** The Ready condition's status; 'Unknown' when the Node has none. */
  ready: 'True' | 'False' | 'Unknown';
  /** The Ready condition's reason/message, when not Ready. */
  readyReason?: string;
  /** status.daemonEndpoints.kubeletEndpoint.Port (Krustlet: its --port). */
  kubeletPort?: number;
  kubeletVersion?: string;
}

/** A Service's cluster IPs (headless and ExternalName Services have none). */
export interface ServiceInfo {
  namespace: string;
  name: string;
  clusterIPs: string[];
}

/** What a CSR asks for, decoded from its PKCS#10 request. */
export interface DecodedRequest {
  commonName?: string;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  keyAlgorithm: string; // e.g. "ECDSA P-256", "RSA 2048"
  /** RSA modulus length or EC curve size in bits, when known. */
  keyBits?: number;
  /** e.g. "ECDSA with SHA-256". */
  signatureAlgorithm?: string;
  signatureValid: boolean;
  /** SAN entries of other kinds (directory names, UPNs, registered ids …), as "type:value". */
  otherSans?: string[];
}

/** A serving request compared with the node's current serving certificate. */
export interface RenewalComparison {
  /** Same subject (CN, O) and the same SANs. */
  identical: boolean;
  /** Where the current certificate was read ("CSR node-a-tls", "TLS 10.0.0.5:10250"). */
  from: string;
  /** SANs the request adds / drops ("DNS:x", "IP:y"). */
  added: string[];
  removed: string[];
  /** Subject differences, e.g. "CN 'system:node:a' → 'system:node:b'". */
  subject: string[];
}

export interface CsrReview {
  verdict: Verdict;
  findings: ReviewFinding[];
  /** For a kubelet-serving request from a node whose current serving certificate is known. */
  renewal?: RenewalComparison;
  /** Undefined when the request could not be decoded (that is itself a 'fail' finding). */
  decoded?: DecodedRequest;
}

/** One preflight check and what to do when it fails. */
export interface PreflightFinding {
  id: string;
  ok: boolean;
  /** Plain language: what was checked and what was found. */
  message: string;
  /** What to do when not ok, in words any front end can show (no CLI flag, no VS Code command). */
  fix?: string;
  /** The same as data, when a front end can offer it as an action (`apply-rbac`: the CLI's `rbac apply`, the extension's Apply RBAC). */
  action?: Fix;
}
