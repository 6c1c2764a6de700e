/** Preflight on a fresh cluster (bindings missing), after `rbac apply` (clean), as a limited identity, and token auth. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { fixedAnswers, runBootstrap } from '../../src/core/bootstrap';
import { connect, type Cluster } from '../../src/core/cluster';
import { applyBootstrapRbac, runPreflight, verifyTokenAuth, BOOTSTRAP_BINDINGS } from '../../src/core/preflight';
import { generateToken } from '../../src/core/token';
import type { PreflightFinding } from '../../src/core/types';

const CLI = resolve(__dirname, '../../../dist/cli.js');
const BINDING_IDS = BOOTSTRAP_BINDINGS.map((b) => `binding:${b.name}`);
const PERMISSION_IDS = ['create-secrets', 'list-csrs', 'watch-csrs', 'approve-csrs', 'approve-serving-signer'];

let cp: ControlPlane;
let admin: Cluster;
let work: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: work }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

const failing = (fs: PreflightFinding[]) => fs.filter((f) => !f.ok).map((f) => f.id).sort();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-preflight-'));
  cp = await startControlPlane();
  admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
});

after(async () => {
  await cp.stop();
  rmSync(work, { recursive: true, force: true });
});

void test('a fresh cluster: the admin may do everything, but the three bootstrap bindings are missing', async () => {
  const findings = await runPreflight(admin);
  assert.deepEqual(findings.map((f) => f.id), [...PERMISSION_IDS, ...BINDING_IDS]);
  assert.deepEqual(failing(findings), [...BINDING_IDS].sort());
  for (const f of findings.filter((x) => !x.ok)) {
    assert.equal(f.action?.kind, 'apply-rbac', f.id);
    assert.ok(f.fix?.includes('kubectl create clusterrolebinding'), f.fix);
    assert.doesNotMatch(f.fix ?? '', /krustlet-bootstrap/, 'the core names no CLI command');
  }
  const r = await cli(['preflight', '--kubeconfig', cp.kubeconfigPath, '--json']);
  assert.equal(r.code, 1, 'failing checks exit non-zero');
  const j = JSON.parse(r.stdout) as { ok: boolean; findings: PreflightFinding[] };
  assert.equal(j.ok, false);
  assert.deepEqual(failing(j.findings), [...BINDING_IDS].sort());
  const text = await cli(['preflight', '--kubeconfig', cp.kubeconfigPath]);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /FAIL {2}No binding of ClusterRole system:node-bootstrapper to group system:bootstrappers:kubeadm:default-node-token/);
  assert.match(text.stdout, /fix: Run `krustlet-bootstrap rbac apply` to create kubeadm's bootstrap bindings\. By hand: kubectl create clusterrolebinding kubeadm:kubelet-bootstrap/);
  assert.match(text.stdout, /3 check\(s\) failed\./);
});

void test('verifyTokenAuth: a real token authenticates; an unknown one gets the --enable-bootstrap-token-auth hint', async () => {
  const r = await runBootstrap({ cluster: admin }, { ttlSeconds: 600, outputPath: join(work, 'a', 'bootstrap.conf') }, fixedAnswers());
  const ok = await verifyTokenAuth(admin, r.token);
  assert.equal(ok.authenticated, true);
  assert.equal(ok.canCreateCsrs, false);
  assert.equal(ok.username, `system:bootstrap:${r.token.id}`);
  assert.deepEqual(failing(ok.findings), ['token-can-create-csrs']);
  assert.equal(ok.findings.find((f) => f.id === 'token-can-create-csrs')?.action?.kind, 'apply-rbac');

  const bad = await verifyTokenAuth(admin, generateToken(), { attempts: 2 });
  assert.equal(bad.authenticated, false);
  const f = bad.findings[0];
  assert.equal(f.ok, false);
  assert.match(f.message, /401.*bootstrap-token authentication is probably disabled/);
  assert.match(f.fix ?? '', /--enable-bootstrap-token-auth/);
});

void test('as a limited identity (a bootstrap token), preflight says what is not allowed and how to fix it', async () => {
  const file = join(work, 'limited', 'bootstrap.conf');
  await runBootstrap({ cluster: admin }, { ttlSeconds: 600, outputPath: file }, fixedAnswers());
  const limited = await connect({ kubeconfigPath: file });
  const findings = await runPreflight(limited);
  const secrets = findings.find((f) => f.id === 'create-secrets');
  assert.equal(secrets?.ok, false);
  assert.match(secrets?.message ?? '', /You may not create Secrets in kube-system/);
  assert.match(secrets?.fix ?? '', /verb 'create' on secrets in namespace kube-system/);
  assert.equal(findings.find((f) => f.id === 'approve-serving-signer')?.ok, false);
  for (const id of BINDING_IDS) {
    const b = findings.find((f) => f.id === id);
    assert.equal(b?.ok, false);
    assert.match(b?.message ?? '', /Could not check .*Permission denied.*'list' on clusterrolebindings/);
  }
});

void test('rbac apply creates the bindings (idempotently); preflight is then clean, token checks included', async () => {
  const first = await cli(['rbac', 'apply', '--kubeconfig', cp.kubeconfigPath, '--json']);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout), BOOTSTRAP_BINDINGS.map((b) => ({ name: b.name, result: 'created' })));
  assert.deepEqual(await applyBootstrapRbac(admin), BOOTSTRAP_BINDINGS.map((b) => ({ name: b.name, result: 'exists' })));
  for (const b of BOOTSTRAP_BINDINGS) {
    const got = await admin.getClusterRoleBinding(b.name);
    assert.deepEqual(got, { name: b.name, roleRef: { kind: 'ClusterRole', name: b.role }, subjects: [{ kind: 'Group', name: b.group }] });
  }
  assert.deepEqual(failing(await runPreflight(admin)), []);

  const file = join(work, 'clean', 'bootstrap.conf');
  const boot = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file]);
  assert.equal(boot.code, 0, boot.stderr);
  assert.equal(boot.stderr, '', 'no warnings once RBAC is in place');
  const r = await cli(['preflight', '--kubeconfig', cp.kubeconfigPath, '--bootstrap-file', file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /ok {4}The API server accepts bootstrap token \w{6}\./);
  assert.match(r.stdout, /ok {4}The token may create certificate signing requests\./);
  assert.match(r.stdout, /All checks passed\.\n$/);
});
