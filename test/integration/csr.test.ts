/**
 * `krustlet-bootstrap csr list|review|approve|deny` (dist/cli.js, as users run it; `npm run build`)
 * against a real control plane. Node-identity CSRs are created by kubectl impersonating the node
 * (`--as system:node:<name> --as-group system:nodes`), so spec.username and spec.groups are filled in
 * by the API server exactly as for a real Krustlet.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Cluster } from '../../src/core/cluster';
import { isKrustletError } from '../../src/core/errors';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { kubectl } from '../support/kubectl';
import { until } from '../support/poll';
import { CLI, runCli, type CliRun } from '../support/process';
import { CLIENT_USAGES, SERVING_USAGES, createCsrAs, krustletClientSpec, krustletServingSpec, type CsrSpec } from '../support/csrFactory';


let cp: ControlPlane;
let admin: Cluster;
let work: string;

function cli(args: string[]): Promise<CliRun> {
  return runCli([...args, '--kubeconfig', cp.kubeconfigPath], { home: join(work, 'home') });
}

const createAs = (node: string | undefined, name: string, spec: CsrSpec, signer: string, usages: string[]) => createCsrAs(cp.kubeconfigPath, node, name, spec, signer, usages);

void describe('krustlet-bootstrap csr (dist/cli.js) against a real API server', () => {
  before(async () => {
    assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first (npm test does)`);
    work = mkdtempSync(join(tmpdir(), 'kb-csr-'));
    cp = await startControlPlane();
    admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
    // What Krustlet on a machine called "MyHost" asks for: CN with the raw hostname, requested as node "myhost".
    await createAs('myhost', 'MyHost-tls', krustletServingSpec('MyHost', '172.17.0.1'), 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    // A node asking for a serving certificate that also names the API server and has an extra O.
    await createAs('evil', 'evil-tls', { ...krustletServingSpec('evil', '10.0.0.9'), dns: ['evil', 'kubernetes.default.svc'], o: ['system:nodes', 'system:masters'] }, 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    // A good one to deny (from a registered Node with that address), and a client CSR created by the admin
    // (neither the node nor a bootstrap token: fail).
    await admin.transport.request('POST', '/api/v1/nodes', {
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'other' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.7' }] } },
    });
    await createAs('other', 'other-tls', krustletServingSpec('other', '10.0.0.7'), 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    await createAs(undefined, 'admin-client', krustletClientSpec('somenode'), 'kubernetes.io/kube-apiserver-client-kubelet', CLIENT_USAGES);
    // kube-controller-manager auto-approves kubelet client CSRs whose requester may (the admin may).
    await until('admin-client auto-approved and issued', async () => (await admin.getCsr('admin-client')).state === 'issued');
  });

  after(async () => {
    await cp?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  void it('csr list: a table with each request verdict, pending first; --json', async () => {
    const r = await cli(['csr', 'list']);
    assert.equal(r.code, 0, r.stderr);
    console.log(`csr list: ${r.ms} ms (process start to exit)`);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NAME +AGE +SIGNER +REQUESTOR +CONDITION +REVIEW$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `)) ?? '';
    assert.match(row('MyHost-tls'), /kubelet-serving +system:node:myhost +Pending +warn$/);
    assert.match(row('evil-tls'), /kubelet-serving +system:node:evil +Pending +fail$/);
    assert.match(row('other-tls'), /Pending +pass$/);
    assert.match(row('admin-client'), /kubelet-client +kubernetes-admin +Approved,Issued +fail$/);
    // pending first
    const order = lines.slice(1).map((l) => l.split(' ')[0]);
    assert.ok(order.indexOf('admin-client') > order.indexOf('MyHost-tls') && order.indexOf('admin-client') > order.indexOf('evil-tls'), order.join(' '));

    const j = await cli(['csr', 'list', '--json', '--expect-hostname', 'MyHost']);
    assert.equal(j.code, 0, j.stderr);
    const items = JSON.parse(j.stdout) as { name: string; verdict: string; reasons: string[]; groups: string[]; request: { commonName: string } | null }[];
    const mine = items.find((i) => i.name === 'MyHost-tls');
    assert.ok(mine);
    assert.equal(mine.verdict, 'warn');
    assert.ok(mine.groups.includes('system:nodes'));
    assert.equal(mine.request?.commonName, 'system:node:MyHost');
    assert.ok(mine.reasons.some((m) => /Krustlet's known quirk/.test(m)));
    // the expected hostname is not a reason (it passes)
    assert.ok(!mine.reasons.some((m) => /not among the hostnames/.test(m)));
  });

  void it('approving a known copy never approves a new request that took its name (deleted and created again)', async () => {
    await createAs('renamed', 'renamed-tls', krustletServingSpec('renamed', '10.0.0.8'), 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    const reviewed = await admin.getCsr('renamed-tls');
    await admin.transport.request('DELETE', '/apis/certificates.k8s.io/v1/certificatesigningrequests/renamed-tls');
    await createAs('renamed', 'renamed-tls', krustletServingSpec('renamed', '10.9.9.9'), 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    await assert.rejects(admin.approveCsr('renamed-tls', undefined, undefined, reviewed), (e: unknown) => isKrustletError(e, 'conflict') && /a new request since it was reviewed/.test(String((e as Error).message)));
    const now = await admin.getCsr('renamed-tls');
    assert.notEqual(now.uid, reviewed.uid);
    assert.equal(now.state, 'pending', 'the new request stays pending');
  });

  void it('listCsrs({ limit: 1 }) is a one-item probe; without a limit every CSR comes back', async () => {
    const all = await admin.listCsrs();
    assert.ok(all.items.length >= 4, all.items.map((c) => c.name).join(' '));
    const probe = await admin.listCsrs({ limit: 1 });
    assert.equal(probe.items.length, 1);
    assert.ok(all.items.some((c) => c.name === probe.items[0].name));
  });

  void it('csr review: what is asked for, and why the verdict; --json', async () => {
    const r = await cli(['csr', 'review', 'MyHost-tls', '--expect-hostname', 'laptop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Subject: +CN=system:node:MyHost, O=system:nodes/);
    assert.match(r.stdout, /SANs: +DNS:MyHost, IP:172\.17\.0\.1/);
    assert.match(r.stdout, /Key: +ECDSA P-256/);
    assert.match(r.stdout, /Requestor: +system:node:myhost \(groups: system:nodes, system:authenticated\)/);
    assert.match(r.stdout, /Verdict: +WARN/);
    assert.match(r.stdout, /differ only in letter case/);
    assert.match(r.stdout, /'MyHost' is not among the hostnames this workspace expects \(laptop\)/);

    const j = await cli(['csr', 'review', 'evil-tls', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const v = JSON.parse(j.stdout) as { verdict: string; reasons: string[]; request: { dnsNames: string[] } };
    assert.equal(v.verdict, 'fail');
    assert.deepEqual(v.request.dnsNames, ['evil', 'kubernetes.default.svc']);
    assert.ok(v.reasons.some((m) => /kubernetes\.default\.svc' is not tied to node 'evil'/.test(m)));
    assert.ok(v.reasons.some((m) => /system:masters/.test(m)));
  });

  void it('csr approve refuses a failing request (exit 1, the reasons), and approves it only with --force', async () => {
    const r = await cli(['csr', 'approve', 'evil-tls']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: Refusing to approve CSR 'evil-tls': its review fails\./);
    assert.match(r.stderr, /FAIL DNS name 'kubernetes\.default\.svc' is not tied/);
    assert.match(r.stderr, /FAIL Subject O is 'system:nodes', 'system:masters'/);
    assert.equal((await admin.getCsr('evil-tls')).state, 'pending', 'still pending');

    const f = await cli(['csr', 'approve', 'evil-tls', '--force']);
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /Approved CSR evil-tls \(kubelet-serving, review: fail \(forced despite a failing review\)\)/);
    const csr = await admin.getCsr('evil-tls');
    assert.match(csr.conditions.find((c) => c.type === 'Approved')?.message ?? '', /forced/);
    // kube-controller-manager's kubelet-serving signer refuses what the review flagged (extra O): Failed.
    const failed = await until('the signer to refuse it', async () => {
      const c = await admin.getCsr('evil-tls');
      return c.state === 'failed' ? c : undefined;
    });
    console.log(`signer's verdict on the forced request: ${failed.conditions.map((c) => `${c.type}${c.reason ? `(${c.reason}: ${c.message ?? ''})` : ''}`).join(', ')}`);
    assert.equal(failed.hasCertificate, false);
  });

  void it('csr approve on a warning request approves (warnings on stderr) and kube-controller-manager issues it', async () => {
    const r = await cli(['csr', 'approve', 'MyHost-tls', '--expect-hostname', 'MyHost']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Approved CSR MyHost-tls \(kubelet-serving, review: warn\)/);
    assert.match(r.stderr, /^warning: .*letter case/m);
    await until('issued', async () => (await admin.getCsr('MyHost-tls')).state === 'issued');
    const again = await cli(['csr', 'approve', 'MyHost-tls']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already approved/);
    const list = await cli(['csr', 'list']);
    assert.match(list.stdout.split('\n').find((l) => l.startsWith('MyHost-tls ')) ?? '', /Approved,Issued +warn$/);
  });

  void it('csr deny; a denied CSR cannot be approved; unknown names and sub-commands fail in one line', async () => {
    const d = await cli(['csr', 'deny', 'other-tls', '--message', 'not my machine']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /Denied CSR other-tls\./);
    const csr = await admin.getCsr('other-tls');
    assert.equal(csr.state, 'denied');
    assert.equal(csr.conditions.find((c) => c.type === 'Denied')?.message, 'not my machine');

    const a = await cli(['csr', 'approve', 'other-tls']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /^error: CSR 'other-tls' is already denied\./);

    for (const args of [['csr', 'review', 'no-such-csr'], ['csr', 'approve', 'no-such-csr'], ['csr', 'frobnicate'], ['csr', 'review'], ['csr', 'list', '--max-duration', 'forever']]) {
      const r = await cli(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
      assert.match(lines[0], /^error: \S/);
    }
    assert.match((await cli(['csr', 'review', 'no-such-csr'])).stderr, /does not exist/);
  });
  void it('approve/deny from a known copy: one PUT; a stale copy gets 409, is read again, and never overwrites a decision', async () => {
    const lines: string[] = [];
    const me = await connect({ kubeconfigPath: cp.kubeconfigPath, logger: { debug: (m) => lines.push(m), info: () => undefined, warn: () => undefined, error: () => undefined } });
    const requests = () => lines.filter((l) => l.includes('/certificatesigningrequests/')).map((l) => l.replace(/ \(\d+ ms\)$/, '').replace(/^(\w+) \/apis\/certificates\.k8s\.io\/v1\/certificatesigningrequests\//, '$1 '));
    const serving = (host: string, ip: string) => createAs(host, `${host}-tls`, krustletServingSpec(host, ip), 'kubernetes.io/kubelet-serving', SERVING_USAGES);
    await serving('known1', '10.0.1.1');
    await serving('known2', '10.0.1.2');
    await serving('known3', '10.0.1.3');

    // A current copy: a single PUT to /approval, no GET.
    const copy1 = await admin.getCsr('known1-tls');
    assert.equal(copy1.state, 'pending');
    lines.length = 0;
    const approved = await me.approveCsr('known1-tls', 'Test', 'from a known copy', copy1);
    assert.ok(approved.state === 'approved' || approved.state === 'issued', approved.state);
    assert.deepEqual(requests(), ['PUT known1-tls/approval → 200']);

    // A stale copy of a CSR someone else denied meanwhile: 409, read again, the denial is reported and kept.
    const stale2 = await admin.getCsr('known2-tls');
    await admin.denyCsr('known2-tls', 'SomeoneElse', 'denied by another client');
    lines.length = 0;
    await assert.rejects(me.approveCsr('known2-tls', 'Test', 'from a stale copy', stale2), (e: unknown) => isKrustletError(e, 'conflict') && /already denied/.test(e.message));
    assert.deepEqual(requests(), ['PUT known2-tls/approval → 409', 'GET known2-tls → 200']);
    const after2 = await admin.getCsr('known2-tls');
    assert.equal(after2.state, 'denied');
    assert.ok(!after2.conditions.some((c) => c.type === 'Approved'), 'the stale approve did not add an Approved condition');
    assert.equal(after2.conditions.find((c) => c.type === 'Denied')?.message, 'denied by another client');

    // Denying from the stale (pending) copy of the CSR approved above: 409, read again, reported, still approved.
    lines.length = 0;
    await assert.rejects(me.denyCsr('known1-tls', 'Test', 'from a stale copy', copy1), (e: unknown) => isKrustletError(e, 'conflict') && /already (approved|issued)/.test(e.message));
    assert.deepEqual(requests(), ['PUT known1-tls/approval → 409', 'GET known1-tls → 200']);
    const after1 = await admin.getCsr('known1-tls');
    assert.ok(!after1.conditions.some((c) => c.type === 'Denied'), 'the stale deny did not add a Denied condition');

    // A copy outdated by an unrelated change (a label), still pending: 409, read again, then approved.
    const stale3 = await admin.getCsr('known3-tls');
    await kubectl(cp.kubeconfigPath, ['label', 'csr', 'known3-tls', 'krustlet-test=stale']);
    lines.length = 0;
    const approved3 = await me.approveCsr('known3-tls', 'Test', 'after a conflict', stale3);
    assert.ok(approved3.state === 'approved' || approved3.state === 'issued', approved3.state);
    assert.deepEqual(requests(), ['PUT known3-tls/approval → 409', 'GET known3-tls → 200', 'PUT known3-tls/approval → 200']);
    assert.equal((await admin.getCsr('known3-tls')).conditions.find((c) => c.type === 'Approved')?.message, 'after a conflict');
  });
});
