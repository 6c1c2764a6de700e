/**
 * The review in the cluster's context, against a real control plane: Nodes created by the admin with
 * addresses, hostile CSRs made by real identities (a node impersonated by kubectl, bootstrap tokens
 * through the API server's token authenticator, the admin), the CLI (`csr list|review|approve --json`,
 * one list per collection whatever the number of CSRs), the informer-kept context following a Node's
 * new address, and a limited identity that may not list Nodes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedAnswers, runBootstrap } from '../../src/core/bootstrap';
import { connect, type Cluster } from '../../src/core/cluster';
import { watchReviewFacts } from '../../src/core/cluster/reviewFacts';
import { reviewCsr } from '../../src/core/csr/review';
import { ReviewCache } from '../../src/core/csr/reviewCache';
import { applyBootstrapRbac } from '../../src/core/preflight';
import { createToken } from '../../src/core/tokenCreate';
import { formatToken } from '../../src/core/token';
import type { CsrReview, FindingSource, Verdict } from '../../src/core/types';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { CLIENT_USAGES, SERVING_USAGES, createCsrAs, krustletClientSpec, krustletServingSpec, makeCsr, type CsrSpec } from '../support/csrFactory';
import { kubectl } from '../support/kubectl';
import { until } from '../support/poll';
import { CLI, runCli, type CliRun } from '../support/process';

let cp: ControlPlane;
let admin: Cluster;
let work: string;
let kubernetesIp: string;
let limitedConf: string;

const cli = (args: string[], kubeconfig = cp.kubeconfigPath): Promise<CliRun> => runCli([...args, '--kubeconfig', kubeconfig], { home: join(work, 'home') });

/** A Node as a kubelet registers it (admins may create Nodes with their status). */
async function createNode(name: string, addresses: { type: string; address: string }[], port = 10250): Promise<void> {
  await admin.transport.request('POST', '/api/v1/nodes', {
    body: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      status: { addresses, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
    },
  });
}

const createAs = (node: string | undefined, name: string, spec: CsrSpec, signer: string, usages: string[]) => createCsrAs(cp.kubeconfigPath, node, name, spec, signer, usages);

/** A kubelet client CSR made with a bootstrap token (the API server's token authenticator fills in system:bootstrap:<id>). */
async function createWithToken(token: string, name: string, nodeName: string): Promise<void> {
  const asToken = await admin.asToken(token);
  await asToken.createCsr({ name, requestPem: (await makeCsr(krustletClientSpec(nodeName))).pem, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: CLIENT_USAGES });
}

interface JsonReview {
  name: string;
  verdict: Verdict;
  reasons: string[];
  findings: { verdict: Verdict; message: string; source: FindingSource }[];
  context?: Record<string, string>;
}

function has(r: { findings: { verdict: Verdict; message: string; source?: FindingSource }[] }, verdict: Verdict, source: FindingSource, re: RegExp): void {
  assert.ok(
    r.findings.some((f) => f.verdict === verdict && (f.source ?? 'request') === source && re.test(f.message)),
    `expected ${verdict} [${source}] ${re}; got:\n${r.findings.map((f) => `  ${f.verdict} [${f.source}] ${f.message}`).join('\n')}`,
  );
}

async function reviewJson(name: string, kubeconfig?: string): Promise<JsonReview> {
  const r = await cli(['csr', 'review', name, '--json'], kubeconfig);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as JsonReview;
}

void describe('review in context (real API server)', () => {
  before(async () => {
    assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first (npm test does)`);
    work = mkdtempSync(join(tmpdir(), 'kb-ctx-'));
    cp = await startControlPlane();
    admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
    await applyBootstrapRbac(admin);
    kubernetesIp = (await kubectl(cp.kubeconfigPath, ['get', 'service', 'kubernetes', '-n', 'default', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.match(kubernetesIp, /^\d+\.\d+\.\d+\.\d+$/, 'the kubernetes Service has a cluster IP');

    await createNode('node-a', [{ type: 'InternalIP', address: '10.1.0.5' }, { type: 'Hostname', address: 'node-a.lan' }, { type: 'InternalDNS', address: 'a-host.example' }]);
    // Serving requests made by node-a itself.
    await createAs('node-a', 'node-a-good', { ...krustletServingSpec('node-a', '10.1.0.5'), dns: ['node-a', 'node-a.lan', 'a-host.example'] }, 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    await createAs('node-a', 'node-a-foreign-ip', krustletServingSpec('node-a', '10.9.9.9'), 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    await createAs('node-a', 'node-a-service-ip', { ...krustletServingSpec('node-a', '10.1.0.5'), ips: ['10.1.0.5', kubernetesIp] }, 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    await createAs('node-a', 'node-a-no-sans', { cn: 'system:node:node-a', o: ['system:nodes'] }, 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    // A node that has not registered yet (a first join).
    await createAs('newcomer', 'newcomer-tls', krustletServingSpec('newcomer', '10.1.0.9'), 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    // Bootstrap tokens: one for anything, one pinned to edge-7.
    const any = await createToken({ cluster: admin, ttlSeconds: 3600, description: 'any node' });
    const pinned = await createToken({ cluster: admin, ttlSeconds: 3600, description: 'for edge-7', nodeName: 'edge-7' });
    await createWithToken(formatToken(any.token), 'takeover-node-a', 'node-a');
    await createWithToken(formatToken(pinned.token), 'pinned-wrong-node', 'node-b');
    await createWithToken(formatToken(pinned.token), 'pinned-right-node', 'edge-7');
    // Another signer, a service-account subject, asked for by the admin.
    await createAs(undefined, 'sa-client', { cn: 'system:serviceaccount:kube-system:default', o: [] }, 'kubernetes.io/kube-apiserver-client', ['digital signature', 'client auth']);
    // A limited identity: a bootstrap token's kubeconfig (may list CSRs, not Nodes, Services or Secrets).
    limitedConf = join(work, 'limited', 'bootstrap.conf');
    await runBootstrap({ cluster: admin }, { ttlSeconds: 600, outputPath: limitedConf }, fixedAnswers());
  });

  after(async () => {
    await cp?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  void it('serving: IPs among the Node\'s addresses pass; a foreign IP, the kubernetes Service IP and no SANs fail; an unregistered node warns', async () => {
    const good = await reviewJson('node-a-good');
    assert.equal(good.verdict, 'pass', good.reasons.join('\n'));
    has(good, 'pass', 'node', /IP SAN 10\.1\.0\.5 is among Node 'node-a''s addresses \(InternalIP 10\.1\.0\.5, Hostname node-a\.lan, InternalDNS a-host\.example\)/);
    has(good, 'pass', 'node', /DNS name 'a-host\.example' is among Node 'node-a''s addresses/);
    has(good, 'pass', 'service', new RegExp(`the kubernetes Service is ${kubernetesIp.replace(/\./g, '\\.')}`));
    assert.deepEqual(good.context, { nodes: 'ready', tokens: 'ready', services: 'ready' });

    const foreign = await reviewJson('node-a-foreign-ip');
    assert.equal(foreign.verdict, 'fail');
    has(foreign, 'fail', 'node', /IP SAN 10\.9\.9\.9 is not among Node 'node-a''s addresses/);
    assert.ok(foreign.reasons.some((m) => m.startsWith('[Node object] IP SAN 10.9.9.9')), foreign.reasons.join('\n'));

    const svc = await reviewJson('node-a-service-ip');
    assert.equal(svc.verdict, 'fail');
    has(svc, 'fail', 'service', new RegExp(`IP SAN ${kubernetesIp.replace(/\./g, '\\.')} is the cluster IP of Service default/kubernetes \\(the API server itself\\)`));

    const none = await reviewJson('node-a-no-sans');
    assert.equal(none.verdict, 'fail');
    has(none, 'fail', 'request', /names no DNS name or IP address/);

    const newcomer = await reviewJson('newcomer-tls');
    assert.equal(newcomer.verdict, 'warn');
    has(newcomer, 'warn', 'node', /Node 'newcomer' is not registered .*IP SAN 10\.1\.0\.9 could not be checked/);
  });

  void it('kubelet client with bootstrap tokens: a takeover warns with who asked; a pinned token fails for another node and passes for its own', async () => {
    const takeover = await reviewJson('takeover-node-a');
    assert.equal(takeover.verdict, 'warn');
    has(takeover, 'warn', 'node', /Node 'node-a' is already registered.*system:bootstrap:[a-z0-9]{6} \(bootstrap token '[a-z0-9]{6}', 'any node'\) asks for its identity/);
    has(takeover, 'pass', 'token', /Requested with bootstrap token '[a-z0-9]{6}' \('any node', created \d+s ago, expires in 59m/);

    const wrong = await reviewJson('pinned-wrong-node');
    assert.equal(wrong.verdict, 'fail');
    has(wrong, 'fail', 'token', /is pinned to node 'edge-7' but asks for the identity of node 'node-b'/);

    const right = await reviewJson('pinned-right-node');
    assert.equal(right.verdict, 'pass', right.reasons.join('\n'));
    has(right, 'pass', 'token', /pinned to node 'edge-7', the node it asks for/);
    has(right, 'pass', 'node', /No Node 'edge-7' is registered yet/);
  });

  void it('another signer with a service-account subject fails; csr approve refuses it (--json says why)', async () => {
    const sa = await reviewJson('sa-client');
    assert.equal(sa.verdict, 'fail');
    has(sa, 'fail', 'request', /Subject CN 'system:serviceaccount:kube-system:default' is a control-plane, node or service-account identity/);
    const r = await cli(['csr', 'approve', 'sa-client', 'node-a-good', '--json']);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { context: Record<string, string>; results: { name: string; result: string }[] };
    assert.deepEqual(out.results.map((x) => [x.name, x.result]), [['sa-client', 'refused'], ['node-a-good', 'approved']]);
    assert.equal((await admin.getCsr('sa-client')).state, 'pending');
  });

  void it('csr list: one list of Nodes, Services and token Secrets for every CSR (no request per CSR)', async () => {
    const r = await cli(['csr', 'list', '--json', '-v']);
    assert.equal(r.code, 0, r.stderr);
    const items = JSON.parse(r.stdout) as JsonReview[];
    assert.ok(items.length >= 9, `${items.length} CSRs`);
    const gets = r.stderr.split('\n').filter((l) => /^debug: GET /.test(l)).map((l) => l.replace(/^debug: GET (\S+?)(\?\S*)? .*$/, '$1'));
    console.log(`csr list of ${items.length} CSRs: ${gets.length} GETs (${gets.join(', ')})`);
    assert.deepEqual(gets.sort(), ['/api/v1/namespaces/kube-system/secrets', '/api/v1/nodes', '/api/v1/services', '/apis/certificates.k8s.io/v1/certificatesigningrequests'].sort());
    assert.equal(items.find((i) => i.name === 'node-a-foreign-ip')?.verdict, 'fail');
  });

  void it('a limited identity (Nodes, Services, Secrets not listable): warnings that say the context is not available, never a silent pass', async () => {
    const r = await reviewJson('newcomer-tls', limitedConf);
    assert.equal(r.verdict, 'warn');
    has(r, 'warn', 'context', /Node 'newcomer' could not be looked up — this identity may not list Nodes \(403 Forbidden\)/);
    has(r, 'warn', 'context', /Services could not be read — this identity may not list Services \(403 Forbidden\)/);
    assert.match(r.context?.nodes ?? '', /may not list Nodes/);
    const good = await reviewJson('pinned-right-node', limitedConf);
    assert.equal(good.verdict, 'warn', 'what passed with the context is a warning without it');
    has(good, 'warn', 'context', /Bootstrap token '[a-z0-9]{6}' could not be looked up — this identity may not list bootstrap token Secrets/);
    const text = await cli(['csr', 'review', 'newcomer-tls'], limitedConf);
    assert.match(text.stdout, /WARN \[context not available\] Node 'newcomer' could not be looked up/);
  });

  void it('the informer-kept context: a Node given the requested address makes the request pass; a limited identity settles unready', async () => {
    const facts = watchReviewFacts(admin);
    try {
      await facts.whenSettled();
      const cache = new ReviewCache(() => ({ version: 0, options: { apiServer: cp.server, cluster: facts } }));
      const csr = await admin.getCsr('node-a-foreign-ip');
      const before: CsrReview = cache.get(csr);
      assert.equal(before.verdict, 'fail');
      await kubectl(cp.kubeconfigPath, ['patch', 'node', 'node-a', '--subresource=status', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/status/addresses/-', value: { type: 'ExternalIP', address: '10.9.9.9' } }])]);
      await until('the Node informer to see the new address', () => facts.nodes.get('node-a')?.addresses.some((a) => a.address === '10.9.9.9'));
      assert.equal(cache.peek(csr), undefined, 'the cached review is out of date');
      const now = cache.get(csr);
      assert.equal(now.verdict, 'pass', now.findings.map((f) => f.message).join('\n'));
      has(now, 'pass', 'node', /IP SAN 10\.9\.9\.9 is among Node 'node-a''s addresses \(InternalIP 10\.1\.0\.5, Hostname node-a\.lan, InternalDNS a-host\.example, ExternalIP 10\.9\.9\.9\)/);
      assert.equal(facts.informers.nodes.stats.lists, 1, 'one list, then watch events');
    } finally {
      facts.dispose();
    }

    const limited = watchReviewFacts(await connect({ kubeconfigPath: limitedConf }));
    try {
      await limited.whenSettled();
      assert.equal(limited.nodes.state.ready, false);
      assert.match(limited.nodes.state.ready ? '' : limited.nodes.state.reason, /may not list Nodes \(403 Forbidden\)/);
      const r = reviewCsr(await admin.getCsr('newcomer-tls'), { cluster: limited });
      has(r, 'warn', 'context', /could not be looked up — this identity may not list Nodes/);
    } finally {
      limited.dispose();
    }
  });

  void it('node list: every Node with Ready, addresses, port, the token and CSRs it came from, and the serving certificate issued through its CSR', async () => {
    // node-a-good was approved above; kube-controller-manager signs it.
    await until('node-a-good issued', async () => (await admin.getCsr('node-a-good')).state === 'issued');
    const r = await cli(['node', 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const nodes = JSON.parse(r.stdout) as {
      name: string;
      ready: string;
      kubeletPort: number | null;
      addresses: { type: string; address: string }[];
      token: { id: string; description: string | null; present: boolean | null } | null;
      csrs: { client: string[]; serving: string[] };
      servingCertificate: { csr: string; issuer: string; subject: string; sans: string[]; notAfter: string; selfSigned: boolean; expires: string; warning: boolean } | null;
    }[];
    const a = nodes.find((n) => n.name === 'node-a');
    assert.ok(a, r.stdout);
    assert.equal(a.ready, 'True');
    assert.equal(a.kubeletPort, 10250);
    assert.ok(a.addresses.some((x) => x.type === 'InternalIP' && x.address === '10.1.0.5'));
    assert.equal(a.token?.description, 'any node', 'the token of the (takeover) client CSR for node-a');
    assert.deepEqual(a.csrs.client, ['takeover-node-a']);
    assert.ok(a.csrs.serving.includes('node-a-good') && a.csrs.serving.includes('node-a-foreign-ip'), a.csrs.serving.join(' '));
    const cert = a.servingCertificate;
    assert.ok(cert, 'the serving certificate from the issued CSR');
    assert.equal(cert.csr, 'node-a-good');
    assert.match(cert.subject, /CN=system:node:node-a/);
    assert.deepEqual([...cert.sans].sort(), ['DNS:a-host.example', 'DNS:node-a', 'DNS:node-a.lan', 'IP:10.1.0.5'].sort());
    assert.equal(cert.selfSigned, false);
    // kube-controller-manager signs with the cluster CA, for a year by default.
    const ca = (await import('node:crypto')).X509Certificate;
    const { readFileSync } = await import('node:fs');
    assert.equal(cert.issuer, new ca(readFileSync(cp.caPath)).subject.split('\n').join(', '));
    assert.match(cert.expires, /^in 36[45] days$/);
    assert.equal(cert.warning, false);

    const warned = JSON.parse((await cli(['node', 'list', '--json', '--warn-days', '400'])).stdout) as typeof nodes;
    assert.equal(warned.find((n) => n.name === 'node-a')?.servingCertificate?.warning, true, 'a year is within 400 days');

    const text = await cli(['node', 'list']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^NAME +STATUS +ADDRESSES +PORT +TOKEN +CSRS +SERVING CERT +ISSUER/);
    assert.match(text.stdout.split('\n').find((l) => l.startsWith('node-a ')) ?? '', /^node-a +Ready +10\.1\.0\.5, node-a\.lan, a-host\.example, 10\.9\.9\.9 +10250 +[a-z0-9]{6} +\d+ +expires in 36[45] days/);
    const bad = await cli(['node', 'list', '--warn-days', 'soon']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: --warn-days 'soon' is not a whole number of days\./);
  });

  void it('csr approve --renewals approves only identical renewals; --all-passing only passing reviews; both say what they skipped and why', async () => {
    await until('node-a-good issued', async () => (await admin.getCsr('node-a-good')).state === 'issued');
    const sans = { ...krustletServingSpec('node-a', '10.1.0.5'), dns: ['node-a', 'node-a.lan', 'a-host.example'] };
    await createAs('node-a', 'node-a-renew', sans, 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    await createAs('node-a', 'node-a-renew-changed', { ...sans, ips: ['10.1.0.5', '10.9.9.9'] }, 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    const review = await reviewJson('node-a-renew');
    has(review, 'pass', 'certificate', /Renewal of an identical certificate: the current one \(CSR node-a-good, expires in 36[45]d\)/);
    const changed = await reviewJson('node-a-renew-changed');
    has(changed, 'warn', 'certificate', /Not an identical renewal of the current certificate \(CSR node-a-good.*\): \+IP:10\.9\.9\.9 \(new\)/);

    const r = await cli(['csr', 'approve', '--renewals', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { approved: string[]; skipped: { name: string; why: string }[]; failed: unknown[] };
    assert.deepEqual(out.approved, ['node-a-renew']);
    assert.match(out.skipped.find((x) => x.name === 'node-a-renew-changed')?.why ?? '', /not an identical renewal \(\+IP:10\.9\.9\.9\)/);
    assert.match(out.skipped.find((x) => x.name === 'newcomer-tls')?.why ?? '', /no current serving certificate of the node is known/);
    const approvedCsr = await admin.getCsr('node-a-renew');
    assert.equal(approvedCsr.conditions.find((c) => c.type === 'Approved')?.reason, 'KrustletIdenticalRenewal');
    assert.equal((await admin.getCsr('node-a-renew-changed')).state, 'pending', 'changed SANs are never approved by --renewals');

    const only = await cli(['csr', 'approve', '--renewals', '--expect-hostname', 'elsewhere']);
    assert.match(only.stdout, /0 approved, \d+ skipped, 0 failed/);
    assert.match(only.stdout, /skipped node-a-renew-changed: node 'node-a' is not one of --expect-hostname/);

    const all = await cli(['csr', 'approve', '--all-passing']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /skipped node-a-no-sans: its review fails: .*names no DNS name or IP address/);
    assert.match(all.stdout, /skipped newcomer-tls: its review has warnings/);
    assert.doesNotMatch(all.stdout, /Approved CSR node-a-no-sans/);
    const bad = await cli(['csr', 'approve', '--all-passing', 'node-a-no-sans']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: --all-passing chooses the requests itself: it takes no CSR names and no --force\./);
  });

  void it('node list reads a serving certificate by a TLS handshake when no CSR tells it; a self-signed one is named, with the fix', async () => {
    const { execFileSync } = await import('node:child_process');
    const { createServer } = await import('node:https');
    const keyFile = join(work, 'kubelet.key');
    const pem = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-subj', '/CN=tls-node@1700000000', '-days', '365'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const { readFileSync } = await import('node:fs');
    const server = createServer({ cert: pem, key: readFileSync(keyFile) }, (_req, res) => res.end('ok'));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as { port: number }).port;
    try {
      await createNode('tls-node', [{ type: 'InternalIP', address: '127.0.0.1' }], port);
      const r = await cli(['node', 'list', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const n = (JSON.parse(r.stdout) as { name: string; servingCertificate: { from: string; selfSigned: boolean; fix: string | null; subject: string; warning: boolean } | null }[]).find((x) => x.name === 'tls-node');
      assert.ok(n?.servingCertificate, r.stdout);
      assert.equal(n.servingCertificate.from, `TLS 127.0.0.1:${port}`);
      assert.equal(n.servingCertificate.subject, 'CN=tls-node@1700000000');
      assert.equal(n.servingCertificate.selfSigned, true);
      assert.equal(n.servingCertificate.warning, true);
      assert.match(n.servingCertificate.fix ?? '', /serverTLSBootstrap: true/);
      const text = await cli(['node', 'list']);
      assert.match(text.stdout.split('\n').find((l) => l.startsWith('tls-node ')) ?? '', /SELF-SIGNED, expires in 36[45] days \(TLS\)/);
      assert.match(text.stdout, /tls-node: The kubelet serves a certificate it signed itself/);
      const off = JSON.parse((await cli(['node', 'list', '--json', '--no-tls'])).stdout) as { name: string; servingCertificate: unknown }[];
      assert.equal(off.find((x) => x.name === 'tls-node')?.servingCertificate, null, '--no-tls: no handshake');
    } finally {
      server.close();
    }
    // A kubelet port nobody listens on: the error says so, bounded.
    await createNode('dead-node', [{ type: 'InternalIP', address: '127.0.0.1' }], 1);
    const r = JSON.parse((await cli(['node', 'list', '--json'])).stdout) as { name: string; servingCertificateError: string | null }[];
    assert.match(r.find((x) => x.name === 'dead-node')?.servingCertificateError ?? '', /TLS handshake with 127\.0\.0\.1:1 failed: ECONNREFUSED/);
  });
});
