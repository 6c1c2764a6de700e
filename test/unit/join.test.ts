import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKrustletError } from '../../src/core/errors';
import { caCertHashes, caCertHashesFromData, joinCommand, joinEndpoint } from '../../src/core/join';
import { KNOWN_USAGES, parseList, tokenIdOfUser, tokenSecretManifest, generateToken } from '../../src/core/token';

/** kubeadm's documented way: `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum`. */
function opensslHash(certFile: string): string {
  const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout', '-in', certFile]);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  const sum = execFileSync('sha256sum', [], { input: der, encoding: 'utf8' });
  return `sha256:${sum.split(' ')[0]}`;
}

function makeCa(dir: string, name: string, key: string[]): string {
  const out = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', ...key, '-nodes', '-keyout', join(dir, `${name}.key`), '-out', out, '-days', '1', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return out;
}

void test('the CA hash is the SHA-256 of the DER SubjectPublicKeyInfo, as openssl computes it; a bundle gives one hash per CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-join-'));
  try {
    const ec = makeCa(dir, 'ec', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']);
    const rsa = makeCa(dir, 'rsa', ['rsa:2048']);
    assert.deepEqual(caCertHashes(readFileSync(ec, 'utf8')), [opensslHash(ec)]);
    const bundle = readFileSync(ec, 'utf8') + readFileSync(rsa, 'utf8') + readFileSync(ec, 'utf8');
    assert.deepEqual(caCertHashes(bundle), [opensslHash(ec), opensslHash(rsa)], 'in order, a repeated CA once');
    assert.deepEqual(caCertHashesFromData(Buffer.from(bundle).toString('base64')), [opensslHash(ec), opensslHash(rsa)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('no CA, or no certificate in it, is a ca-missing error (no join command without a pinned CA)', () => {
  assert.throws(() => caCertHashesFromData(undefined), (e: unknown) => isKrustletError(e, 'ca-missing') && /names no cluster CA/.test(e.message));
  assert.throws(() => caCertHashes('not a certificate'), (e: unknown) => isKrustletError(e, 'ca-missing'));
  assert.throws(() => caCertHashes('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), (e: unknown) => isKrustletError(e, 'ca-missing') && /cannot be read/.test(e.message));
});

void test('the endpoint is host:port (default 443), IPv6 in brackets; the command has one hash flag per CA', () => {
  assert.equal(joinEndpoint('https://127.0.0.1:6443'), '127.0.0.1:6443');
  assert.equal(joinEndpoint('https://k8s.example.com/'), 'k8s.example.com:443');
  assert.equal(joinEndpoint('https://[::1]:6443/prefix'), '[::1]:6443');
  assert.throws(() => joinEndpoint('not a url'), (e: unknown) => isKrustletError(e, 'no-server'));
  const token = { id: 'abcdef', secret: '0123456789abcdef' };
  assert.equal(
    joinCommand({ server: 'https://10.0.0.1:6443', token, caCertHashes: ['sha256:aa', 'sha256:bb'] }),
    'kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:aa --discovery-token-ca-cert-hash sha256:bb',
  );
  assert.throws(() => joinCommand({ server: 'https://10.0.0.1:6443', token, caCertHashes: [] }), (e: unknown) => isKrustletError(e, 'ca-missing'));
});

void test("list flags read like kubeadm's (trimmed, deduplicated); an empty entry or no usage is an error", () => {
  assert.deepEqual(parseList('signing, authentication,signing', 'usages'), ['signing', 'authentication']);
  assert.deepEqual(KNOWN_USAGES, ['signing', 'authentication']);
  for (const bad of ['', 'signing,', ',x']) assert.throws(() => parseList(bad, 'groups'), (e: unknown) => isKrustletError(e, 'invalid-argument') && e.fix?.kind === 'fix-input' && /empty entry/.test(e.message));
  assert.throws(() => tokenSecretManifest(generateToken(), { ttlSeconds: 60, usages: [] }), (e: unknown) => isKrustletError(e, 'invalid-argument') && /at least one usage/.test(e.message));
  // kubeadm's BootstrapGroupPattern, at its edges.
  const ok = `system:bootstrappers:${'a'.repeat(255)}b`;
  assert.doesNotThrow(() => tokenSecretManifest(generateToken(), { ttlSeconds: 60, extraGroups: [ok] }));
  assert.throws(() => tokenSecretManifest(generateToken(), { ttlSeconds: 60, extraGroups: [`system:bootstrappers:${'a'.repeat(256)}b`] }), (e: unknown) => isKrustletError(e, 'invalid-argument'));
  assert.throws(() => tokenSecretManifest(generateToken(), { ttlSeconds: 60, extraGroups: ['system:bootstrappers:x-'] }), (e: unknown) => isKrustletError(e, 'invalid-argument'));
});

void test('a CSR made with a token names it: spec.username system:bootstrap:<id>', () => {
  assert.equal(tokenIdOfUser('system:bootstrap:abc123'), 'abc123');
  assert.equal(tokenIdOfUser('system:node:abc123'), undefined);
  assert.equal(tokenIdOfUser('system:bootstrap:ABC123'), undefined);
  assert.equal(tokenIdOfUser(undefined), undefined);
});
