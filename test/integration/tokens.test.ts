/** The cluster adapter's token operations and error mapping against a real kube-apiserver. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { connect, type Cluster } from '../../src/core/cluster';
import { errorLine } from '../../src/cli/errors';
import { isKrustletError } from '../../src/core/errors';
import { formatToken, generateToken, tokenSecretManifest } from '../../src/core/token';

let cp: ControlPlane;
let admin: Cluster;
let work: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-tokens-'));
  cp = await startControlPlane();
  admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
});

after(async () => {
  await cp.stop();
  rmSync(work, { recursive: true, force: true });
});

void test('connect reads the context, server and the CA file the kubeconfig names', async () => {
  assert.equal(admin.context.name, cp.contextName);
  assert.equal(admin.contextName, cp.contextName);
  assert.equal(admin.server, cp.server);
  assert.equal(admin.clusterName, cp.clusterName);
  assert.equal(admin.caData, readFileSync(cp.caPath).toString('base64'));
  const v = await admin.version();
  assert.match(v.gitVersion, /^v1\.\d+\.\d+/);
});

void test('create, list (with expiry), show secrets only when asked, delete by id and by token', async () => {
  const now = new Date();
  const a = generateToken();
  const b = generateToken();
  await admin.createTokenSecret(tokenSecretManifest(a, { ttlSeconds: 3600, description: 'first', now }));
  await admin.createTokenSecret(tokenSecretManifest(b, { ttlSeconds: 0 }));
  const list = await admin.listTokens();
  const ia = list.find((t) => t.id === a.id);
  const ib = list.find((t) => t.id === b.id);
  assert.ok(ia && ib);
  assert.equal(ia.secretName, `bootstrap-token-${a.id}`);
  assert.equal(ia.description, 'first');
  assert.equal(ia.expired, false);
  assert.equal(ia.expiration?.getTime(), Math.floor((now.getTime() + 3600_000) / 1000) * 1000, 'now + TTL, in whole seconds');
  assert.deepEqual(ia.usages, ['authentication', 'signing']);
  assert.deepEqual(ia.extraGroups, ['system:bootstrappers:kubeadm:default-node-token']);
  assert.equal(ia.secret, undefined);
  assert.equal(ib.expiration, undefined, 'ttl 0 = never expires');
  assert.ok(ia.createdAt);
  const withSecrets = await admin.listTokens({ includeSecrets: true });
  assert.equal(withSecrets.find((t) => t.id === a.id)?.secret, a.secret);

  assert.deepEqual(await admin.deleteToken(a.id), { id: a.id, secretName: `bootstrap-token-${a.id}` });
  assert.deepEqual(await admin.deleteToken(formatToken(b)), { id: b.id, secretName: `bootstrap-token-${b.id}` });
  const after = (await admin.listTokens()).map((t) => t.id);
  assert.ok(!after.includes(a.id) && !after.includes(b.id));
  await assert.rejects(admin.deleteToken(a.id), (e: unknown) => isKrustletError(e, 'not-found') && e.fix?.kind === 'list' && errorLine(e).includes('token list'));
  await assert.rejects(admin.deleteToken('nope'), (e: unknown) => isKrustletError(e, 'invalid-token'));
});

void test('only bootstrap-token Secrets are listed', async () => {
  const other = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bootstrap-token-zzzzzz', namespace: 'kube-system' }, type: 'Opaque', stringData: { 'token-id': 'zzzzzz' } };
  await admin.transport.request('POST', '/api/v1/namespaces/kube-system/secrets', { body: other });
  assert.ok(!(await admin.listTokens()).some((t) => t.id === 'zzzzzz'));
});

void test('an id that is taken gives KrustletError conflict', async () => {
  const t = generateToken();
  await admin.createTokenSecret(tokenSecretManifest(t, { ttlSeconds: 60 }));
  await assert.rejects(admin.createTokenSecret(tokenSecretManifest({ id: t.id, secret: generateToken().secret }, { ttlSeconds: 60 })), (e: unknown) => isKrustletError(e, 'conflict'));
});

void test('a token authenticates as system:bootstrap:<id> until its Secret is deleted', async () => {
  const t = generateToken();
  await admin.createTokenSecret(tokenSecretManifest(t, { ttlSeconds: 600 }));
  const asToken = await admin.asToken(t);
  const v = await asToken.version();
  assert.ok(v.gitVersion);
  // SelfSubjectAccessReview as the token: authenticated (no RBAC for CSRs on a fresh cluster).
  const r = await asToken.accessReview({ verb: 'create', group: 'certificates.k8s.io', resource: 'certificatesigningrequests' });
  assert.equal(r.allowed, false);
  const review = await admin.tokenReview(t);
  assert.equal(review.username, `system:bootstrap:${t.id}`);
  await admin.deleteToken(t.id);
  // The API server's token authenticator reads Secrets through an informer: deletion reaches it shortly after.
  const deadline = Date.now() + 30_000;
  let still = true;
  while (still && Date.now() < deadline) {
    still = (await admin.tokenReview(t)).authenticated;
    if (still) await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(still, false, 'a deleted token stops authenticating');
});

void test('403 names the missing permission; 401 says the credentials were rejected', async () => {
  const t = generateToken();
  await admin.createTokenSecret(tokenSecretManifest(t, { ttlSeconds: 600 }));
  const asToken = await admin.asToken(t);
  await assert.rejects(asToken.listTokens(), (e: unknown) => {
    assert.ok(isKrustletError(e, 'forbidden'), String(e));
    assert.match(e.toLine(), new RegExp(`'system:bootstrap:${t.id}' may not 'list' on secrets in namespace kube-system`));
    assert.ok(!e.toLine().includes(t.secret));
    return true;
  });
  await assert.rejects(asToken.createClusterRoleBinding({ name: 'x', roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:bootstrappers' }] }), (e: unknown) =>
    isKrustletError(e, 'forbidden') && /'create' on clusterrolebindings\.rbac\.authorization\.k8s\.io/.test(e.message),
  );
  const ghost = await admin.asToken(generateToken());
  await assert.rejects(ghost.listTokens(), (e: unknown) => isKrustletError(e, 'unauthorized') && /401/.test(e.message) && !!e.hint);
});

void test('exec credential plugins work (client-node runs them): the plugin token is used', async () => {
  const t = generateToken();
  await admin.createTokenSecret(tokenSecretManifest(t, { ttlSeconds: 600 }));
  const plugin = join(work, 'exec-plugin.js');
  writeFileSync(
    plugin,
    `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: process.env.KB_TOKEN } }));\n`,
  );
  const doc = yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as { users: { user: Record<string, unknown> }[] };
  doc.users[0].user = { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: [plugin], env: [{ name: 'KB_TOKEN', value: formatToken(t) }] } };
  const k = join(work, 'exec.kubeconfig');
  writeFileSync(k, yaml.dump(doc));
  const c = await connect({ kubeconfigPath: k });
  // Authenticated as the token (403, not 401): the plugin ran and its credential was sent.
  await assert.rejects(c.listTokens(), (e: unknown) => isKrustletError(e, 'forbidden') && e.message.includes(`system:bootstrap:${t.id}`));
});

void test('refused and silent servers fail fast with unreachable / timeout', async () => {
  const doc = yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
  const sockets: Socket[] = [];
  const silent: Server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  try {
    doc.clusters[0].cluster.server = `https://127.0.0.1:${port}`;
    const k = join(work, 'silent.kubeconfig');
    writeFileSync(k, yaml.dump(doc));
    const c = await connect({ kubeconfigPath: k, timeoutMs: 1000 });
    await assert.rejects(c.listTokens(), (e: unknown) => isKrustletError(e, 'timeout') && /did not answer within 1 s/.test(e.message));
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
  // Now nothing listens on that port.
  const k2 = join(work, 'refused.kubeconfig');
  writeFileSync(k2, yaml.dump(doc));
  const c2 = await connect({ kubeconfigPath: k2 });
  await assert.rejects(c2.listTokens(), (e: unknown) => isKrustletError(e, 'unreachable') && /connection refused/.test(e.message));
});
