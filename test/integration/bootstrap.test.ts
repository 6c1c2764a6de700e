/**
 * core/bootstrap against a real control plane: the written bootstrap.conf authenticates as
 * system:bootstrap:<id>; with kubeadm's RBAC a kubelet client CSR made with it is approved and
 * signed by kube-controller-manager; CSR approve/deny via /approval; rollback leaves no orphan Secret.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import * as yaml from 'js-yaml';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { CLIENT_USAGES, SERVING_USAGES, krustletClientSpec, krustletServingSpec, makeCsr } from '../support/csrFactory';
import { fixedAnswers, runBootstrap } from '../../src/core/bootstrap';
import { connect, type Cluster } from '../../src/core/cluster';
import { isKrustletError } from '../../src/core/errors';
import { tokenFromBootstrapKubeconfig } from '../../src/core/kubeconfig';
import type { Logger } from '../../src/core/log';
import { applyBootstrapRbac } from '../../src/core/preflight';
import { formatToken, generateToken, tokenSecretManifest } from '../../src/core/token';
import type { CsrInfo, CsrState } from '../../src/core/types';

let cp: ControlPlane;
let admin: Cluster;
let work: string;

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => lines.push(`${level}: ${m}`);
  return { logger: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') }, lines };
}

/** Polls until the CSR reaches one of `states` (bounded so a broken cluster fails instead of hanging). */
async function waitForCsr(c: Cluster, name: string, states: CsrState[]): Promise<CsrInfo> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const csr = await c.getCsr(name);
    if (states.includes(csr.state) || Date.now() > deadline) return csr;
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-boot-'));
  cp = await startControlPlane();
  admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
});

after(async () => {
  await cp.stop();
  rmSync(work, { recursive: true, force: true });
});

let bootstrapFile = '';
let bootstrapId = '';

void test('runBootstrap() writes bootstrap.conf whose token authenticates as system:bootstrap:<id>', async () => {
  const { logger, lines } = capture();
  const steps: string[] = [];
  bootstrapFile = join(work, 'node', 'bootstrap.conf');
  const r = await runBootstrap({ cluster: admin, logger, onStep: (s) => steps.push(s) }, { ttlSeconds: 3600, description: 'integration', outputPath: bootstrapFile }, fixedAnswers());
  bootstrapId = r.token.id;
  const token = formatToken(r.token);
  assert.equal(r.path, bootstrapFile);
  assert.equal(r.secretName, `bootstrap-token-${r.token.id}`);
  assert.ok(r.expiration && Math.abs(r.expiration.getTime() - Date.now() - 3600_000) < 60_000);
  assert.ok(steps.length >= 3);
  for (const l of [...steps, ...lines]) assert.ok(!l.includes(r.token.secret), `no secret in: ${l}`);

  const text = readFileSync(bootstrapFile, 'utf8');
  assert.equal(tokenFromBootstrapKubeconfig(text), token);
  const doc = yaml.load(text) as { clusters: { name: string; cluster: Record<string, string> }[]; contexts: { name: string; context: Record<string, string> }[]; 'current-context': string };
  assert.equal(doc.clusters[0].name, cp.clusterName);
  assert.equal(doc.clusters[0].cluster.server, cp.server);
  assert.equal(doc.clusters[0].cluster['certificate-authority-data'], readFileSync(cp.caPath).toString('base64'), 'the CA file is embedded');
  assert.equal(doc['current-context'], 'tls-bootstrap-token-user@kubernetes');
  assert.deepEqual(doc.contexts[0].context, { cluster: cp.clusterName, namespace: 'kube-system', user: 'tls-bootstrap-token-user' });

  const review = await admin.tokenReview(token);
  assert.equal(review.authenticated, true);
  assert.equal(review.username, `system:bootstrap:${r.token.id}`);
  assert.ok(review.groups.includes('system:bootstrappers'));
  assert.ok(review.groups.includes('system:bootstrappers:kubeadm:default-node-token'));
  assert.equal(r.tokenCheck?.authenticated, true);
  assert.equal(r.tokenCheck?.username, `system:bootstrap:${r.token.id}`);
  assert.equal(r.tokenCheck?.canCreateCsrs, false, 'a fresh cluster has no bootstrap RBAC');
  // kubectl agrees the file is usable (and not yet allowed to create CSRs).
  const can = spawnSync('kubectl', ['--kubeconfig', bootstrapFile, 'auth', 'can-i', 'create', 'certificatesigningrequests'], { encoding: 'utf8' });
  assert.equal(can.stdout.trim(), 'no', can.stderr);
});

void test('with RBAC applied, a kubelet client CSR made with bootstrap.conf is approved and signed by kube-controller-manager', async () => {
  assert.ok(bootstrapFile, 'needs the previous test');
  await applyBootstrapRbac(admin);
  const node = await connect({ kubeconfigPath: bootstrapFile });
  const made = await makeCsr(krustletClientSpec('kb-node-1'));
  const created = await node.createCsr({ name: 'kb-node-1', requestPem: made.pem, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: CLIENT_USAGES });
  assert.equal(created.username, `system:bootstrap:${bootstrapId}`);
  assert.equal(created.signerName, 'kubernetes.io/kube-apiserver-client-kubelet');

  const done = await waitForCsr(node, 'kb-node-1', ['issued', 'denied', 'failed']);
  assert.equal(done.state, 'issued', JSON.stringify(done.conditions));
  assert.ok(done.conditions.some((c) => c.type === 'Approved' && c.reason === 'AutoApproved'), 'approved by the cluster itself');
  const pem = await admin.getCsrCertificate('kb-node-1');
  assert.ok(pem);
  const cert = new x509.X509Certificate(pem);
  assert.match(cert.subject, /CN=system:node:kb-node-1/);
  assert.match(cert.subject, /O=system:nodes/);
  const ca = new x509.X509Certificate(readFileSync(cp.caPath, 'utf8'));
  assert.equal(cert.issuer, ca.subject, 'signed by the cluster CA');
});

void test('approveCsr / denyCsr go through /approval; deleteCsr; listCsrs', async () => {
  const a = await makeCsr(krustletServingSpec('kb-host', '127.0.0.1'));
  const b = await makeCsr(krustletServingSpec('kb-evil', '127.0.0.1'));
  await admin.createCsr({ name: 'kb-host-tls', requestPem: a.pem, signerName: 'kubernetes.io/kubelet-serving', usages: SERVING_USAGES });
  await admin.createCsr({ name: 'kb-evil-tls', requestPem: b.pem, signerName: 'kubernetes.io/kubelet-serving', usages: SERVING_USAGES });

  const listed = await admin.listCsrs();
  assert.ok(listed.resourceVersion);
  const pending = listed.items.find((c) => c.name === 'kb-host-tls');
  assert.equal(pending?.state, 'pending');
  assert.equal(pending?.requestPem, a.pem);

  const approved = await admin.approveCsr('kb-host-tls', 'TestApprove', 'approved by the integration test');
  assert.ok(approved.state === 'approved' || approved.state === 'issued');
  assert.ok(approved.conditions.some((c) => c.type === 'Approved' && c.reason === 'TestApprove'));
  const issued = await waitForCsr(admin, 'kb-host-tls', ['issued', 'failed']);
  assert.equal(issued.state, 'issued', 'kube-controller-manager signs an approved kubelet-serving CSR');
  assert.equal((await admin.approveCsr('kb-host-tls')).state, 'issued', 'approving again is a no-op');

  const denied = await admin.denyCsr('kb-evil-tls');
  assert.equal(denied.state, 'denied');
  assert.ok(denied.conditions.some((c) => c.type === 'Denied' && c.reason === 'KrustletBootstrapDeny'));
  await assert.rejects(admin.approveCsr('kb-evil-tls'), (e: unknown) => isKrustletError(e, 'conflict') && /already denied/.test(e.message));

  await admin.deleteCsr('kb-evil-tls');
  await assert.rejects(admin.getCsr('kb-evil-tls'), (e: unknown) => isKrustletError(e, 'not-found'));
  await assert.rejects(admin.deleteCsr('kb-evil-tls'), (e: unknown) => isKrustletError(e, 'not-found'));
});

void test('if writing fails after the Secret was created, the Secret is deleted (no orphan)', async () => {
  const out = join(work, 'race', 'bootstrap.conf');
  const before = (await admin.listTokens()).map((t) => t.id);
  let createdId = '';
  await assert.rejects(
    runBootstrap({
      cluster: admin,
      onStep: (s) => {
        const m = /^Creating bootstrap token (\w{6})/.exec(s);
        if (m) {
          createdId = m[1];
          // Someone else writes the file between the check and the write.
          mkdirSync(dirname(out), { recursive: true });
          writeFileSync(out, 'intruder');
        }
      },
    }, { ttlSeconds: 600, outputPath: out }, fixedAnswers()),
    (e: unknown) => isKrustletError(e, 'output-exists'),
  );
  assert.ok(createdId);
  assert.equal(readFileSync(out, 'utf8'), 'intruder', 'not overwritten');
  const after = (await admin.listTokens()).map((t) => t.id);
  assert.deepEqual(after, before, 'the Secret was deleted again');
  assert.ok(!after.includes(createdId));
});

void test('a taken token id (409) makes bootstrap try a new one', async () => {
  const taken = generateToken();
  await admin.createTokenSecret(tokenSecretManifest(taken, { ttlSeconds: 600 }));
  const fresh = generateToken();
  const queue = [taken, fresh];
  const r = await runBootstrap({ cluster: admin, generate: () => queue.shift() ?? generateToken() }, { ttlSeconds: 600, outputPath: join(work, 'retry', 'bootstrap.conf') }, fixedAnswers());
  assert.equal(r.token.id, fresh.id);
  assert.equal(tokenFromBootstrapKubeconfig(readFileSync(r.path, 'utf8')), formatToken(fresh));
  const ids = (await admin.listTokens()).map((t) => t.id);
  assert.ok(ids.includes(taken.id) && ids.includes(fresh.id));
});

void test('insecure-skip-tls-verify is carried over, with a warning', async () => {
  const doc = yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
  delete doc.clusters[0].cluster['certificate-authority'];
  doc.clusters[0].cluster['insecure-skip-tls-verify'] = true;
  const k = join(work, 'insecure.kubeconfig');
  writeFileSync(k, yaml.dump(doc));
  const { logger, lines } = capture();
  const c = await connect({ kubeconfigPath: k, logger });
  const r = await runBootstrap({ cluster: c, logger }, { ttlSeconds: 600, outputPath: join(work, 'insecure', 'bootstrap.conf') }, fixedAnswers());
  assert.ok(lines.some((l) => l.startsWith('warn:') && /insecure-skip-tls-verify/.test(l)), lines.join('\n'));
  const out = yaml.load(readFileSync(r.path, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
  assert.deepEqual(out.clusters[0].cluster, { 'insecure-skip-tls-verify': true, server: cp.server });
  assert.equal(r.insecureSkipTlsVerify, true);
  const can = spawnSync('kubectl', ['--kubeconfig', r.path, 'auth', 'can-i', 'create', 'certificatesigningrequests'], { encoding: 'utf8' });
  assert.equal(can.stdout.trim(), 'yes', can.stderr);
  assert.ok(existsSync(r.path));
});
