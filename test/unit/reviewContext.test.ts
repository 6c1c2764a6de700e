/**
 * The review in the cluster's context (pure: facts from arrays): Node addresses, Service cluster IPs,
 * bootstrap tokens pinned to nodes, takeovers, other signers' identities, and a context that cannot
 * be read — each finding naming what it checked.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { factsFromLists, type ClusterFacts } from '../../src/core/csr/context';
import { reviewCsr } from '../../src/core/csr/review';
import { ReviewCache } from '../../src/core/csr/reviewCache';
import { findingText, summarizeRequest } from '../../src/core/csr/summary';
import { KrustletError } from '../../src/core/errors';
import type { CsrReview, FindingSource, NodeInfo, ServiceInfo, TokenInfo, Verdict } from '../../src/core/types';
import { CLIENT_USAGES, csrInfo, krustletClientSpec, krustletServingSpec, makeCsr } from '../support/csrFactory';

const nodeA: NodeInfo = { name: 'node-a', uid: 'uid-a', addresses: [{ type: 'InternalIP', address: '10.1.0.5' }, { type: 'Hostname', address: 'node-a.lan' }], ready: 'True', kubeletPort: 10250, createdAt: new Date(Date.now() - 86400_000) };
const kubernetesSvc: ServiceInfo = { namespace: 'default', name: 'kubernetes', clusterIPs: ['10.96.0.1'] };
const dnsSvc: ServiceInfo = { namespace: 'kube-system', name: 'kube-dns', clusterIPs: ['10.96.0.10'] };
const now = new Date();
const token = (over: Partial<TokenInfo>): TokenInfo => ({ id: 'abcdef', secretName: 'bootstrap-token-abcdef', expired: false, usages: ['authentication', 'signing'], extraGroups: [], createdAt: new Date(now.getTime() - 3 * 3600_000), expiration: new Date(now.getTime() + 21 * 3600_000), ...over });

function facts(over: Partial<Parameters<typeof factsFromLists>[0]> = {}): ClusterFacts {
  return factsFromLists({
    nodes: { items: [nodeA] },
    tokens: { items: [token({}), token({ id: 'pinned', secretName: 'bootstrap-token-pinned', pinnedNode: 'edge-7', description: 'for edge-7' })] },
    services: { items: [kubernetesSvc, dnsSvc] },
    ...over,
  });
}

function has(r: CsrReview, verdict: Verdict, source: FindingSource, re: RegExp): string {
  const f = r.findings.find((x) => x.verdict === verdict && (x.source ?? 'request') === source && re.test(x.message));
  assert.ok(f, `expected a ${verdict} [${source}] finding matching ${re}; got:\n${r.findings.map((x) => `  ${x.verdict} [${x.source}]: ${x.message}`).join('\n')}`);
  return f.message;
}

const servingOf = async (node: string, spec: Partial<Parameters<typeof makeCsr>[0]> = {}) =>
  csrInfo((await makeCsr({ ...krustletServingSpec(node, '10.1.0.5'), ...spec })).pem, { name: `${node}-tls`, username: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] });
const clientOf = async (node: string, username: string, groups = ['system:bootstrappers', 'system:authenticated']) =>
  csrInfo((await makeCsr(krustletClientSpec(node))).pem, { name: `csr-${node}`, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: [...CLIENT_USAGES], username, groups });

void describe('review in context: kubelet-serving', () => {
  void test('IP SANs among the Node\'s addresses, DNS SAN = its Hostname address, no Service IP: passes, naming the Node and the Services', async () => {
    const r = reviewCsr(await servingOf('node-a', { dns: ['node-a', 'node-a.lan'] }), { cluster: facts(), now });
    assert.equal(r.verdict, 'pass', r.findings.map(findingText).join('\n'));
    has(r, 'pass', 'node', /IP SAN 10\.1\.0\.5 is among Node 'node-a''s addresses \(InternalIP 10\.1\.0\.5, Hostname node-a\.lan\)/);
    has(r, 'pass', 'service', /No IP SAN is a Service cluster IP \(the kubernetes Service is 10\.96\.0\.1\)/);
  });

  void test('an IP that is not the Node\'s fails [Node object]; the same request without the Node warns it could not be checked', async () => {
    const csr = await servingOf('node-a', { ips: ['10.1.0.5', '10.9.9.9'] });
    const r = reviewCsr(csr, { cluster: facts(), now });
    assert.equal(r.verdict, 'fail');
    has(r, 'fail', 'node', /IP SAN 10\.9\.9\.9 is not among Node 'node-a''s addresses/);
    const unregistered = reviewCsr(csr, { cluster: facts({ nodes: { items: [] } }), now });
    assert.equal(unregistered.verdict, 'warn');
    has(unregistered, 'warn', 'node', /Node 'node-a' is not registered .*IP SANs 10\.1\.0\.5, 10\.9\.9\.9 could not be checked/);
    // Without a context the request alone is judged, and nothing claims the Node was checked.
    assert.ok(!reviewCsr(csr).findings.some((f) => f.source !== 'request'));
  });

  void test('the kubernetes Service IP (or any Service IP) fails [Services], in any spelling', async () => {
    const r = reviewCsr(await servingOf('node-a', { ips: ['10.1.0.5', '10.96.0.1'] }), { cluster: facts(), now });
    has(r, 'fail', 'service', /IP SAN 10\.96\.0\.1 is the cluster IP of Service default\/kubernetes \(the API server itself\)/);
    const v6 = factsFromLists({ nodes: { items: [{ ...nodeA, addresses: [{ type: 'InternalIP', address: 'fd00::5' }] }] }, tokens: { items: [] }, services: { items: [{ namespace: 'x', name: 'v6', clusterIPs: ['fd00:10::a'] }] } });
    const r6 = reviewCsr(await servingOf('node-a', { ips: ['fd00:0:0:0:0:0:0:5', 'fd00:10:0::a'] }), { cluster: v6, now });
    has(r6, 'fail', 'service', /cluster IP of Service x\/v6/);
    has(r6, 'fail', 'node', /IP SAN fd00:10::a is not among Node 'node-a''s addresses/);
    const own = reviewCsr(await servingOf('node-a', { ips: ['fd00:0:0:0:0:0:0:5'] }), { cluster: v6, now });
    has(own, 'pass', 'node', /IP SAN fd00::5 is among Node 'node-a''s addresses/);
  });

  void test('a request with no SAN at all fails (request)', async () => {
    const r = reviewCsr(await servingOf('node-a', { dns: [], ips: [] }), { cluster: facts(), now });
    has(r, 'fail', 'request', /names no DNS name or IP address/);
  });

  void test('a DNS name neither the node\'s name nor one of its DNS addresses fails', async () => {
    const r = reviewCsr(await servingOf('node-a', { dns: ['node-a', 'db.lan'] }), { cluster: facts(), now });
    has(r, 'fail', 'request', /'db\.lan' is not tied to node 'node-a'/);
  });

  void test('Nodes or Services not listable: warnings that say so, never a silent pass', async () => {
    const forbidden = new KrustletError('forbidden', 'GET /api/v1/nodes is forbidden (403).');
    const r = reviewCsr(await servingOf('node-a'), { cluster: facts({ nodes: { error: forbidden }, services: { error: forbidden } }), now });
    assert.equal(r.verdict, 'warn');
    has(r, 'warn', 'context', /Node 'node-a' could not be looked up — this identity may not list Nodes \(403 Forbidden\).*IP SAN 10\.1\.0\.5 is unchecked/);
    has(r, 'warn', 'context', /Services could not be read — this identity may not list Services/);
    assert.match(summarizeRequest(await servingOf('node-a'), r).lines.join('\n'), /WARN \[context not available\] Node 'node-a' could not be looked up/);
  });
});

void describe('review in context: kubelet client (bootstrap)', () => {
  void test('a bootstrap token asking for a new node: the token named (description, age, expiry), no Node yet', async () => {
    const r = reviewCsr(await clientOf('edge-7', 'system:bootstrap:pinned'), { cluster: facts(), now });
    assert.equal(r.verdict, 'pass', r.findings.map(findingText).join('\n'));
    has(r, 'pass', 'token', /Requested with bootstrap token 'pinned' \('for edge-7', created 3h ago, expires in 21h, pinned to node 'edge-7'\)/);
    has(r, 'pass', 'token', /pinned to node 'edge-7', the node it asks for/);
    has(r, 'pass', 'node', /No Node 'edge-7' is registered yet/);
  });

  void test('a bootstrap token asking for an existing node: a takeover warning with who asked', async () => {
    const r = reviewCsr(await clientOf('node-a', 'system:bootstrap:abcdef'), { cluster: facts(), now });
    assert.equal(r.verdict, 'warn');
    has(r, 'warn', 'node', /Node 'node-a' is already registered \(since 24h\), and system:bootstrap:abcdef \(bootstrap token 'abcdef'\) asks for its identity.*57164/);
  });

  void test('a token pinned to one node asking for another fails [token Secret]', async () => {
    const r = reviewCsr(await clientOf('node-b', 'system:bootstrap:pinned'), { cluster: facts(), now });
    assert.equal(r.verdict, 'fail');
    has(r, 'fail', 'token', /Token 'pinned' is pinned to node 'edge-7' but asks for the identity of node 'node-b'/);
  });

  void test('requested by neither the node nor a bootstrap token fails; a token whose Secret is gone warns', async () => {
    const admin = reviewCsr(await clientOf('node-b', 'kubernetes-admin', ['system:masters']), { cluster: facts(), now });
    has(admin, 'fail', 'request', /neither the node itself nor a bootstrap token/);
    const gone = reviewCsr(await clientOf('node-b', 'system:bootstrap:zzzzzz'), { cluster: facts(), now });
    has(gone, 'warn', 'token', /No Secret kube-system\/bootstrap-token-zzzzzz is left/);
    const unreadable = reviewCsr(await clientOf('node-b', 'system:bootstrap:abcdef'), { cluster: facts({ tokens: { error: new KrustletError('forbidden', 'no') } }), now });
    has(unreadable, 'warn', 'context', /Bootstrap token 'abcdef' could not be looked up — this identity may not list bootstrap token Secrets/);
  });
});

void describe('review in context: other signers', () => {
  const other = async (cn: string, o: string[], username: string, usages = ['digital signature', 'client auth']) =>
    csrInfo((await makeCsr({ cn, o })).pem, { name: 'x', signerName: 'kubernetes.io/kube-apiserver-client', usages, username, groups: ['system:authenticated'] });

  void test('a service-account subject, another identity, a privileged group: failures; a matching subject keeps the warning', async () => {
    has(reviewCsr(await other('system:serviceaccount:kube-system:default', [], 'system:serviceaccount:kube-system:default')), 'fail', 'request', /control-plane, node or service-account identity/);
    has(reviewCsr(await other('alice', [], 'bob')), 'fail', 'request', /names another identity than the requester 'bob'/);
    has(reviewCsr(await other('bob', ['system:masters'], 'bob')), 'fail', 'request', /system:masters bypasses RBAC/);
    const ok = reviewCsr(await other('bob', ['developers'], 'bob'));
    assert.equal(ok.verdict, 'warn');
    has(ok, 'warn', 'request', /not a kubelet certificate signer/);
  });
});

void describe('ReviewCache with cluster facts', () => {
  void test('a heartbeat of the Node reviews nothing again; a change of its addresses reviews exactly that request', async () => {
    const csr = { ...(await servingOf('node-a', { ips: ['10.9.9.9'] })), uid: 'u1', resourceVersion: '1' };
    const other = { ...(await servingOf('node-z')), uid: 'u2', resourceVersion: '1' };
    let nodes: NodeInfo[] = [nodeA];
    let calls = 0;
    const cache = new ReviewCache(
      () => ({ version: 1, options: { cluster: facts({ nodes: { items: nodes } }), now } }),
      (c, o) => (calls++, reviewCsr(c, o)),
    );
    assert.equal(cache.get(csr).verdict, 'fail');
    cache.get(other);
    assert.equal(calls, 2);
    nodes = [{ ...nodeA, resourceVersion: '99', ready: 'False' }]; // a heartbeat / status change without new addresses
    cache.get(csr);
    cache.get(other);
    assert.equal(calls, 2, 'nothing reviewed again');
    nodes = [{ ...nodeA, addresses: [...nodeA.addresses, { type: 'ExternalIP', address: '10.9.9.9' }] }];
    assert.equal(cache.peek(csr), undefined, 'the review of the request naming node-a is out of date');
    assert.ok(cache.peek(other), 'the other one is current');
    assert.equal(cache.get(csr).verdict, 'pass', '10.9.9.9 is one of the Node\'s addresses now');
    assert.equal(calls, 3);
  });
});

void describe('renewals: a serving request compared with the node\'s current certificate', () => {
  const current = { from: 'CSR node-a-tls', commonName: 'system:node:node-a', organizations: ['system:nodes'], sans: ['DNS:node-a', 'IP:10.1.0.5'], notAfter: new Date(now.getTime() + 12 * 86400_000), key: 'k1' };
  const withCert = (): ClusterFacts => ({ ...facts(), certificates: { current: (n) => (n === 'node-a' ? current : undefined) } });

  void test('the same subject and SANs: "renewal of an identical certificate" [current certificate]', async () => {
    const r = reviewCsr(await servingOf('node-a'), { cluster: withCert(), now });
    assert.equal(r.verdict, 'pass', r.findings.map(findingText).join('\n'));
    has(r, 'pass', 'certificate', /Renewal of an identical certificate: the current one \(CSR node-a-tls, expires in 12d\) has the same subject and SANs \(DNS:node-a, IP:10\.1\.0\.5\)/);
    assert.deepEqual(r.renewal, { identical: true, from: 'CSR node-a-tls', added: [], removed: [], subject: [] });
  });

  void test('changed SANs are named one by one; a node without a known certificate is no renewal', async () => {
    const r = reviewCsr(await servingOf('node-a', { dns: ['node-a', 'node-a.lan'], ips: [] }), { cluster: withCert(), now });
    has(r, 'warn', 'certificate', /Not an identical renewal of the current certificate \(CSR node-a-tls, expires in 12d\): \+DNS:node-a\.lan \(new\), −IP:10\.1\.0\.5 \(dropped\)/);
    assert.equal(r.renewal?.identical, false);
    assert.deepEqual(r.renewal?.added, ['DNS:node-a.lan']);
    assert.deepEqual(r.renewal?.removed, ['IP:10.1.0.5']);
    assert.equal(reviewCsr(await servingOf('node-a'), { cluster: facts(), now }).renewal, undefined);
  });
});
