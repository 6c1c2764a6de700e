/**
 * kubeadm-level token management through the CLI (dist/cli.js) against a real control plane:
 * `token create` with kubeadm's defaults and flags, no file written, the secret only when asked;
 * `--print-join-command` with the CA hash openssl gives; `token list` with the pinned node and the
 * CSRs made with each token; bad input creates nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { csrManifest, krustletClientSpec, makeCsr, CLIENT_USAGES } from '../support/csrFactory';
import { runCli, type CliRun } from '../support/process';
import { connect, type Cluster } from '../../src/core/cluster';
import { applyBootstrapRbac } from '../../src/core/preflight';

let cp: ControlPlane;
let admin: Cluster;
let work: string;
let home: string;

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { home });
}

async function tokenIds(): Promise<string[]> {
  return (await admin.listTokens()).map((t) => t.id).sort();
}

/** `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum` of the cluster CA: kubeadm's documented way. */
function opensslCaHash(): string {
  const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout', '-in', cp.caPath]);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  return `sha256:${execFileSync('sha256sum', [], { input: der, encoding: 'utf8' }).split(' ')[0]}`;
}

/** One `error: …` line (after any `warning:`), exit 1, nothing on stdout, no Secret created. */
async function expectCleanFailure(args: string[], mentions: RegExp[]): Promise<void> {
  const before = await tokenIds();
  const r = await cli(args);
  assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('warning: '));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^error: \S/);
  for (const m of mentions) assert.match(lines[0], m);
  assert.deepEqual(await tokenIds(), before, 'no Secret left behind');
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-kubeadm-'));
  home = join(work, 'home');
  mkdirSync(home);
  cp = await startControlPlane();
  admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
});

after(async () => {
  await cp.stop();
  rmSync(work, { recursive: true, force: true });
});

void test("token create: kubeadm's defaults (24h, both usages, default-node-token), no file written, the secret not shown", async () => {
  const before = Date.now();
  const r = await cli(['token', 'create', '--kubeconfig', cp.kubeconfigPath]);
  assert.equal(r.code, 0, r.stderr);
  const id = /^Created bootstrap token ([a-z0-9]{6}) \(Secret kube-system\/bootstrap-token-\1, expires \S+ \(in 1d\)\) on https:\/\/127\.0\.0\.1:\d+\.\n/.exec(r.stdout)?.[1];
  assert.ok(id, r.stdout);
  assert.match(r.stdout, /The token is not shown/);
  const t = (await admin.listTokens({ includeSecrets: true })).find((x) => x.id === id);
  assert.ok(t?.secret && t.expiration);
  assert.ok(!r.stdout.includes(t.secret) && !r.stderr.includes(t.secret), 'the secret is not printed');
  const ttl = t.expiration.getTime() - before;
  assert.ok(ttl > 24 * 3600_000 - 60_000 && ttl <= 24 * 3600_000 + 1000, `24h, got ${ttl} ms`);
  assert.deepEqual(t.usages, ['authentication', 'signing']);
  assert.deepEqual(t.extraGroups, ['system:bootstrappers:kubeadm:default-node-token']);
  assert.deepEqual(readdirSync(home), [], 'no file written (not even ~/.krustlet)');
});

void test('token create --print-join-command: stdout is the kubeadm join line; its hash is the CA hash openssl gives; the token authenticates', async () => {
  const r = await cli(['token', 'create', '--kubeconfig', cp.kubeconfigPath, '--print-join-command', '--description', 'kubelet edge-1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const m = /^kubeadm join (\S+) --token ([a-z0-9]{6}\.[a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(m[1], cp.server.replace('https://', ''));
  assert.equal(m[3], opensslCaHash());
  const review = await admin.tokenReview(m[2]);
  assert.equal(review.username, `system:bootstrap:${m[2].slice(0, 6)}`);
  assert.equal((await admin.listTokens()).find((t) => t.id === m[2].slice(0, 6))?.description, 'kubelet edge-1');

  const j = await cli(['token', 'create', '--kubeconfig', cp.kubeconfigPath, '--print-join-command', '--json']);
  const json = JSON.parse(j.stdout) as { tokenId: string; token: string; joinCommand: string; caCertHashes: string[] };
  assert.deepEqual(json.caCertHashes, [opensslCaHash()]);
  assert.equal(json.joinCommand, `kubeadm join ${m[1]} --token ${json.token} --discovery-token-ca-cert-hash ${opensslCaHash()}`);
  const plain = JSON.parse((await cli(['token', 'create', '--kubeconfig', cp.kubeconfigPath, '--json'])).stdout) as Record<string, unknown>;
  assert.equal(plain.token, undefined, '--json alone does not print the secret');
  assert.equal(plain.joinCommand, undefined);
});

void test('token create with every flag: ttl, description, usages, groups, node name; list --json shows them', async () => {
  const r = await cli([
    'token', 'create', '--kubeconfig', cp.kubeconfigPath, '--ttl', '2h', '--description', 'workers', '--usages', 'authentication',
    '--groups', 'system:bootstrappers:workers, system:bootstrappers:kubeadm:default-node-token', '--node-name', 'Edge-7', '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as { tokenId: string; usages: string[]; extraGroups: string[]; nodeName: string; expiration: string };
  assert.deepEqual(c.usages, ['authentication']);
  assert.deepEqual(c.extraGroups, ['system:bootstrappers:workers', 'system:bootstrappers:kubeadm:default-node-token']);
  assert.equal(c.nodeName, 'edge-7');
  const l = JSON.parse((await cli(['token', 'list', '--kubeconfig', cp.kubeconfigPath, '--json'])).stdout) as { id: string; usages: string[]; extraGroups: string[]; pinnedNode: string | null; description: string; expiration: string; csrs: unknown[] }[];
  const t = l.find((x) => x.id === c.tokenId);
  assert.ok(t);
  assert.deepEqual([t.usages, t.extraGroups, t.pinnedNode, t.description, t.expiration], [['authentication'], c.extraGroups, 'edge-7', 'workers', c.expiration]);
  assert.deepEqual(t.csrs, []);
});

void test('bad input creates nothing: groups kubeadm rejects, unknown or empty usages, a bad TTL, a join command without a CA', async () => {
  const k = ['--kubeconfig', cp.kubeconfigPath];
  await expectCleanFailure(['token', 'create', ...k, '--groups', 'system:masters'], [/Extra group 'system:masters' is not allowed/, /system:bootstrappers:/]);
  await expectCleanFailure(['token', 'create', ...k, '--groups', 'system:bootstrappers:Caps'], [/not allowed/]);
  await expectCleanFailure(['token', 'create', ...k, '--usages', 'signing,root'], [/Unknown token usage 'root'/, /signing, authentication/]);
  await expectCleanFailure(['token', 'create', ...k, '--usages', ''], [/empty entry/]);
  await expectCleanFailure(['token', 'create', ...k, '--ttl', '5x'], [/TTL '5x' is not a duration/]);
  await expectCleanFailure(['token', 'create', ...k, '--node-name', 'my_host'], [/not a node name/]);
  // A context that trusts the server without a CA: no hash to pin, so no join command (and no Secret).
  const doc = yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
  delete doc.clusters[0].cluster['certificate-authority'];
  doc.clusters[0].cluster['insecure-skip-tls-verify'] = true;
  const noCa = join(work, 'no-ca.kubeconfig');
  writeFileSync(noCa, yaml.dump(doc));
  await expectCleanFailure(['token', 'create', '--kubeconfig', noCa, '--print-join-command'], [/names no cluster CA/, /--context/]);
});

void test('token list: kubeadm columns plus NODE and USED (the CSRs made with the token, by spec.username)', async () => {
  await applyBootstrapRbac(admin);
  const r = await cli(['token', 'create', '--kubeconfig', cp.kubeconfigPath, '--node-name', 'kubelet-9', '--print-token', '--json']);
  const { tokenId, token } = JSON.parse(r.stdout) as { tokenId: string; token: string };
  const asToken = await admin.asToken(token);
  const made = await makeCsr(krustletClientSpec('kubelet-9'));
  const body = csrManifest(`csr-${tokenId}`, made, 'kubernetes.io/kube-apiserver-client-kubelet', CLIENT_USAGES);
  await asToken.transport.request('POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', { body });

  const list = await cli(['token', 'list', '--kubeconfig', cp.kubeconfigPath]);
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.split('\n');
  assert.match(lines[0], /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS\s+NODE\s+USED$/);
  const row = lines.find((l) => l.startsWith(`${tokenId}.****************`));
  assert.ok(row, list.stdout);
  assert.match(row, /\s+kubelet-9\s+1 CSR$/);
  assert.ok(!list.stdout.includes(token.slice(7)));
  const unused = lines.filter((l) => /^[a-z0-9]{6}\.\*{16}/.test(l) && !l.startsWith(tokenId));
  assert.ok(unused.length > 0 && unused.every((l) => /\s+no$/.test(l)), list.stdout);
  const json = JSON.parse((await cli(['token', 'list', '--kubeconfig', cp.kubeconfigPath, '--json'])).stdout) as { id: string; csrs: { name: string; state: string }[] }[];
  assert.deepEqual(json.find((t) => t.id === tokenId)?.csrs.map((c) => c.name), [`csr-${tokenId}`]);
});
