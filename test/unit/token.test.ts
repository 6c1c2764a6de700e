import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrustletError } from '../../src/core/errors';
import {
  TOKEN_ALPHABET,
  formatToken,
  generateToken,
  maskToken,
  parseToken,
  secretNameFor,
  tokenExpired,
  tokenIdOf,
  tokenSecretManifest,
  pinnedNodeName,
  PINNED_NODE_ANNOTATION,
} from '../../src/core/token';
import { secretToTokenInfo } from '../../src/core/cluster';

void test('generateToken gives [a-z0-9]{6}.[a-z0-9]{16}', () => {
  for (let i = 0; i < 1000; i++) assert.match(formatToken(generateToken()), /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
});

void test('token characters are uniform over [a-z0-9] (chi-square, no modulo bias)', () => {
  const counts = new Map<string, number>([...TOKEN_ALPHABET].map((c) => [c, 0]));
  const n = 20000;
  for (let i = 0; i < n; i++) for (const c of formatToken(generateToken()).replace('.', '')) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, 36, 'only the 36 alphabet characters occur');
  const total = n * 22;
  const expected = total / 36;
  let chi2 = 0;
  for (const v of counts.values()) chi2 += (v - expected) ** 2 / expected;
  // 35 degrees of freedom: P(chi2 > 100) < 1e-7. A `byte % 36` generator scores in the thousands here.
  assert.ok(chi2 < 100, `chi-square ${chi2.toFixed(1)} is too high for a uniform distribution`);
});

void test('tokens are unique across many draws', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) seen.add(formatToken(generateToken()));
  assert.equal(seen.size, 5000);
});

void test('parseToken accepts a token and rejects others without echoing them', () => {
  assert.deepEqual(parseToken(' ke3uxh.vhxb3ttj1nquno5t\n'), { id: 'ke3uxh', secret: 'vhxb3ttj1nquno5t' });
  for (const bad of ['', 'ke3uxh', 'KE3UXH.vhxb3ttj1nquno5t', 'ke3uxh.vhxb3ttj1nquno5', 'ke3uxh:vhxb3ttj1nquno5t', 'ke3uxh.vhxb3ttj1nquno5tx']) {
    assert.throws(
      () => parseToken(bad),
      (e: unknown) => isKrustletError(e, 'invalid-token') && (bad.length < 8 || !e.toLine().includes(bad.slice(7))) && !/\n/.test(e.toLine()),
    );
  }
});

void test('tokenIdOf takes an id or a whole token', () => {
  assert.equal(tokenIdOf('abc123'), 'abc123');
  assert.equal(tokenIdOf('abc123.0123456789abcdef'), 'abc123');
  assert.throws(() => tokenIdOf('abc12'), (e: unknown) => isKrustletError(e, 'invalid-token'));
  assert.throws(() => tokenIdOf('bootstrap-token-abc123'), (e: unknown) => isKrustletError(e, 'invalid-token'));
});

void test('maskToken and secretNameFor', () => {
  assert.equal(maskToken({ id: 'abcdef', secret: '0123456789abcdef' }), 'abcdef.****************');
  assert.equal(secretNameFor('abcdef'), 'bootstrap-token-abcdef');
});

void test('the Secret matches the spec and the seed example', () => {
  const m = tokenSecretManifest({ id: 'ke3uxh', secret: 'vhxb3ttj1nquno5t' }, { ttlSeconds: 3600, now: new Date('2020-06-04T19:07:24.512Z') });
  assert.deepEqual(m, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bootstrap-token-ke3uxh', namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    stringData: {
      'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
      expiration: '2020-06-04T20:07:24Z',
      'token-id': 'ke3uxh',
      'token-secret': 'vhxb3ttj1nquno5t',
      'usage-bootstrap-authentication': 'true',
      'usage-bootstrap-signing': 'true',
    },
  });
});

void test('the Secret: description, usages, extra groups, never-expiring', () => {
  const m = tokenSecretManifest(
    { id: 'abcdef', secret: '0123456789abcdef' },
    { ttlSeconds: 0, description: 'laptop node', usages: ['authentication'], extraGroups: ['system:bootstrappers:krustlet', 'system:bootstrappers:kubeadm:default-node-token'] },
  );
  assert.equal(m.stringData.expiration, undefined);
  assert.equal(m.stringData.description, 'laptop node');
  assert.equal(m.stringData['usage-bootstrap-authentication'], 'true');
  assert.equal(m.stringData['usage-bootstrap-signing'], undefined);
  assert.equal(m.stringData['auth-extra-groups'], 'system:bootstrappers:krustlet,system:bootstrappers:kubeadm:default-node-token');
});

void test('extra groups outside system:bootstrappers: and unknown usages are rejected', () => {
  const t = generateToken();
  for (const g of ['system:masters', 'system:bootstrappers:', 'system:bootstrappers:Caps', 'bootstrappers:x']) {
    assert.throws(() => tokenSecretManifest(t, { ttlSeconds: 60, extraGroups: [g] }), (e: unknown) => isKrustletError(e, 'invalid-argument') && e.toLine().includes('system:bootstrappers:'));
  }
  assert.throws(() => tokenSecretManifest(t, { ttlSeconds: 60, usages: ['root'] }), (e: unknown) => isKrustletError(e, 'invalid-argument'));
  assert.throws(() => tokenSecretManifest(t, { ttlSeconds: -1 }), (e: unknown) => isKrustletError(e, 'invalid-ttl'));
  assert.throws(() => tokenSecretManifest(t, { ttlSeconds: 60, description: 'two\nlines' }), (e: unknown) => isKrustletError(e, 'invalid-argument'));
});

void test('a token pinned to a node: the name is lowercased like Krustlet does, validated, and recorded as an annotation', () => {
  assert.equal(PINNED_NODE_ANNOTATION, 'krustlet.dev/node-name');
  assert.equal(pinnedNodeName('MyHost'), 'myhost');
  assert.equal(pinnedNodeName(' edge-7.example.com '), 'edge-7.example.com');
  for (const bad of ['', 'my_host', '-edge', 'edge-', 'a..b', 'x'.repeat(254), 'edge 7']) {
    assert.throws(() => pinnedNodeName(bad), (e: unknown) => isKrustletError(e, 'invalid-argument') && /not a node name/.test(e.message) && /--node-name/.test(e.hint ?? ''), bad);
  }
  const t = { id: 'abcdef', secret: '0123456789abcdef' };
  assert.deepEqual(tokenSecretManifest(t, { ttlSeconds: 60, nodeName: 'Edge-7' }).metadata, {
    name: 'bootstrap-token-abcdef',
    namespace: 'kube-system',
    annotations: { 'krustlet.dev/node-name': 'edge-7' },
  });
  assert.equal(tokenSecretManifest(t, { ttlSeconds: 60 }).metadata.annotations, undefined);
  assert.throws(() => tokenSecretManifest(t, { ttlSeconds: 60, nodeName: 'no_such' }), (e: unknown) => isKrustletError(e, 'invalid-argument'));
});

void test('secretToTokenInfo reads a listed Secret back (secret only when asked)', () => {
  const b = (s: string) => Buffer.from(s).toString('base64');
  const secret = {
    metadata: { name: 'bootstrap-token-abcdef', creationTimestamp: '2026-01-01T00:00:00Z' },
    type: 'bootstrap.kubernetes.io/token',
    data: {
      'token-id': b('abcdef'),
      'token-secret': b('0123456789abcdef'),
      expiration: b('2026-01-01T01:00:00Z'),
      'usage-bootstrap-signing': b('true'),
      'usage-bootstrap-authentication': b('true'),
      'auth-extra-groups': b('system:bootstrappers:kubeadm:default-node-token'),
      description: b('x'),
    },
  };
  const info = secretToTokenInfo(secret, { now: new Date('2026-01-01T00:30:00Z') });
  assert.ok(info);
  assert.equal(info.id, 'abcdef');
  assert.equal(info.expired, false);
  assert.equal(info.secret, undefined);
  assert.deepEqual(info.usages, ['authentication', 'signing']);
  assert.deepEqual(info.extraGroups, ['system:bootstrappers:kubeadm:default-node-token']);
  assert.equal(secretToTokenInfo(secret, { now: new Date('2026-01-01T02:00:00Z') })?.expired, true);
  assert.equal(secretToTokenInfo(secret, { includeSecrets: true })?.secret, '0123456789abcdef');
  assert.equal(secretToTokenInfo({ ...secret, metadata: { name: 'other' } }), undefined);
  assert.equal(info.pinnedNode, undefined);
  const pinned = secretToTokenInfo({ ...secret, metadata: { ...secret.metadata, annotations: { 'krustlet.dev/node-name': 'edge-7' } } });
  assert.equal(pinned?.pinnedNode, 'edge-7');
});

void test('tokenExpired: the one expiry rule — expired from the expiration instant on, never without one', () => {
  const expiration = new Date('2026-01-01T01:00:00Z');
  assert.equal(tokenExpired({ expiration }, new Date('2026-01-01T00:59:59.999Z')), false);
  assert.equal(tokenExpired({ expiration }, expiration), true);
  assert.equal(tokenExpired({ expiration }, new Date('2026-01-02T00:00:00Z')), true);
  assert.equal(tokenExpired({}, new Date('2100-01-01T00:00:00Z')), false);
  // a listed token judged later: the listing's snapshot does not decide, the rule does
  const b = (x: string) => Buffer.from(x).toString('base64');
  const info = secretToTokenInfo(
    { metadata: { name: 'bootstrap-token-abcdef' }, data: { 'token-id': b('abcdef'), expiration: b('2026-01-01T01:00:00Z') } },
    { now: new Date('2026-01-01T00:00:00Z') },
  );
  assert.ok(info && !info.expired);
  assert.equal(tokenExpired(info, new Date('2026-01-01T01:00:00Z')), true);
  // an unreadable expiration is no expiration (as before)
  const bad = secretToTokenInfo({ metadata: { name: 'bootstrap-token-abcdef' }, data: { 'token-id': b('abcdef'), expiration: b('soon') } });
  assert.equal(bad?.expiration, undefined);
  assert.equal(bad?.expired, false);
});
