// The test control plane itself: a real kube-apiserver answers, a real kube-controller-manager signs
// approved CSRs, and stop() leaves no process behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { kubectl } from '../support/kubectl';

const exec = promisify(execFile);

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void describe('test control plane (etcd + kube-apiserver + kube-controller-manager)', () => {
  let cp: ControlPlane | undefined;
  const work = mkdtempSync(join(tmpdir(), 'krustlet-cp-test-'));

  before(async () => {
    cp = await startControlPlane();
  });

  after(async () => {
    await cp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  void it('serves /readyz to the admin kubeconfig, which references the CA by file', async () => {
    assert.ok(cp);
    assert.equal((await kubectl(cp.kubeconfigPath, ['get', '--raw', '/readyz'])).trim(), 'ok');
    const kubeconfig = readFileSync(cp.kubeconfigPath, 'utf8');
    assert.match(kubeconfig, /certificate-authority: /);
    assert.match(cp.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    const version = JSON.parse(await kubectl(cp.kubeconfigPath, ['get', '--raw', '/version'])) as { gitVersion: string };
    assert.equal(version.gitVersion, 'v1.20.2');
  });

  void it('has no kubeadm bootstrap bindings but has the default node-bootstrap ClusterRoles', async () => {
    assert.ok(cp);
    const bindings = await kubectl(cp.kubeconfigPath, ['get', 'clusterrolebindings', '-o', 'name']);
    assert.doesNotMatch(bindings, /kubeadm:/);
    const roles = await kubectl(cp.kubeconfigPath, ['get', 'clusterroles', '-o', 'name']);
    assert.match(roles, /clusterrole\.rbac\.authorization\.k8s\.io\/system:node-bootstrapper\n/);
    assert.match(roles, /system:certificates\.k8s\.io:certificatesigningrequests:nodeclient\n/);
    assert.match(roles, /system:certificates\.k8s\.io:certificatesigningrequests:selfnodeclient\n/);
  });

  void it('kube-controller-manager signs an approved CSR with the cluster CA', async () => {
    assert.ok(cp);
    const key = join(work, 'client.key');
    const csrPem = join(work, 'client.csr');
    await exec('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csrPem, '-subj', '/O=krustlet-test/CN=krustlet-test-client']);
    const name = `krustlet-test-${Date.now()}`;
    const csr = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: {
        request: readFileSync(csrPem).toString('base64'),
        signerName: 'kubernetes.io/kube-apiserver-client',
        usages: ['digital signature', 'key encipherment', 'client auth'],
      },
    };
    await kubectl(cp.kubeconfigPath, ['create', '-f', '-'], JSON.stringify(csr));
    await kubectl(cp.kubeconfigPath, ['certificate', 'approve', name]);

    let certB64 = '';
    for (let i = 0; i < 600 && !certB64; i++) { // a hang guard (~60 s), not a timing assertion
      certB64 = (await kubectl(cp.kubeconfigPath, ['get', 'csr', name, '-o', 'jsonpath={.status.certificate}'])).trim();
      if (!certB64) await sleep(100);
    }
    assert.ok(certB64, 'kube-controller-manager never filled status.certificate');
    const certPath = join(work, 'client.crt');
    writeFileSync(certPath, Buffer.from(certB64, 'base64'));
    const verify = await exec('openssl', ['verify', '-CAfile', cp.caPath, certPath]);
    assert.match(verify.stdout, /: OK/);
    const subject = await exec('openssl', ['x509', '-in', certPath, '-noout', '-subject']);
    assert.match(subject.stdout, /CN\s*=\s*krustlet-test-client/);
  });

  void it('stop() ends every process and is idempotent', async () => {
    assert.ok(cp);
    const pids = Object.values(cp.pids);
    assert.equal(pids.length, 3);
    assert.ok(pids.every(processExists), 'all three processes run before stop');
    await cp.stop();
    await cp.stop();
    for (const pid of pids) assert.equal(processExists(pid), false, `pid ${pid} still exists after stop()`);
  });
});
