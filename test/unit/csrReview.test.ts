import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { reviewCsr } from '../../src/core/csr/review';
import { decodeCsrPem } from '../../src/core/csr/decode';
import { escapeMarkdown, summarizeRequest } from '../../src/core/csr/summary';
import { formatAge, formatLifetime, shortSignerName } from '../../src/core/csr/format';
import type { CsrReview, Verdict } from '../../src/core/types';
import { CLIENT_USAGES, csrInfo, krustletClientSpec, krustletServingSpec, makeCsr, type CsrSpec } from '../support/csrFactory';

const FIXTURES = resolve(__dirname, '../../../test/fixtures/csr');
const fixture = (name: string) => readFileSync(resolve(FIXTURES, name), 'utf8');

/** The finding with the worst verdict whose message matches. */
function finding(review: CsrReview, verdict: Verdict, re: RegExp): string {
  const f = review.findings.find((x) => x.verdict === verdict && re.test(x.message));
  assert.ok(f, `expected a '${verdict}' finding matching ${re}; got:\n${review.findings.map((x) => `  ${x.verdict}: ${x.message}`).join('\n')}`);
  return f.message;
}

const serving = (spec: Partial<CsrSpec> = {}) => makeCsr({ ...krustletServingSpec('myhost', '10.0.0.5'), ...spec });

void describe('kubelet-serving review', () => {
  void test('a good Krustlet serving CSR (node name = hostname) passes', async () => {
    const r = reviewCsr(csrInfo((await serving()).pem));
    assert.equal(r.verdict, 'pass', r.findings.map((f) => `${f.verdict}: ${f.message}`).join('\n'));
    assert.equal(r.decoded?.commonName, 'system:node:myhost');
    assert.deepEqual(r.decoded?.dnsNames, ['myhost']);
    assert.deepEqual(r.decoded?.ipAddresses, ['10.0.0.5']);
    assert.equal(r.decoded?.keyAlgorithm, 'ECDSA P-256');
    assert.equal(r.decoded?.signatureValid, true);
  });

  void test('an RSA 2048 serving CSR with an FQDN and expected hostname passes', async () => {
    const made = await serving({ key: 'rsa-2048', dns: ['myhost', 'myhost.lan.example'] });
    const r = reviewCsr(csrInfo(made.pem), { expectedHostnames: ['MyHost'], allowedIpRanges: ['10.0.0.0/8'] });
    assert.equal(r.verdict, 'pass', r.findings.map((f) => `${f.verdict}: ${f.message}`).join('\n'));
    assert.equal(r.decoded?.keyAlgorithm, 'RSA 2048');
    finding(r, 'pass', /hostname this workspace expects/);
    finding(r, 'pass', /inside the expected ranges/);
  });

  void test("Krustlet's CN-uses-raw-hostname quirk warns with an explanation", async () => {
    const made = await makeCsr(krustletServingSpec('MyHost', '172.17.0.1'));
    const r = reviewCsr(csrInfo(made.pem, { name: 'MyHost-tls', username: 'system:node:myhost' }));
    assert.equal(r.verdict, 'warn');
    const m = finding(r, 'warn', /differ only in letter case/);
    assert.match(m, /Krustlet's known quirk/);
    assert.match(m, /lowercased node name/);
    // the DNS SAN with the raw hostname is still the node's own name
    finding(r, 'pass', /DNS names 'MyHost' belong to node 'myhost'/);
  });

  void test('wrong O fails', async () => {
    const r = reviewCsr(csrInfo((await serving({ o: ['system:nodes', 'system:masters'] })).pem));
    assert.equal(r.verdict, 'fail');
    finding(r, 'fail', /Subject O is 'system:nodes', 'system:masters', expected exactly 'system:nodes'/);
  });

  void test('missing O fails', async () => {
    const r = reviewCsr(csrInfo((await serving({ o: [] })).pem));
    finding(r, 'fail', /Subject has no O/);
  });

  void test('URI SAN fails', async () => {
    const r = reviewCsr(csrInfo((await serving({ uris: ['spiffe://cluster/ns/default/sa/x'] })).pem));
    assert.equal(r.verdict, 'fail');
    finding(r, 'fail', /URI SANs \(spiffe:\/\/cluster\/ns\/default\/sa\/x\)/);
  });

  void test('e-mail SAN fails', async () => {
    const r = reviewCsr(csrInfo((await serving({ emails: ['admin@example.com'] })).pem));
    assert.equal(r.verdict, 'fail');
    finding(r, 'fail', /E-mail SANs \(admin@example.com\)/);
  });

  void test('client auth usage on a serving CSR fails', async () => {
    const r = reviewCsr(csrInfo((await serving()).pem, { usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'] }));
    assert.equal(r.verdict, 'fail');
    finding(r, 'fail', /Usage 'client auth' on a serving certificate/);
  });

  void test('a serving CSR without server auth fails', async () => {
    const r = reviewCsr(csrInfo((await serving()).pem, { usages: ['digital signature', 'key encipherment'] }));
    finding(r, 'fail', /lack 'server auth'/);
  });

  void test('username mismatch fails', async () => {
    const r = reviewCsr(csrInfo((await serving()).pem, { username: 'system:node:otherhost' }));
    assert.equal(r.verdict, 'fail');
    finding(r, 'fail', /names another node than the requester 'system:node:otherhost'/);
  });

  void test('a requester that is not a node fails', async () => {
    const r = reviewCsr(csrInfo((await serving()).pem, { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers'] }));
    finding(r, 'fail', /Requested by 'system:bootstrap:abcdef', not by a node/);
  });

  void test('missing system:nodes group fails', async () => {
    const r = reviewCsr(csrInfo((await serving()).pem, { groups: ['system:authenticated'] }));
    assert.equal(r.verdict, 'fail');
    finding(r, 'fail', /not in group system:nodes/);
  });

  void test('a foreign DNS name fails', async () => {
    const r = reviewCsr(csrInfo((await serving({ dns: ['myhost', 'kubernetes.default.svc'] })).pem));
    assert.equal(r.verdict, 'fail');
    finding(r, 'fail', /DNS name 'kubernetes.default.svc' is not tied to node 'myhost'/);
  });

  void test('a DNS name that merely starts with the node name fails', async () => {
    const r = reviewCsr(csrInfo((await serving({ dns: ['myhost-evil.example'] })).pem));
    finding(r, 'fail', /'myhost-evil.example' is not tied/);
  });

  for (const [ip, kind] of [['127.0.0.1', 'loopback'], ['::1', 'loopback'], ['0.0.0.0', 'unspecified'], ['224.0.0.1', 'multicast']] as const) {
    void test(`a ${kind} IP (${ip}) fails`, async () => {
      const r = reviewCsr(csrInfo((await serving({ ips: [ip] })).pem));
      assert.equal(r.verdict, 'fail');
      finding(r, 'fail', new RegExp(`IP SAN ${ip.replace(/\./g, '\\.')} is a ${kind} address`));
    });
  }

  void test('a loopback IP only warns when the API server is on this machine too', async () => {
    const pem = (await serving({ ips: ['127.0.0.1'] })).pem;
    for (const apiServer of ['https://127.0.0.1:6443', 'https://localhost:6443', 'https://[::1]:6443']) {
      const r = reviewCsr(csrInfo(pem), { apiServer });
      assert.equal(r.verdict, 'warn', apiServer);
      finding(r, 'warn', /IP SAN 127\.0\.0\.1 is a loopback address: acceptable only because this cluster's API server/);
    }
    const remote = reviewCsr(csrInfo(pem), { apiServer: 'https://10.0.0.1:6443' });
    assert.equal(remote.verdict, 'fail');
    finding(remote, 'fail', /IP SAN 127\.0\.0\.1 is a loopback address: no node can be reached/);
  });

  void test('an IP outside the allowed ranges warns', async () => {
    const r = reviewCsr(csrInfo((await serving({ ips: ['192.168.1.20'] })).pem), { allowedIpRanges: ['10.0.0.0/8', '172.17.0.0/16'] });
    assert.equal(r.verdict, 'warn');
    finding(r, 'warn', /192.168.1.20 is outside the expected ranges \(10.0.0.0\/8, 172.17.0.0\/16\)/);
  });

  void test('an unexpected hostname warns', async () => {
    const r = reviewCsr(csrInfo((await serving()).pem), { expectedHostnames: ['laptop', 'buildbox'] });
    assert.equal(r.verdict, 'warn');
    finding(r, 'warn', /'myhost' is not among the hostnames this workspace expects \(laptop, buildbox\)/);
  });

  void test('a lifetime above the maximum fails; within passes', async () => {
    const pem = (await serving()).pem;
    finding(reviewCsr(csrInfo(pem, { expirationSeconds: 2 * 365 * 86400 })), 'fail', /lifetime 730d exceeds the maximum of 365d/);
    const ok = reviewCsr(csrInfo(pem, { expirationSeconds: 86400 }), { maxDurationSeconds: 7 * 86400 });
    assert.equal(ok.verdict, 'pass');
    finding(ok, 'pass', /24h is within the maximum of 7d/);
  });

  void test('a short RSA key fails', async () => {
    const r = reviewCsr(csrInfo((await serving({ key: 'rsa-1024' })).pem));
    finding(r, 'fail', /RSA 1024: RSA keys shorter than 2048 bits/);
  });

  void test('an undecodable request fails', () => {
    for (const pem of ['', 'hello', fixture('junk.csr.pem'), '-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----']) {
      const r = reviewCsr(csrInfo(pem));
      assert.equal(r.verdict, 'fail');
      assert.equal(r.decoded, undefined);
      finding(r, 'fail', /could not be decoded|no PEM|is empty/);
    }
  });

  void test('a tampered request (signature does not verify) fails', () => {
    const r = reviewCsr(csrInfo(fixture('tampered.csr.pem'), { username: 'system:node:nyhost' }));
    assert.equal(r.decoded?.signatureValid, false);
    finding(r, 'fail', /signature .* does not verify/);
  });
});

void describe('kube-apiserver-client-kubelet review', () => {
  const client = { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', name: 'myhost', usages: [...CLIENT_USAGES] };

  void test("Krustlet's first client CSR (bootstrap token) passes", async () => {
    const made = await makeCsr(krustletClientSpec('myhost'));
    const r = reviewCsr(csrInfo(made.pem, { ...client, username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'] }));
    assert.equal(r.verdict, 'pass', r.findings.map((f) => `${f.verdict}: ${f.message}`).join('\n'));
    finding(r, 'pass', /bootstrap token 'abcdef'/);
  });

  void test('a rotation CSR by the node itself passes; for another node fails', async () => {
    const made = await makeCsr(krustletClientSpec('myhost'));
    assert.equal(reviewCsr(csrInfo(made.pem, { ...client, username: 'system:node:myhost' })).verdict, 'pass');
    finding(reviewCsr(csrInfo(made.pem, { ...client, username: 'system:node:other' })), 'fail', /for another node's identity/);
  });

  void test('SANs or server auth on a client CSR fail', async () => {
    const made = await makeCsr({ ...krustletClientSpec('myhost'), dns: ['myhost'] });
    const r = reviewCsr(csrInfo(made.pem, { ...client, username: 'system:node:myhost', usages: ['client auth', 'server auth'] }));
    finding(r, 'fail', /carries no SANs, but this request asks for DNS:myhost/);
    finding(r, 'fail', /Usages 'server auth' are not allowed on a kubelet client/);
  });
});

void test('another signer warns "review by hand"', async () => {
  const made = await makeCsr({ cn: 'alice', o: ['devs'] });
  const r = reviewCsr(csrInfo(made.pem, { signerName: 'example.com/custom', username: 'alice', groups: [], usages: ['client auth'] }));
  assert.equal(r.verdict, 'warn');
  finding(r, 'warn', /not a kubelet certificate; review it by hand/);
});

void describe('decode', () => {
  void test('an openssl-made Krustlet serving request (fixture) decodes', () => {
    const res = decodeCsrPem(fixture('krustlet-serving-MyHost.csr.pem'));
    assert.ok(res.ok, res.ok ? '' : res.error);
    assert.deepEqual(res.decoded, {
      commonName: 'system:node:MyHost',
      organizations: ['system:nodes'],
      dnsNames: ['MyHost'],
      ipAddresses: ['172.17.0.1'],
      emailAddresses: [],
      uris: [],
      keyAlgorithm: 'ECDSA P-256',
      keyBits: 256,
      signatureAlgorithm: 'ECDSA with SHA-256',
      signatureValid: true,
    });
  });

  void test('spec.request (base64 of the PEM) decodes the same', () => {
    const pem = fixture('rsa-bad-sans.csr.pem');
    const res = decodeCsrPem(Buffer.from(pem).toString('base64'));
    assert.ok(res.ok);
    assert.equal(res.decoded.keyAlgorithm, 'RSA 2048');
    assert.equal(res.decoded.signatureValid, true);
    assert.deepEqual(res.decoded.organizations, ['system:nodes', 'system:masters']);
    assert.deepEqual(res.decoded.dnsNames, ['kubernetes.default.svc']);
    assert.deepEqual(res.decoded.emailAddresses, ['root@example.com']);
    assert.deepEqual(res.decoded.uris, ['spiffe://cluster/ns/kube-system']);
  });

  void test('junk never throws', () => {
    for (const junk of ['', 'x'.repeat(100_000), fixture('junk.csr.pem'), '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----', new Uint8Array([0x30, 0x82, 0xff])]) {
      const res = decodeCsrPem(junk);
      assert.equal(res.ok, false);
    }
  });
});

void describe('summary and format', () => {
  void test('summarizeRequest lists what is asked and why', async () => {
    const made = await makeCsr(krustletServingSpec('MyHost', '172.17.0.1'));
    const csr = csrInfo(made.pem, { name: 'MyHost-tls', username: 'system:node:myhost', createdAt: new Date(Date.now() - 200_000) });
    const s = summarizeRequest(csr, reviewCsr(csr));
    const text = s.lines.join('\n');
    assert.match(text, /Subject: +CN=system:node:MyHost, O=system:nodes/);
    assert.match(text, /SANs: +DNS:MyHost, IP:172.17.0.1/);
    assert.match(text, /Key: +ECDSA P-256/);
    assert.match(text, /Requestor: +system:node:myhost \(groups: system:nodes, system:authenticated\)/);
    assert.match(text, /Signer: +kubernetes.io\/kubelet-serving \(kubelet-serving\)/);
    assert.match(text, /Duration: +signer's default/);
    assert.match(text, /Verdict: +WARN\n {2}WARN .*letter case/);
    assert.match(s.markdown, /\*\*Review: WARN\*\*/);
    assert.match(s.markdown, /system:node:MyHost/);
  });

  void test('markdown escapes attacker-controlled text', async () => {
    const made = await makeCsr({ cn: 'system:node:<img src=x>[click](http://evil)', o: ['system:nodes'] });
    const csr = csrInfo(made.pem);
    const md = summarizeRequest(csr, reviewCsr(csr)).markdown;
    assert.doesNotMatch(md, /<img/);
    assert.doesNotMatch(md, /\[click\]\(http/);
  });

  void test('short signer names, ages and lifetimes', () => {
    assert.equal(shortSignerName('kubernetes.io/kubelet-serving'), 'kubelet-serving');
    assert.equal(shortSignerName('kubernetes.io/kube-apiserver-client-kubelet'), 'kubelet-client');
    assert.equal(shortSignerName('kubernetes.io/kube-apiserver-client'), 'apiserver-client');
    assert.equal(shortSignerName('example.com/x'), 'example.com/x');
    const now = new Date('2026-01-10T00:00:00Z');
    const ago = (s: number) => formatAge(new Date(now.getTime() - s * 1000), now);
    assert.equal(ago(45), '45s');
    assert.equal(ago(200), '3m20s');
    assert.equal(ago(42 * 60), '42m');
    assert.equal(ago(5 * 3600 + 600), '5h10m');
    assert.equal(ago(20 * 3600), '20h');
    assert.equal(ago(3 * 86400 + 4 * 3600), '3d4h');
    assert.equal(ago(120 * 86400), '120d');
    assert.equal(ago(-5), '0s');
    assert.equal(formatLifetime(3600), '1h');
    assert.equal(formatLifetime(86400), '24h');
    assert.equal(formatLifetime(30 * 86400), '30d');
  });
});

void test('escapeMarkdown: a URL is not autolinked, so the escape after it ("…:6443)") does not show as a stray backslash', () => {
  const md = escapeMarkdown('acceptable only because this cluster\'s API server (https://127.0.0.1:6443) runs on this machine too.');
  assert.ok(!md.includes('https://'), md);
  assert.ok(md.includes('https:\\/\\/127\\.0\\.0\\.1:6443\\)'), md);
});
