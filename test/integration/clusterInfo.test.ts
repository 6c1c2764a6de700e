/**
 * kubeadm's token discovery against real control planes: one whose kube-controller-manager runs the
 * bootstrapsigner and tokencleaner (as kubeadm starts it), one without them (kube-controller-manager's
 * own default). The signature the real bootstrapsigner writes is found and verified; its absence is
 * explained; cluster-info is created as kubeadm does and anonymous joiners can read it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { until } from '../support/poll';
import { runCli, type CliRun } from '../support/process';
import { connect, type Cluster } from '../../src/core/cluster';
import { checkDiscovery, clusterInfoTarget, detachedJws } from '../../src/core/clusterInfo';
import { generateToken, tokenSecretManifest } from '../../src/core/token';

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'kb-clusterinfo-'));
  mkdirSync(join(work, 'home'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { home: join(work, 'home') });
}

/** GET without any credentials, as `kubeadm join` reads cluster-info. */
function anonymousGet(cp: ControlPlane, path: string): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = request(`${cp.server}${path}`, { ca: readFileSync(cp.caPath) }, (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (d: string) => (body += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', rej);
    req.end();
  });
}

async function createdToken(cp: ControlPlane, extra: string[] = []): Promise<{ tokenId: string; token: string }> {
  const r = await cli(['token', 'create', '--kubeconfig', cp.kubeconfigPath, '--print-token', '--json', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { tokenId: string; token: string };
}

void describe('kube-controller-manager with bootstrapsigner,tokencleaner', () => {
  let cp: ControlPlane;
  let admin: Cluster;
  before(async () => {
    cp = await startControlPlane();
    admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
  });
  after(() => cp.stop());

  void test('no cluster-info on a fresh cluster: check and preflight --join say so and offer to create it', async () => {
    const r = await cli(['cluster-info', 'check', '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /no ConfigMap kube-public\/cluster-info/);
    assert.match(r.stdout, /fix: Run `krustlet-bootstrap cluster-info create`/);
    const p = await cli(['preflight', '--join', '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(p.code, 1);
    assert.match(p.stdout, /FAIL {2}There is no ConfigMap kube-public\/cluster-info: kubeadm join --token cannot discover the cluster\.\n {8}fix: Run `krustlet-bootstrap cluster-info create`\./);
    const plain = await cli(['preflight', '--kubeconfig', cp.kubeconfigPath]);
    assert.ok(!plain.stdout.includes('cluster-info'), 'the Krustlet preflight is unchanged');
  });

  void test("cluster-info create writes kubeadm's ConfigMap (this context's server and CA) and lets anonymous joiners read it; again leaves it", async () => {
    const r = await cli(['cluster-info', 'create', '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap kube-public\/cluster-info: created \(server https:\/\/127\.0\.0\.1:\d+ and its CA\)/);
    const data = await admin.getClusterInfo();
    assert.deepEqual(clusterInfoTarget(data?.kubeconfig ?? ''), { server: cp.server, caData: readFileSync(cp.caPath).toString('base64') });
    const anon = await anonymousGet(cp, '/api/v1/namespaces/kube-public/configmaps/cluster-info');
    assert.equal(anon.status, 200, anon.body);
    const again = await cli(['cluster-info', 'create', '--kubeconfig', cp.kubeconfigPath, '--json']);
    assert.deepEqual(JSON.parse(again.stdout), { configMap: 'exists', role: 'exists', roleBinding: 'exists', server: cp.server });
  });

  void test("the real bootstrapsigner's signature is found and verifies with the token; it is byte-for-byte what detachedJws computes", async () => {
    const { tokenId, token } = await createdToken(cp);
    const data = await until('the bootstrapsigner signs cluster-info for the new token', async () => {
      const d = await admin.getClusterInfo();
      return d?.[`jws-kubeconfig-${tokenId}`] ? d : undefined;
    });
    assert.equal(data[`jws-kubeconfig-${tokenId}`], detachedJws(data.kubeconfig, tokenId, token.slice(7)));
    const r = await cli(['cluster-info', 'check', tokenId, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, `  ok    ConfigMap kube-public/cluster-info is signed for token ${tokenId} (jws-kubeconfig-${tokenId}, HS256 verified with the token).\n`);
    assert.ok(!r.stdout.includes(token.slice(7)));
    const p = await cli(['preflight', '--join', '--kubeconfig', cp.kubeconfigPath, '--json']);
    const findings = (JSON.parse(p.stdout) as { findings: { id: string; ok: boolean }[] }).findings;
    assert.deepEqual(findings.filter((f) => f.id === 'cluster-info' || f.id === `discovery:${tokenId}`).map((f) => f.ok), [true, true]);
  });

  void test("a token without the 'signing' usage is never signed, and check says so", async () => {
    const { tokenId } = await createdToken(cp, ['--usages', 'authentication']);
    const { tokens } = await checkDiscovery(admin, [tokenId]);
    assert.equal(tokens[0].state, 'no-signing-usage');
    const r = await cli(['cluster-info', 'check', tokenId, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /has no 'signing' usage/);
  });

  void test('the tokencleaner deletes an expired token Secret', async () => {
    const t = generateToken();
    await admin.createTokenSecret(tokenSecretManifest(t, { ttlSeconds: 1, now: new Date(Date.now() - 3600_000) }));
    await until('tokencleaner deletes the expired token', async () => !(await admin.listTokens()).some((x) => x.id === t.id));
  });
});

void describe('kube-controller-manager without bootstrapsigner,tokencleaner (its default)', () => {
  let cp: ControlPlane;
  let admin: Cluster;
  before(async () => {
    cp = await startControlPlane({ controllers: '*' });
    admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
  });
  after(() => cp.stop());

  void test('cluster-info stays unsigned, and check names the controller flag that fixes it', async () => {
    assert.equal((await cli(['cluster-info', 'create', '--kubeconfig', cp.kubeconfigPath])).code, 0);
    const { tokenId } = await createdToken(cp);
    const r = await cli(['cluster-info', 'check', tokenId, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`FAIL {2}ConfigMap kube-public/cluster-info carries no jws-kubeconfig-${tokenId} signature: the bootstrapsigner controller is off`));
    assert.match(r.stdout, /fix: Start kube-controller-manager with --controllers=\*,bootstrapsigner,tokencleaner/);
    const data = await admin.getClusterInfo();
    assert.deepEqual(Object.keys(data ?? {}), ['kubeconfig'], 'no signature at all');
  });
});
