/** The Nodes view's facts: validity and subject CN read from DER (equal to node:crypto's full parse), expiry texts, CSRs by node. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { certificateValidity, requestCommonName } from '../../src/core/der';
import { bootstrapTokenIdOf, certificateDetails, csrsByNode, expiryText, servingCsrOf } from '../../src/core/nodes';
import { CLIENT_USAGES, csrInfo, krustletClientSpec, krustletServingSpec, makeCsr } from '../support/csrFactory';

function selfSigned(days: number): string {
  return execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=system:node:n1/O=system:nodes', '-addext', 'subjectAltName=DNS:n1,IP:10.0.0.1', '-days', String(days)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

void test('certificateValidity from DER equals the full parse; junk gives undefined', () => {
  for (const days of [1, 30, 400, 20000]) {
    const pem = selfSigned(days);
    const v = certificateValidity(pem);
    const c = new X509Certificate(pem);
    assert.equal(v?.notAfter.getTime(), new Date(c.validTo).getTime(), `${days} days`);
    assert.equal(v?.notBefore.getTime(), new Date(c.validFrom).getTime());
  }
  assert.equal(certificateValidity('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), undefined);
  assert.equal(certificateValidity('not a pem'), undefined);
});

void test('certificateDetails: issuer, subject, SANs, self-signed named as such', () => {
  const d = certificateDetails(selfSigned(30), { kind: 'tls', endpoint: '127.0.0.1:10250' });
  assert.ok(d);
  assert.equal(d.subject, 'CN=system:node:n1, O=system:nodes');
  assert.equal(d.issuer, d.subject);
  assert.deepEqual(d.sans, ['DNS:n1', 'IP:10.0.0.1']);
  assert.equal(d.selfSigned, true);
});

void test('requestCommonName reads the subject CN of a PKCS#10 request, whatever comes before it', async () => {
  assert.equal(requestCommonName((await makeCsr(krustletClientSpec('edge-7'))).pem), 'system:node:edge-7');
  assert.equal(requestCommonName((await makeCsr({ o: ['system:nodes'], cn: 'system:node:x' })).pem), 'system:node:x');
  // An O whose value holds the bytes of the CN OID is not mistaken for the CN.
  assert.equal(requestCommonName((await makeCsr({ o: ['\u0006\u0003U\u0004\u0003fake'], cn: 'system:node:real' })).pem), 'system:node:real');
  assert.equal(requestCommonName((await makeCsr({ o: ['system:nodes'] })).pem), undefined);
  assert.equal(requestCommonName('junk'), undefined);
});

void test('expiryText: "in 43 days", hours when close, expired, and the warning threshold', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => new Date(now.getTime() + s * 1000);
  assert.deepEqual(expiryText(at(43 * 86400 + 100), now, 30), { text: 'in 43 days', warn: false, expired: false });
  assert.deepEqual(expiryText(at(29 * 86400), now, 30), { text: 'in 29 days', warn: true, expired: false });
  assert.deepEqual(expiryText(at(5 * 3600), now, 30), { text: 'in 5h', warn: true, expired: false });
  assert.deepEqual(expiryText(at(-3 * 86400), now, 30), { text: 'expired 3 days ago', warn: true, expired: true });
  assert.equal(expiryText(at(10 * 86400), now, 0).warn, false, '0 days: no early warning');
});

void test('csrsByNode: serving CSRs by requester, client CSRs by subject; the newest issued serving CSR; the joining token', async () => {
  const serving = (await makeCsr(krustletServingSpec('Edge-7', '10.0.0.7'))).pem;
  const client = (await makeCsr(krustletClientSpec('edge-7'))).pem;
  const t0 = Date.now();
  const csrs = [
    csrInfo(serving, { name: 'Edge-7-tls', username: 'system:node:edge-7', state: 'issued', hasCertificate: true, certificatePem: 'OLD', createdAt: new Date(t0 - 1000) }),
    csrInfo(serving, { name: 'edge-7-renew', username: 'system:node:edge-7', state: 'issued', hasCertificate: true, certificatePem: 'NEW', createdAt: new Date(t0) }),
    csrInfo(serving, { name: 'edge-7-pending', username: 'system:node:edge-7', state: 'pending', createdAt: new Date(t0 + 1000) }),
    csrInfo(client, { name: 'edge-7', signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: [...CLIENT_USAGES], username: 'system:bootstrap:abcdef', state: 'issued', createdAt: new Date(t0 - 5000) }),
    csrInfo(client, { name: 'csr-rotate', signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: [...CLIENT_USAGES], username: 'system:node:edge-7', state: 'issued', createdAt: new Date(t0) }),
    csrInfo(serving, { name: 'other', username: 'alice' }),
  ];
  const index = csrsByNode(csrs);
  const e = index.get('edge-7');
  assert.ok(e);
  assert.deepEqual(e.serving.map((c) => c.name), ['Edge-7-tls', 'edge-7-renew', 'edge-7-pending']);
  assert.deepEqual(e.client.map((c) => c.name), ['edge-7', 'csr-rotate']);
  assert.equal(servingCsrOf(e)?.name, 'edge-7-renew');
  assert.equal(bootstrapTokenIdOf(e), 'abcdef');
  assert.equal(index.size, 1);
});
