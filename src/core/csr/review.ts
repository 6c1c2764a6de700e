/**
 * The careful approver: checks a kubelet CSR the way the Kubernetes TLS-bootstrapping docs and
 * existing approvers (kubelet-csr-approver, kubelet-rubber-stamp) do, and explains Krustlet's
 * CN-uses-the-raw-hostname quirk instead of failing on it. Pure and synchronous: no cluster access.
 */
import { BlockList, isIP } from 'node:net';
import type { CsrInfo, CsrReview, DecodedRequest, FindingSource, ReviewFinding, Verdict } from '../types';
import { nodeNameOf, type ClusterFacts } from './context';
import { clientContextChecks, nodeDnsNames, servingContextChecks } from './contextChecks';
import { decodeCsrPem } from './decode';
import { SIGNER_KUBELET_CLIENT, SIGNER_KUBELET_SERVING, formatLifetime } from './format';

export interface ReviewOptions {
  /** Hostnames this workspace bootstrapped or configured (`krustlet.expectedHostnames`); compared case-insensitively. */
  expectedHostnames?: string[];
  /** The longest lifetime a request may ask for (spec.expirationSeconds). Default one year. */
  maxDurationSeconds?: number;
  /** CIDRs node IPs are expected in, e.g. ["10.0.0.0/8", "172.17.0.0/16"]; an IP outside is a warning. */
  allowedIpRanges?: string[];
  /**
   * The cluster's API server URL. When it is itself on loopback (a cluster on this machine), a
   * loopback IP SAN is plausible for a node on the same machine: a warning, not a failure.
   */
  apiServer?: string;
  /**
   * What the cluster knows (Nodes, Services, bootstrap tokens): the contextual checks. Undefined =
   * a review of the request alone (the checks that need the cluster are not made, and not claimed).
   */
  cluster?: ClusterFacts;
  /** The time the review is made at (token ages and expiry); default now. */
  now?: Date;
}

export const DEFAULT_MAX_DURATION_SECONDS = 365 * 24 * 3600;

const NODES_GROUP = 'system:nodes';
const BOOTSTRAP_PREFIX = 'system:bootstrap:';
const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
const SERVING_USAGES = new Set(['server auth', 'digital signature', 'key encipherment']);
const CLIENT_USAGES = new Set(['client auth', 'digital signature', 'key encipherment']);

const RANK: Record<Verdict, number> = { pass: 0, warn: 1, fail: 2 };

export function worstVerdict(findings: readonly ReviewFinding[]): Verdict {
  let v: Verdict = 'pass';
  for (const f of findings) if (RANK[f.verdict] > RANK[v]) v = f.verdict;
  return v;
}

export function reviewCsr(csr: CsrInfo, opts: ReviewOptions = {}): CsrReview {
  const findings: ReviewFinding[] = [];
  const pass: Say = (message, source = 'request') => findings.push({ verdict: 'pass', message, source });
  const warn: Say = (message, source = 'request') => findings.push({ verdict: 'warn', message, source });
  const fail: Say = (message, source = 'request') => findings.push({ verdict: 'fail', message, source });

  const result = decodeCsrPem(csr.requestPem);
  if (!result.ok) {
    fail(`${result.error} Nothing about what it asks for can be checked: do not approve it.`);
    return { verdict: 'fail', findings };
  }
  const d = result.decoded;

  if (d.signatureValid) pass(`The request is signed by its own ${d.keyAlgorithm} key (proof the requester holds the private key).`);
  else fail(`The request's signature (${d.signatureAlgorithm ?? 'unknown algorithm'}) does not verify against its own public key: it was altered or built wrongly.`);
  checkKey(d, pass, warn, fail);

  const ctx: Ctx = { csr, d, opts, pass, warn, fail, result: {} };
  if (csr.signerName === SIGNER_KUBELET_SERVING) reviewServing(ctx);
  else if (csr.signerName === SIGNER_KUBELET_CLIENT) reviewClient(ctx);
  else reviewOther(ctx);

  return { verdict: worstVerdict(findings), findings, decoded: d, ...ctx.result };
}

/** Adds a finding; `source` = what was checked (default: the request). */
export type Say = (message: string, source?: FindingSource) => void;
export interface Ctx {
  csr: CsrInfo;
  d: DecodedRequest;
  opts: ReviewOptions;
  pass: Say;
  warn: Say;
  fail: Say;
  /** What the checks add to the review beyond findings (the renewal comparison). */
  result: Pick<CsrReview, 'renewal'>;
}

function checkKey(d: DecodedRequest, _pass: Say, warn: Say, fail: Say): void {
  if (d.keyAlgorithm.startsWith('RSA') && (d.keyBits ?? 0) < 2048) fail(`The key is ${d.keyAlgorithm}: RSA keys shorter than 2048 bits are too weak.`);
  else if (d.keyAlgorithm.startsWith('unsupported') || d.keyAlgorithm === 'unknown') warn(`The key algorithm is ${d.keyAlgorithm}: the signer may refuse it.`);
}

function reviewServing(c: Ctx): void {
  const { csr, d, pass, fail } = c;
  pass(`Signer is ${SIGNER_KUBELET_SERVING} (a kubelet's serving certificate; nothing approves it automatically).`);

  // Who asks.
  const nodeName = nodeNameOf(csr.username);
  if (nodeName) pass(`Requested by node '${nodeName}' (${csr.username}).`);
  else fail(`Requested by '${csr.username ?? '(unknown)'}', not by a node: a serving certificate must be requested by the node itself (system:node:<name>).`);
  if (csr.groups.includes(NODES_GROUP)) pass(`The requester is in group ${NODES_GROUP}.`);
  else fail(`The requester is not in group ${NODES_GROUP} (groups: ${csr.groups.join(', ') || 'none'}): it is not authenticated as a node.`);

  // Subject.
  const cnName = checkSubject(c, nodeName);

  // Usages.
  const bad = csr.usages.filter((u) => !SERVING_USAGES.has(u));
  if (csr.usages.includes('client auth')) fail(`Usage 'client auth' on a serving certificate would let its holder log in to the API server with it; a serving certificate needs only server auth.`);
  const otherBad = bad.filter((u) => u !== 'client auth');
  if (otherBad.length) fail(`Usages ${quoteList(otherBad)} are not allowed on a kubelet serving certificate (allowed: server auth, digital signature, key encipherment).`);
  if (!csr.usages.includes('server auth')) fail(`Usages lack 'server auth': the certificate could not serve the kubelet API.`);
  if (!bad.length && csr.usages.includes('server auth')) pass(`Usages: ${csr.usages.join(', ')}.`);

  // SANs.
  if (d.uris.length) fail(`URI SANs (${d.uris.join(', ')}) have no place in a kubelet serving certificate: a node's certificate names only its DNS names and IPs.`);
  if (d.emailAddresses.length) fail(`E-mail SANs (${d.emailAddresses.join(', ')}) have no place in a kubelet serving certificate: a node's certificate names only its DNS names and IPs.`);
  if (d.otherSans?.length) fail(`SANs of other kinds (${d.otherSans.join(', ')}) have no place in a kubelet serving certificate.`);
  if (!d.dnsNames.length && !d.ipAddresses.length) {
    fail(`The request names no DNS name or IP address: no client (the API server fetching logs, metrics-server) can verify a certificate without SANs, and kubelet-csr-approver denies such a request.`);
  }

  const ownNames = new Set([nodeName, cnName].filter((n): n is string => !!n).map((n) => n.toLowerCase()));
  // The Node's own DNS addresses (Hostname, InternalDNS, ExternalDNS), when it is registered.
  const addressNames = nodeDnsNames(c, nodeName);
  if (d.dnsNames.length && ownNames.size) {
    const foreign = d.dnsNames.filter((dns) => !isOwnDnsName(dns, ownNames) && !addressNames.has(dns.toLowerCase().replace(/\.$/, '')));
    const byAddress = d.dnsNames.filter((dns) => !isOwnDnsName(dns, ownNames) && addressNames.has(dns.toLowerCase().replace(/\.$/, '')));
    if (foreign.length) fail(`DNS name${foreign.length > 1 ? 's' : ''} ${quoteList(foreign)} ${foreign.length > 1 ? 'are' : 'is'} not tied to node '${nodeName ?? cnName}': a node may only ask for its own name (or <name>.<domain>) or a DNS address its Node object lists.`);
    else pass(`DNS names ${quoteList(d.dnsNames)} belong to node '${nodeName ?? cnName}'.`);
    if (byAddress.length) pass(`DNS name${byAddress.length > 1 ? 's' : ''} ${quoteList(byAddress)} ${byAddress.length > 1 ? 'are' : 'is'} among Node '${nodeName}''s addresses.`, 'node');
  }
  checkIps(c);
  servingContextChecks(c, nodeName);

  // The hostnames this workspace expects.
  checkExpected(c, [cnName, nodeName, ...d.dnsNames]);
  checkDuration(c);
}

function reviewClient(c: Ctx): void {
  const { csr, d, pass, warn, fail } = c;
  pass(`Signer is ${SIGNER_KUBELET_CLIENT} (a kubelet's client certificate).`);

  const cnName = checkSubject(c, undefined);
  const nodeName = nodeNameOf(csr.username);
  if (nodeName) {
    if (cnName === undefined || nodeName === cnName) pass(`Requested by node '${nodeName}' itself (certificate rotation).`);
    else fail(`Requested by node '${nodeName}' for another node's identity ('${cnName}').`);
    if (!csr.groups.includes(NODES_GROUP)) fail(`The requester is not in group ${NODES_GROUP} (groups: ${csr.groups.join(', ') || 'none'}).`);
  } else if (csr.username?.startsWith(BOOTSTRAP_PREFIX)) {
    pass(`Requested with bootstrap token '${csr.username.slice(BOOTSTRAP_PREFIX.length)}' (a joining node's first client certificate).`);
    if (!csr.groups.includes(BOOTSTRAPPERS_GROUP)) warn(`The requester is not in group ${BOOTSTRAPPERS_GROUP} (groups: ${csr.groups.join(', ') || 'none'}).`);
  } else {
    fail(`Requested by '${csr.username ?? '(unknown)'}', neither the node itself nor a bootstrap token: nobody else has a reason to ask for a node's identity, and whoever holds it acts as that node.`);
  }

  const bad = csr.usages.filter((u) => !CLIENT_USAGES.has(u));
  if (bad.length) fail(`Usages ${quoteList(bad)} are not allowed on a kubelet client certificate (allowed: client auth, digital signature, key encipherment).`);
  if (!csr.usages.includes('client auth')) fail(`Usages lack 'client auth': the certificate could not log the kubelet in.`);
  if (!bad.length && csr.usages.includes('client auth')) pass(`Usages: ${csr.usages.join(', ')}.`);

  const sans = [...d.dnsNames.map((n) => `DNS:${n}`), ...d.ipAddresses.map((n) => `IP:${n}`), ...d.emailAddresses.map((n) => `email:${n}`), ...d.uris.map((n) => `URI:${n}`), ...(d.otherSans ?? [])];
  if (sans.length) fail(`A kubelet client certificate carries no SANs, but this request asks for ${sans.join(', ')}.`);
  else pass('No SANs (as expected for a client certificate).');

  checkExpected(c, [cnName]);
  checkDuration(c);
  clientContextChecks(c, cnName, nodeName);
}

/** Identities that must never be handed out by approving a CSR of another signer. */
const PRIVILEGED_IDENTITY = /^system:(kube-|serviceaccount:|admin$|apiserver|node:)/;
/** Groups whose members hold cluster-wide power (system:masters bypasses RBAC entirely). */
const PRIVILEGED_GROUP = /^(system:(masters|nodes|bootstrappers|serviceaccounts|kube-|monitoring$)|kubeadm:cluster-admins$)/;

/**
 * Any other signer (kubernetes.io/kube-apiserver-client, legacy-unknown, a custom one): not a kubelet
 * certificate, so it is never "fine" by itself (the warning stays), but a subject that would make its
 * holder someone else — another user, a control-plane component, a service account, a privileged
 * group — fails when the certificate can log in (client auth, or a signer that makes client
 * certificates).
 */
function reviewOther(c: Ctx): void {
  const { csr, d, warn, fail } = c;
  warn(`Signer '${csr.signerName}' is not a kubelet certificate signer: not a kubelet certificate; review it by hand.`);
  const logsIn = csr.usages.includes('client auth') || csr.signerName === 'kubernetes.io/kube-apiserver-client' || csr.signerName === 'kubernetes.io/legacy-unknown';
  const say = logsIn ? fail : warn;
  const why = logsIn ? '' : ' (the certificate has no client auth usage, so it cannot log in with it; still, make sure that is intended)';
  const cn = d.commonName;
  if (cn !== undefined && PRIVILEGED_IDENTITY.test(cn)) {
    say(`Subject CN '${cn}' is a control-plane, node or service-account identity: a certificate for it would let its holder act as that component${why}.`);
  } else if (cn !== undefined && csr.username !== undefined && cn !== csr.username) {
    say(`Subject CN '${cn}' names another identity than the requester '${csr.username}': approving it would let '${csr.username}' act as '${cn}'${why}.`);
  }
  const privileged = d.organizations.filter((o) => PRIVILEGED_GROUP.test(o));
  if (privileged.length) say(`Subject O ${quoteList(privileged)} ${privileged.length > 1 ? 'are privileged groups' : 'is a privileged group'}: the certificate's holder would get ${privileged.includes('system:masters') ? 'unrestricted access to the cluster (system:masters bypasses RBAC)' : 'its permissions'}${why}.`);
}

/** CN = system:node:<name> and O = exactly system:nodes. Returns the name from the CN. */
function checkSubject(c: Ctx, requesterNode: string | undefined): string | undefined {
  const { d, pass, warn, fail } = c;
  const cnName = nodeNameOf(d.commonName);
  if (!cnName) fail(`Subject CN is '${d.commonName ?? '(none)'}', expected 'system:node:<name>'.`);
  else if (requesterNode === undefined) pass(`Subject CN is '${d.commonName}'.`);
  else if (cnName === requesterNode) pass(`Subject CN '${d.commonName}' matches the requester.`);
  else if (cnName.toLowerCase() === requesterNode.toLowerCase()) {
    warn(
      `Subject CN '${d.commonName}' and requester 'system:node:${requesterNode}' differ only in letter case. ` +
        `This is Krustlet's known quirk: it puts the raw hostname ('${cnName}') in the CN while it requests as the lowercased node name ('${requesterNode}'). ` +
        `It is not an attack on another node; approve it if '${cnName}' is the machine you are joining.`,
    );
  } else fail(`Subject CN '${d.commonName}' names another node than the requester 'system:node:${requesterNode}'.`);

  const orgs = d.organizations;
  if (orgs.length === 1 && orgs[0] === NODES_GROUP) pass(`Subject O is '${NODES_GROUP}'.`);
  else if (orgs.length === 0) fail(`Subject has no O: expected exactly '${NODES_GROUP}'.`);
  else fail(`Subject O is ${quoteList(orgs)}, expected exactly '${NODES_GROUP}'${orgs.some((o) => o !== NODES_GROUP) ? ': an extra organisation becomes an extra group, with its permissions' : ''}.`);
  return cnName;
}

function isOwnDnsName(dns: string, own: Set<string>): boolean {
  const n = dns.toLowerCase().replace(/\.$/, '');
  for (const name of own) if (n === name || n.startsWith(`${name}.`)) return true;
  return false;
}

const BAD_V4: Array<[string, number, string]> = [['127.0.0.0', 8, 'loopback'], ['0.0.0.0', 8, 'unspecified'], ['224.0.0.0', 4, 'multicast'], ['255.255.255.255', 32, 'broadcast']];
const BAD_V6: Array<[string, number, string]> = [['::1', 128, 'loopback'], ['::', 128, 'unspecified'], ['ff00::', 8, 'multicast']];
const LINK_LOCAL: Array<[string, number, 'ipv4' | 'ipv6']> = [['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']];

function classify(ip: string): string | undefined {
  const v = isIP(ip);
  const list = v === 4 ? BAD_V4 : BAD_V6;
  for (const [net, prefix, label] of list) {
    const b = new BlockList();
    b.addSubnet(net, prefix, v === 4 ? 'ipv4' : 'ipv6');
    if (b.check(ip, v === 4 ? 'ipv4' : 'ipv6')) return label;
  }
  // IPv4-mapped IPv6 (::ffff:127.0.0.1)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v === 6 && mapped) return classify(mapped[1]);
  return undefined;
}

function serverOnLoopback(server: string | undefined): boolean {
  if (!server) return false;
  let host: string;
  try {
    host = new URL(server).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return host === 'localhost' || (isIP(host) !== 0 && classify(host) === 'loopback');
}

function checkIps(c: Ctx): void {
  const { d, opts, pass, warn, fail } = c;
  if (!d.ipAddresses.length) return;
  const ranges = parseRanges(opts.allowedIpRanges ?? [], warn);
  const good: string[] = [];
  for (const ip of d.ipAddresses) {
    const v = isIP(ip);
    if (!v) { fail(`IP SAN '${ip}' is not a valid IP address.`); continue; }
    const bad = classify(ip);
    if (bad === 'loopback' && serverOnLoopback(opts.apiServer)) {
      warn(`IP SAN ${ip} is a loopback address: acceptable only because this cluster's API server (${opts.apiServer}) runs on this machine too.`);
      continue;
    }
    if (bad) { fail(`IP SAN ${ip} is a ${bad} address: no node can be reached there from the API server.`); continue; }
    const family = v === 4 ? 'ipv4' : 'ipv6';
    if (LINK_LOCAL.some(([n, p, f]) => f === family && inSubnet(ip, n, p, f))) warn(`IP SAN ${ip} is link-local: it only works on the node's own network segment.`);
    if (ranges && !ranges.check(ip, family)) { warn(`IP SAN ${ip} is outside the expected ranges (${(opts.allowedIpRanges ?? []).join(', ')}).`); continue; }
    good.push(ip);
  }
  if (good.length) pass(`IP SAN${good.length > 1 ? 's' : ''} ${good.join(', ')} ${ranges ? `${good.length > 1 ? 'are' : 'is'} inside the expected ranges` : `${good.length > 1 ? 'look' : 'looks'} like node addresses`}.`);
}

function inSubnet(ip: string, net: string, prefix: number, family: 'ipv4' | 'ipv6'): boolean {
  const b = new BlockList();
  b.addSubnet(net, prefix, family);
  return b.check(ip, family);
}

function parseRanges(cidrs: string[], warn: Say): BlockList | undefined {
  if (!cidrs.length) return undefined;
  const b = new BlockList();
  let any = false;
  for (const cidr of cidrs) {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
    const v = m ? isIP(m[1]) : 0;
    const prefix = m ? Number(m[2]) : NaN;
    if (!m || !v || prefix > (v === 4 ? 32 : 128)) { warn(`Expected IP range '${cidr}' is not a CIDR (e.g. 10.0.0.0/8); it was ignored.`); continue; }
    b.addSubnet(m[1], prefix, v === 4 ? 'ipv4' : 'ipv6');
    any = true;
  }
  return any ? b : undefined;
}

function checkExpected(c: Ctx, names: Array<string | undefined>): void {
  const expected = (c.opts.expectedHostnames ?? []).map((h) => h.trim()).filter(Boolean);
  if (!expected.length) return;
  const want = new Set(expected.map((h) => h.toLowerCase()));
  const hit = names.find((n): n is string => !!n && want.has(n.toLowerCase()));
  const shown = names.find((n): n is string => !!n) ?? '(unknown)';
  if (hit) c.pass(`'${hit}' is a hostname this workspace expects.`);
  else c.warn(`'${shown}' is not among the hostnames this workspace expects (${expected.join(', ')}): make sure it is a machine you are joining.`);
}

function checkDuration(c: Ctx): void {
  const max = c.opts.maxDurationSeconds ?? DEFAULT_MAX_DURATION_SECONDS;
  const asked = c.csr.expirationSeconds;
  if (asked === undefined) c.pass(`No lifetime requested: the signer's default applies (kube-controller-manager --cluster-signing-duration, one year unless changed).`);
  else if (asked > max) c.fail(`Requested lifetime ${formatLifetime(asked)} exceeds the maximum of ${formatLifetime(max)}.`);
  else c.pass(`Requested lifetime ${formatLifetime(asked)} is within the maximum of ${formatLifetime(max)}.`);
}

function quoteList(items: readonly string[]): string {
  return items.map((i) => `'${i}'`).join(', ');
}
