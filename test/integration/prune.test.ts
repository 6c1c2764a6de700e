/**
 * Cleanup against a real control plane whose kube-controller-manager runs without tokencleaner (its
 * default), so expired tokens stay: `token prune` and `csr prune` list what goes and delete exactly
 * that; a pending CSR goes only when asked; an object changed since it was listed is kept.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { csrManifest, krustletServingSpec, makeCsr, SERVING_USAGES } from '../support/csrFactory';
import { until } from '../support/poll';
import { runCli, type CliRun } from '../support/process';
import { connect, type Cluster } from '../../src/core/cluster';
import { prunableCsrsOf, pruneCsrs } from '../../src/core/prune';
import { generateToken, tokenSecretManifest } from '../../src/core/token';

let cp: ControlPlane;
let admin: Cluster;
let work: string;

function cli(args: string[]): Promise<CliRun> {
  return runCli([...args, '--kubeconfig', cp.kubeconfigPath], { home: join(work, 'home') });
}

async function tokenIds(): Promise<string[]> {
  return (await admin.listTokens()).map((t) => t.id).sort();
}
async function csrNames(): Promise<string[]> {
  return (await admin.listCsrs()).items.map((c) => c.name).sort();
}

async function servingCsr(name: string): Promise<void> {
  const made = await makeCsr(krustletServingSpec(name, '10.0.0.7'));
  await admin.transport.request('POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', { body: csrManifest(name, made, 'kubernetes.io/kubelet-serving', SERVING_USAGES) });
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-prune-'));
  mkdirSync(join(work, 'home'));
  cp = await startControlPlane({ controllers: '*' });
  admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
});

after(async () => {
  await cp.stop();
  rmSync(work, { recursive: true, force: true });
});

void test('token prune lists the expired tokens, --dry-run deletes nothing, then it deletes exactly those', async () => {
  const hourAgo = new Date(Date.now() - 3600_000);
  const expired = [generateToken(), generateToken()];
  for (const t of expired) await admin.createTokenSecret(tokenSecretManifest(t, { ttlSeconds: 60, now: hourAgo, description: 'old' }));
  const live = generateToken();
  await admin.createTokenSecret(tokenSecretManifest(live, { ttlSeconds: 3600 }));
  const before = await tokenIds();

  const dry = await cli(['token', 'prune', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^Would delete 2 expired bootstrap tokens:\nTOKEN\s+EXPIRED\s+DESCRIPTION\n/);
  for (const t of expired) assert.ok(dry.stdout.includes(t.id));
  assert.ok(!dry.stdout.includes(live.id) && !dry.stdout.includes(expired[0].secret));
  assert.match(dry.stdout, /Dry run: nothing deleted\.\n$/);
  assert.deepEqual(await tokenIds(), before);

  const r = await cli(['token', 'prune', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { listed: { id: string }[]; deleted: string[]; kept: unknown[] };
  assert.deepEqual(out.listed.map((t) => t.id).sort(), expired.map((t) => t.id).sort());
  assert.deepEqual(out.deleted.sort(), out.listed.map((t) => t.id).sort(), 'deleted exactly what it listed');
  assert.deepEqual(out.kept, []);
  assert.deepEqual(await tokenIds(), before.filter((id) => !expired.some((t) => t.id === id)));
  assert.equal((await cli(['token', 'prune'])).stdout, 'No expired bootstrap tokens.\n');
});

void test('csr prune: decided CSRs go (pending ones only when asked), --older-than keeps recent ones, exactly the listed ones are deleted', async () => {
  await servingCsr('p-pending');
  await servingCsr('p-approved');
  await servingCsr('p-denied');
  await admin.approveCsr('p-approved');
  await admin.denyCsr('p-denied');
  await until('the signer issues p-approved', async () => (await admin.getCsr('p-approved')).state === 'issued');
  const before = await csrNames();

  const recent = await cli(['csr', 'prune']);
  assert.equal(recent.code, 0, recent.stderr);
  assert.equal(recent.stdout, 'No decided or failed CSRs older than 1h. Pass --older-than 0 for all of them.\n');

  const dry = await cli(['csr', 'prune', '--older-than', '0', '--dry-run']);
  assert.match(dry.stdout, /^Would delete 2 CSRs:\nNAME\s+STATE\s+SINCE\s+SIGNER\s+REQUESTOR\n/);
  assert.ok(dry.stdout.includes('p-approved   issued') && dry.stdout.includes('p-denied     denied'), dry.stdout);
  assert.ok(!dry.stdout.includes('p-pending'));
  assert.deepEqual(await csrNames(), before);

  const r = await cli(['csr', 'prune', '--older-than', '0', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { listed: { name: string; state: string }[]; deleted: string[] };
  assert.deepEqual(out.listed.map((c) => c.name), ['p-approved', 'p-denied']);
  assert.deepEqual(out.deleted, ['p-approved', 'p-denied']);
  assert.deepEqual(await csrNames(), before.filter((n) => n !== 'p-approved' && n !== 'p-denied'));

  const pending = await cli(['csr', 'prune', '--older-than', '0', '--include-pending']);
  assert.match(pending.stdout, /Deleting 1 CSR:\n[\s\S]*p-pending\s+pending[\s\S]*Deleted 1 CSR\.\n$/);
  assert.ok(!(await csrNames()).includes('p-pending'));
});

void test('a CSR that changed after it was listed is kept, and the prune says why', async () => {
  await servingCsr('p-stale');
  await servingCsr('p-same');
  await admin.denyCsr('p-stale');
  await admin.denyCsr('p-same');
  const plan = prunableCsrsOf((await admin.listCsrs()).items).filter((c) => c.name.startsWith('p-'));
  // Oldest first, but both may carry the same creationTimestamp (one-second resolution): compare as a set.
  assert.deepEqual(plan.map((c) => c.name).sort(), ['p-same', 'p-stale']);
  // Someone changes p-stale after the listing (a label): it is no longer the object the user confirmed.
  await admin.transport.request('PATCH', '/apis/certificates.k8s.io/v1/certificatesigningrequests/p-stale', {
    body: { metadata: { labels: { touched: 'yes' } } },
    contentType: 'application/merge-patch+json',
  });
  const r = await pruneCsrs(admin, plan);
  assert.deepEqual(r, { deleted: ['p-same'], kept: [{ name: 'p-stale', reason: 'changed since it was listed' }] });
  assert.ok((await csrNames()).includes('p-stale'));
});
