import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterInfoKubeconfig, clusterInfoTarget, detachedJws, judgeDiscovery, verifyDetachedJws, SIGNER_CONTROLLERS_FLAG } from '../../src/core/clusterInfo';

const content = clusterInfoKubeconfig('https://127.0.0.1:6443', Buffer.from('CA').toString('base64'));
const id = 'abcdef';
const secret = '0123456789abcdef';

void test("cluster-info's kubeconfig is kubeadm's (one unnamed cluster: server and CA) and reads back", () => {
  assert.match(content, /^apiVersion: v1\nclusters:\n- cluster:\n {4}certificate-authority-data: Q0E=\n {4}server: https:\/\/127\.0\.0\.1:6443\n {2}name: ""\ncontexts: null\n/);
  assert.deepEqual(clusterInfoTarget(content), { server: 'https://127.0.0.1:6443', caData: 'Q0E=' });
  assert.equal(clusterInfoTarget(': not yaml ['), undefined);
});

void test('a detached HS256 JWS verifies with its token only, over its content only', () => {
  const jws = detachedJws(content, id, secret);
  const [h, empty, sig] = jws.split('.');
  assert.equal(empty, '', 'the payload is detached');
  assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'HS256', kid: id });
  assert.ok(sig.length > 0);
  assert.equal(verifyDetachedJws(jws, content, id, secret), true);
  assert.equal(verifyDetachedJws(jws, content, id, 'fedcba9876543210'), false, 'another secret');
  assert.equal(verifyDetachedJws(jws, `${content} `, id, secret), false, 'changed content');
  assert.equal(verifyDetachedJws(jws, content, 'zzzzzz', secret), false, 'another kid');
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: id })).toString('base64url')}..${sig}`;
  assert.equal(verifyDetachedJws(none, content, id, secret), false, 'alg none');
  assert.equal(verifyDetachedJws(`${h}.${Buffer.from(content).toString('base64url')}.${sig}`, content, id, secret), false, 'not detached');
  assert.equal(verifyDetachedJws('garbage', content, id, secret), false);
});

void test('discovery says why it fails: no ConfigMap, no kubeconfig, no signing usage, signer off, not yet signed, forged', () => {
  const token = { id, usages: ['authentication', 'signing'], secret };
  assert.equal(judgeDiscovery({ data: undefined }, token).state, 'no-configmap');
  assert.equal(judgeDiscovery({ error: 'forbidden' }, token).state, 'unknown');
  assert.equal(judgeDiscovery({ data: {} }, token).state, 'no-kubeconfig');
  assert.equal(judgeDiscovery({ data: { kubeconfig: content } }, { ...token, usages: ['authentication'] }).state, 'no-signing-usage');
  const off = judgeDiscovery({ data: { kubeconfig: content } }, token, [id, 'other1']);
  assert.equal(off.state, 'unsigned');
  assert.ok(off.fix?.includes(SIGNER_CONTROLLERS_FLAG) && SIGNER_CONTROLLERS_FLAG === '--controllers=*,bootstrapsigner,tokencleaner');
  assert.equal(judgeDiscovery({ data: { kubeconfig: content, 'jws-kubeconfig-other1': 'x..y' } }, token, [id, 'other1']).state, 'not-signed-yet');
  const signed = { kubeconfig: content, [`jws-kubeconfig-${id}`]: detachedJws(content, id, secret) };
  assert.equal(judgeDiscovery({ data: signed }, token).state, 'valid');
  assert.equal(judgeDiscovery({ data: signed }, { ...token, secret: undefined }).state, 'unknown');
  const forged = { kubeconfig: content.replace('6443', '6444'), [`jws-kubeconfig-${id}`]: signed[`jws-kubeconfig-${id}`] };
  assert.equal(judgeDiscovery({ data: forged }, token).state, 'invalid');
  for (const r of [judgeDiscovery({ data: forged }, token), off]) assert.ok(!JSON.stringify(r).includes(secret), 'never the secret');
});
