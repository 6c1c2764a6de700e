/**
 * The review's contextual checks: what only the cluster knows about a request. Each finding names
 * what it checked (`node`: the Node object, `token`: the bootstrap token's Secret, `service`: the
 * Services' cluster IPs); a fact that could not be read is a `context` warning saying so.
 */
import { isIP } from 'node:net';
import { formatAge, humanDuration } from './format';
import { canonicalIp, type ClusterFacts } from './context';
import type { RenewalComparison } from '../types';
import type { Ctx } from './review';
import type { NodeInfo, TokenInfo } from '../types';

const DNS_ADDRESS_TYPES = new Set(['Hostname', 'InternalDNS', 'ExternalDNS']);

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

function addressesText(n: NodeInfo): string {
  return n.addresses.length ? n.addresses.map((a) => `${a.type} ${a.address}`).join(', ') : 'none';
}

/** The registered Node's DNS addresses (lowercased), for the serving request's DNS SAN check. */
export function nodeDnsNames(c: Ctx, nodeName: string | undefined): Set<string> {
  const facts = c.opts.cluster;
  const out = new Set<string>();
  if (!facts || nodeName === undefined || !facts.nodes.state.ready) return out;
  for (const a of facts.nodes.get(nodeName)?.addresses ?? []) if (DNS_ADDRESS_TYPES.has(a.type)) out.add(a.address.toLowerCase().replace(/\.$/, ''));
  return out;
}

/** kubelet-serving: the IP SANs against the Node's addresses and the Services' cluster IPs. */
export function servingContextChecks(c: Ctx, nodeName: string | undefined): void {
  const facts = c.opts.cluster;
  if (!facts) return;
  const { d, pass, warn, fail } = c;
  const ips = d.ipAddresses.filter((ip) => isIP(ip));
  checkServiceIps(c, facts, ips);
  if (nodeName === undefined) return; // the requester is not a node: that already failed
  const nodes = facts.nodes;
  if (!nodes.state.ready) {
    warn(`Node '${nodeName}' could not be looked up — ${nodes.state.reason}: whether it is registered and which addresses it has was not checked${ips.length ? `, so IP SAN${plural(ips.length, '', 's')} ${ips.join(', ')} ${plural(ips.length, 'is', 'are')} unchecked` : ''}.`, 'context');
    return;
  }
  checkRenewal(c, facts, nodeName);
  const node = nodes.get(nodeName);
  if (!node) {
    warn(`Node '${nodeName}' is not registered (no Node object yet, as on a first join): ${ips.length ? `IP SAN${plural(ips.length, '', 's')} ${ips.join(', ')} could not be checked against its addresses` : 'its addresses could not be checked'}. Approve only if you know this machine and its address.`, 'node');
    return;
  }
  if (!ips.length) return;
  const own = new Set(node.addresses.filter((a) => isIP(a.address)).map((a) => canonicalIp(a.address)));
  const foreign = ips.filter((ip) => !own.has(canonicalIp(ip)));
  if (foreign.length) {
    fail(`IP SAN${plural(foreign.length, '', 's')} ${foreign.join(', ')} ${plural(foreign.length, 'is', 'are')} not among Node '${nodeName}''s addresses (${addressesText(node)}): the certificate would name an address the node does not have.`, 'node');
  } else {
    pass(`IP SAN${plural(ips.length, '', 's')} ${ips.join(', ')} ${plural(ips.length, 'is', 'are')} among Node '${nodeName}''s addresses (${addressesText(node)}).`, 'node');
  }
}

function checkServiceIps(c: Ctx, facts: ClusterFacts, ips: string[]): void {
  if (!ips.length) return;
  const services = facts.services;
  if (!services.state.ready) {
    c.warn(`Services could not be read — ${services.state.reason}: whether IP SAN${plural(ips.length, '', 's')} ${ips.join(', ')} ${plural(ips.length, 'is a Service cluster IP', 'are Service cluster IPs')} was not checked.`, 'context');
    return;
  }
  let hit = false;
  for (const ip of ips) {
    const svc = services.byClusterIp(ip);
    if (!svc) continue;
    hit = true;
    const own = svc.namespace === 'default' && svc.name === 'kubernetes';
    c.fail(`IP SAN ${ip} is the cluster IP of Service ${svc.namespace}/${svc.name}${own ? ' (the API server itself)' : ''}: a Service IP is never a node's address, and a certificate naming it lets its holder pose as that Service.`, 'service');
  }
  if (!hit) {
    const k = services.kubernetes();
    c.pass(`No IP SAN is a Service cluster IP${k?.clusterIPs.length ? ` (the kubernetes Service is ${k.clusterIPs.join(', ')})` : ''}.`, 'service');
  }
}

function tokenText(t: TokenInfo, now: Date): string {
  const parts: string[] = [];
  if (t.description) parts.push(`'${t.description}'`);
  if (t.createdAt) parts.push(`created ${formatAge(t.createdAt, now)} ago`);
  if (!t.expiration) parts.push('never expires');
  else if (t.expiration.getTime() <= now.getTime()) parts.push('expired');
  else parts.push(`expires in ${humanDuration((t.expiration.getTime() - now.getTime()) / 1000)}`);
  if (t.pinnedNode) parts.push(`pinned to node '${t.pinnedNode}'`);
  return parts.join(', ');
}

/**
 * kube-apiserver-client-kubelet: which token asked and for which node; a node that already exists
 * (a takeover: any bootstrap token can ask for any node's name, and kube-controller-manager
 * approves it — Kubernetes issue 57164); a token pinned to another node.
 */
export function clientContextChecks(c: Ctx, subjectNode: string | undefined, requesterNode: string | undefined): void {
  const facts = c.opts.cluster;
  if (!facts) return;
  const { csr, pass, warn, fail } = c;
  const now = c.opts.now ?? new Date();
  const tokenId = csr.username?.startsWith('system:bootstrap:') ? csr.username.slice('system:bootstrap:'.length) : undefined;
  let token: TokenInfo | undefined;
  if (tokenId !== undefined) {
    if (!facts.tokens.state.ready) {
      warn(`Bootstrap token '${tokenId}' could not be looked up — ${facts.tokens.state.reason}: its description, expiry and the node it is pinned to were not checked.`, 'context');
    } else {
      token = facts.tokens.get(tokenId);
      if (!token) warn(`No Secret kube-system/bootstrap-token-${tokenId} is left for token '${tokenId}' (deleted, or expired and cleaned up): what it was for cannot be checked.`, 'token');
      else {
        const expired = token.expiration !== undefined && token.expiration.getTime() <= now.getTime();
        (expired ? warn : pass)(`Requested with bootstrap token '${tokenId}' (${tokenText(token, now)}).`, 'token');
        if (token.pinnedNode !== undefined && subjectNode !== undefined) {
          if (token.pinnedNode.toLowerCase() === subjectNode.toLowerCase()) pass(`Token '${tokenId}' is pinned to node '${token.pinnedNode}', the node it asks for.`, 'token');
          else fail(`Token '${tokenId}' is pinned to node '${token.pinnedNode}' but asks for the identity of node '${subjectNode}': it was made for another machine.`, 'token');
        }
      }
    }
  }
  const name = subjectNode ?? requesterNode;
  if (name === undefined) return;
  if (!facts.nodes.state.ready) {
    warn(`Node '${name}' could not be looked up — ${facts.nodes.state.reason}: whether a node of that name is already registered (a takeover) was not checked.`, 'context');
    return;
  }
  const node = facts.nodes.get(name);
  if (tokenId !== undefined) {
    if (node) {
      warn(
        `Node '${name}' is already registered${node.createdAt ? ` (since ${formatAge(node.createdAt, now)})` : ''}, and ${csr.username} (bootstrap token '${tokenId}'${token?.description ? `, '${token.description}'` : ''}) asks for its identity. ` +
          `Any bootstrap token can ask for any node's name and kube-controller-manager approves it (Kubernetes issue 57164): this is how a node is taken over. ` +
          `Only a re-join of that very machine is a reason${token?.pinnedNode?.toLowerCase() === name.toLowerCase() ? ' (the token is pinned to it)' : ''}.`,
        'node',
      );
    } else pass(`No Node '${name}' is registered yet: a new node joins.`, 'node');
  } else if (requesterNode !== undefined) {
    if (node) pass(`Node '${name}' is registered: it renews its own client certificate.`, 'node');
    else warn(`Node '${name}' asks to renew its client certificate but no Node object of that name is registered.`, 'node');
  }
}

/** The SANs of a request or certificate, one spelling each: "DNS:<lowercase>", "IP:<canonical>". */
export function sanSet(dns: readonly string[], ips: readonly string[]): string[] {
  return [...new Set([...dns.map((d) => `DNS:${d.toLowerCase().replace(/\.$/, '')}`), ...ips.map((ip) => `IP:${canonicalIp(ip)}`)])].sort();
}

/**
 * kubelet-serving: a request from a node whose current serving certificate is known is compared
 * with it. The same subject and SANs: "renewal of an identical certificate" (what a kubelet's
 * rotation asks for); anything else is named, SAN by SAN.
 */
function checkRenewal(c: Ctx, facts: ClusterFacts, nodeName: string): void {
  const current = facts.certificates?.current(nodeName);
  if (!current) return;
  const { d } = c;
  const want = sanSet(d.dnsNames, d.ipAddresses);
  const have = new Set(current.sans);
  const added = want.filter((s) => !have.has(s));
  const removed = current.sans.filter((s) => !want.includes(s));
  const subject: string[] = [];
  if ((current.commonName ?? '') !== (d.commonName ?? '')) subject.push(`CN '${current.commonName ?? ''}' → '${d.commonName ?? ''}'`);
  const o1 = [...current.organizations].sort().join(', ');
  const o2 = [...d.organizations].sort().join(', ');
  if (o1 !== o2) subject.push(`O '${o1}' → '${o2}'`);
  const renewal: RenewalComparison = { identical: !added.length && !removed.length && !subject.length, from: current.from, added, removed, subject };
  c.result.renewal = renewal;
  const now = c.opts.now ?? new Date();
  const expires = current.notAfter ? (current.notAfter.getTime() > now.getTime() ? `, expires in ${humanDuration((current.notAfter.getTime() - now.getTime()) / 1000)}` : ', expired') : '';
  if (renewal.identical) {
    c.pass(`Renewal of an identical certificate: the current one (${current.from}${expires}) has the same subject and SANs (${current.sans.join(', ') || 'none'}).`, 'certificate');
    return;
  }
  const diff = [...added.map((s) => `+${s} (new)`), ...removed.map((s) => `−${s} (dropped)`), ...subject.map((s) => `subject ${s}`)];
  c.warn(`Not an identical renewal of the current certificate (${current.from}${expires}): ${diff.join(', ')}. Check each change before approving.`, 'certificate');
}
