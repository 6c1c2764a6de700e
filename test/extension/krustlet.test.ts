// The extension against the REAL control plane (KRUSTLET_TEST_KUBECONFIG): Bootstrap through its
// options argument, the live tree of tokens and CSRs, approve / deny / revoke through the tree items'
// commands, the careful review, and a log without token secrets. No timed assertions: every wait
// polls until the condition holds, bounded only by mocha's timeout.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as yaml from 'js-yaml';
import * as vscode from 'vscode';
import type { KrustletTestApi } from '../../src/extension';
import { connect, type Cluster } from '../../src/core/cluster';
import type { CsrReview } from '../../src/core/types';
import type { BootstrapCommandResult } from '../../src/vscode/commands/bootstrap';
import type { CsrCommandResult } from '../../src/vscode/commands/csr';
import { EXTENSION_ID } from '../../src/vscode/constants';
// Types only: the nodes come from the bundled extension (dist/), so `instanceof` on out/ classes would never match.
import type { CsrNode, KrustletNode, TokenNode } from '../../src/vscode/views/nodes';
import { csrManifest, krustletServingSpec, makeCsr, SERVING_USAGES, type CsrSpec } from '../support/csrFactory';
import { kubectl as kubectlAt } from '../support/kubectl';
import { FaultProxy, TOKEN_CHECK } from '../support/faultProxy';
import { FakePrompter } from '../support/prompter';
import { TcpProxy } from '../support/tcpProxy';
import { activateForTests, useKubeconfig } from '../support/extension';
import { testEnded, until } from '../support/poll';

const SERVING = 'kubernetes.io/kubelet-serving';

const kubeconfig = process.env.KRUSTLET_TEST_KUBECONFIG ?? '';


const kubectl = (args: string[], stdin?: string) => kubectlAt(kubeconfig, args, stdin);

/** Creates a CSR as another client: kubectl, impersonating the node (as the real agent's identity would be). */
async function createCsr(name: string, spec: CsrSpec, as?: { user: string; groups: string[] }): Promise<void> {
  const made = await makeCsr(spec);
  const manifest = csrManifest(name, made, SERVING, SERVING_USAGES);
  const imp = as ? ['--as', as.user, ...as.groups.flatMap((g) => ['--as-group', g])] : [];
  await kubectl([...imp, 'create', '-f', '-'], JSON.stringify(manifest));
}

/**
 * A kubeconfig for a user the cluster authenticates but authorizes for nothing: a client certificate
 * issued through the CSR API (signer kube-apiserver-client, approved by the admin, signed by kcm).
 */
async function clientKubeconfig(user: string): Promise<string> {
  const made = await makeCsr({ cn: user, key: 'ecdsa-p256' });
  const manifest = csrManifest(user, made, 'kubernetes.io/kube-apiserver-client', ['client auth']);
  await kubectl(['create', '-f', '-'], JSON.stringify(manifest));
  await kubectl(['certificate', 'approve', user]);
  const cert = await until(`a certificate for ${user}`, async () => (await kubectl(['get', 'csr', user, '-o', 'jsonpath={.status.certificate}'])).trim());
  await kubectl(['delete', 'csr', user]);
  const admin = yaml.load(readFileSync(kubeconfig, 'utf8')) as { clusters: { name: string; cluster: Record<string, unknown> }[] };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: admin.clusters,
    users: [{ name: user, user: { 'client-certificate-data': cert, 'client-key-data': Buffer.from(made.privateKeyPem).toString('base64') } }],
    contexts: [{ name: user, context: { cluster: admin.clusters[0].name, user } }],
    'current-context': user,
  };
  const file = join(dirname(kubeconfig), `${user}.kubeconfig`);
  writeFileSync(file, yaml.dump(doc), { mode: 0o600 });
  return file;
}


/** A Node as a kubelet registers it (the admin may create Nodes with their status). */
async function createNode(name: string, ip: string): Promise<void> {
  const body = { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } };
  await kubectl(['create', '-f', '-'], JSON.stringify(body));
}

function children(api: KrustletTestApi, node?: KrustletNode): KrustletNode[] {
  return api.tree.getChildren(node);
}

function treeCsr(api: KrustletTestApi, name: string): CsrNode | undefined {
  return children(api, api.tree.csrsGroup).find((n): n is CsrNode => n.kind === 'csr' && n.name === name);
}

function treeToken(api: KrustletTestApi, id: string): TokenNode | undefined {
  return children(api, api.tree.tokensGroup).find((n): n is TokenNode => n.kind === 'token' && n.id === id);
}

/** The tree item of a CSR with its tooltip, as VS Code shows it on hover. */
async function hovered(api: KrustletTestApi, node: CsrNode): Promise<vscode.TreeItem> {
  return Promise.resolve(api.tree.resolveTreeItem(api.tree.getTreeItem(node), node));
}

/** What the store holds for a CSR the tree shows. */
function stateOf(api: KrustletTestApi, node: CsrNode): string | undefined {
  return api.service.csrs.get(node.name)?.state;
}

suite('Krustlet view and commands against a real control plane', function () {
  this.timeout(30_000);
  let api: KrustletTestApi;
  let admin: Cluster;
  const run = randomBytes(3).toString('hex');
  const goodHost = `kt-${run}-good`;
  const denyHost = `kt-${run}-deny`;
  let bootstrapped: BootstrapCommandResult | undefined;
  let tokenSecret = '';

  suiteSetup(async () => {
    assert.ok(kubeconfig && existsSync(kubeconfig), 'KRUSTLET_TEST_KUBECONFIG must name the control plane\'s admin kubeconfig');
    api = await activateForTests();
    console.log(`    figures: activate() took ${api.activationMs.toFixed(1)} ms`);
    admin = await connect({ kubeconfigPath: kubeconfig });
    const cfg = vscode.workspace.getConfiguration('krustlet');
    await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await cfg.update('context', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('expectedHostnames', [goodHost], vscode.ConfigurationTarget.Global);
    await until('connected with both watches live', () =>
      api.service.state.kind === 'connected' && api.service.csrs.status.state === 'live' && api.service.tokens.status.state === 'live' && api.service.cluster?.server === admin.server,
    );
  });

  suiteTeardown(async () => {
    api?.setPrompter(undefined);
    // Leave the shared control plane as found: this run's CSRs and tokens go.
    for (const c of (await admin.listCsrs()).items) if (c.name.startsWith(`kt-${run}-`)) await admin.deleteCsr(c.name).catch(() => undefined);
    for (const n of await admin.listNodes()) if (n.name.startsWith(`kt-${run}-`)) await kubectl(['delete', 'node', n.name]).catch(() => undefined);
    if (bootstrapped) await admin.deleteToken(bootstrapped.tokenId).catch(() => undefined);
    await vscode.workspace.getConfiguration('krustlet').update('expectedHostnames', undefined, vscode.ConfigurationTarget.Global);
  });

  teardown(function () {
    const waitingFor = testEnded();
    if (this.currentTest?.state === 'failed') console.log(`    (was waiting for: ${waitingFor})\n    last log lines:\n${api?.logLines().slice(-25).map((l) => `      ${l}`).join('\n')}`);
  });

  test('the view shows the cluster (context, server) with Bootstrap Tokens and Certificate Signing Requests', async () => {
    const roots = children(api);
    assert.equal(roots.length, 1);
    const item = await Promise.resolve(api.tree.getTreeItem(roots[0]));
    assert.equal(item.label, admin.context.name);
    assert.match(String(item.description), new RegExp(admin.server.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const groups = children(api, roots[0]).map((n) => api.tree.getTreeItem(n).label as string);
    assert.deepEqual(groups, ['Bootstrap Tokens', 'Signing Requests', 'Nodes']);
  });

  test('Bootstrap (answered through its options) writes bootstrap.conf and creates the Secret', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test run opens a workspace folder');
    const result = await vscode.commands.executeCommand<BootstrapCommandResult | undefined>('krustlet.bootstrap', {
      context: admin.context.name,
      ttl: '1h',
      folder: folder.name,
      overwrite: true,
      revokeReplaced: true,
      applyRbac: true,
      proceed: true,
      gitignore: false,
      notify: false,
    });
    assert.ok(result, `Bootstrap returned nothing; log:\n${api.logLines().slice(-15).join('\n')}`);
    bootstrapped = result;
    assert.equal(result.path, join(folder.uri.fsPath, '.krustlet', 'bootstrap.conf'));
    const text = readFileSync(result.path, 'utf8');
    const m = /token: ([a-z0-9]{6})\.([a-z0-9]{16})/.exec(text);
    assert.ok(m, 'bootstrap.conf holds a bootstrap token');
    assert.equal(m[1], result.tokenId);
    tokenSecret = m[2];
    assert.match(text, /current-context: tls-bootstrap-token-user@kubernetes/);
    assert.equal(statSync(result.path).mode & 0o777, 0o600);
    // The Secret exists in the API server (seen by another client).
    const tokens = await admin.listTokens();
    const t = tokens.find((x) => x.id === result.tokenId);
    assert.ok(t, `Secret bootstrap-token-${result.tokenId} not found`);
    assert.equal(t.secretName, result.secretName);
    assert.ok(t.expiration && t.expiration.getTime() > Date.now(), 'the token expires in the future');
    // The command result never carries the secret.
    assert.ok(!JSON.stringify(result).includes(tokenSecret));
    // The RBAC offer was taken: kubeadm's bindings exist now.
    assert.ok(await admin.getClusterRoleBinding('kubeadm:kubelet-bootstrap'));
  });

  test('the new token appears in the tree with its expiry, and its tooltip has no secret', async () => {
    assert.ok(bootstrapped);
    const id = bootstrapped.tokenId;
    const node = await until(`token ${id} in the tree`, () => treeToken(api, id));
    const item = api.tree.getTreeItem(node);
    assert.match(String(item.description), /^expires in /);
    assert.equal(item.contextValue, 'token');
    // Markdown-escaped text: compare without the backslashes.
    const tooltip = (item.tooltip as vscode.MarkdownString).value.replace(/\\/g, '');
    assert.ok(tooltip.includes(`kube-system/bootstrap-token-${id}`), tooltip);
    assert.ok(!tooltip.includes(tokenSecret));
    // The expiry in local time and how far off it is, not raw UTC ("…19:56:21.000Z").
    assert.doesNotMatch(tooltip, /\d{2}:\d{2}:\d{2}\.\d{3}Z/, tooltip);
    assert.match(tooltip, /\*\*Expires:\*\* .+ \(in (\d+ min|1 h)\)/, tooltip);
    assert.match(String(item.description), /^expires in (\d+ min|1 h)$/);
  });

  test('a second Bootstrap into an existing file keeps a backup and revokes the replaced token when told to overwrite, and stops when told to keep', async () => {
    assert.ok(bootstrapped);
    const kept = await vscode.commands.executeCommand<BootstrapCommandResult | undefined>('krustlet.bootstrap', {
      context: admin.context.name, ttl: '24h', outputPath: bootstrapped.path, overwrite: false, applyRbac: false, proceed: true, notify: false,
    });
    assert.equal(kept, undefined);
    assert.match(readFileSync(bootstrapped.path, 'utf8'), new RegExp(`${bootstrapped.tokenId}\\.${tokenSecret}`));
    assert.ok(api.logLines().some((l) => l.includes('Bootstrap cancelled: kept the existing')));

    const before = readFileSync(bootstrapped.path, 'utf8');
    const again = await vscode.commands.executeCommand<BootstrapCommandResult | undefined>('krustlet.bootstrap', {
      context: admin.context.name, ttl: '1h', outputPath: bootstrapped.path, overwrite: true, revokeReplaced: true, applyRbac: false, proceed: true, notify: false,
    });
    assert.ok(again?.backupPath, 'a backup was kept');
    assert.equal(readFileSync(again.backupPath, 'utf8'), before);
    assert.notEqual(again.tokenId, bootstrapped.tokenId);
    // The token the replaced file held was revoked (the default answer): nothing valid is left behind.
    const ids = (await admin.listTokens()).map((t) => t.id);
    assert.ok(!ids.includes(bootstrapped.tokenId), 'the replaced token was revoked');
    assert.ok(ids.includes(again.tokenId));
    assert.ok(api.logLines().some((l) => l.includes(`the replaced token ${bootstrapped?.tokenId} was revoked`)));
    rmSync(again.backupPath, { force: true });
    bootstrapped = again;
    tokenSecret = /token: [a-z0-9]{6}\.([a-z0-9]{16})/.exec(readFileSync(again.path, 'utf8'))?.[1] ?? '';
    assert.ok(tokenSecret);
  });

  test('a second Bootstrap reuses a recent clean preflight; Apply RBAC and a reconnect drop it; the token check still reports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-preflight-cache-'));
    const made: string[] = [];
    /** Bootstraps into a new file; says whether its preflight ran or was reused (the nearest preflight line before its result line). */
    const boot = async (n: number): Promise<'ran' | 'reused'> => {
      const r = await vscode.commands.executeCommand<BootstrapCommandResult | undefined>('krustlet.bootstrap', {
        context: admin.context.name, ttl: '1h', outputPath: join(dir, `b${n}.conf`), applyRbac: true, proceed: true, notify: false,
      });
      assert.ok(r, `Bootstrap ${n} returned nothing; log:\n${api.logLines().slice(-15).join('\n')}`);
      made.push(r.tokenId);
      assert.ok(existsSync(r.path));
      // The token check runs after the file is written and still reports (log) what it found.
      await until(`the token check of ${r.tokenId}`, () => api.logLines().some((l) => l.includes(`After bootstrap: the API server accepts token ${r.tokenId}`)));
      const lines = api.logLines();
      const done = lines.findIndex((l) => l.includes(`Bootstrap: token ${r.tokenId} `));
      assert.ok(done >= 0, 'the result line is logged');
      const pre = lines.slice(0, done).reverse().find((l) => l.includes(`Preflight of ${admin.context.name}: `));
      assert.ok(pre, 'a preflight line precedes the result');
      if (/: ran \d+ checks, 0 failing/.test(pre)) return 'ran';
      assert.match(pre, /: reusing the clean result from \d+ s ago/);
      return 'reused';
    };
    try {
      // Apply RBAC drops any kept result, and leaves the bindings in place so the preflight is clean.
      assert.equal(await vscode.commands.executeCommand<boolean>('krustlet.applyRbac', { confirm: true }), true);
      assert.equal(await boot(1), 'ran');
      assert.equal(await boot(2), 'reused', 'the second Bootstrap reuses the clean preflight');
      assert.equal(await vscode.commands.executeCommand<boolean>('krustlet.applyRbac', { confirm: true }), true);
      assert.equal(await boot(3), 'ran', 'Apply RBAC dropped the kept result');
      assert.equal(await boot(4), 'reused');
      await api.service.reconnect('test: reconnect drops the preflight');
      await until('connected again', () => api.service.state.kind === 'connected' && api.service.cluster?.server === admin.server);
      assert.equal(await boot(5), 'ran', 'a reconnect dropped the kept result');
      assert.equal(await boot(6), 'reused');
    } finally {
      for (const id of made) await admin.deleteToken(id).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Bootstrap interrupted mid-way (VS Code closing: deactivate) rolls back: no Secret, no file, the previous file restored', async function () {
    this.timeout(90_000);
    const proxy = new FaultProxy({ dir: dirname(kubeconfig), caPath: process.env.KRUSTLET_TEST_CA ?? join(dirname(kubeconfig), 'pki', 'ca.crt'), kubeconfigPath: kubeconfig, server: admin.server });
    await proxy.start();
    const dir = mkdtempSync(join(tmpdir(), 'kb-interrupt-'));
    // The admin kubeconfig plus a context 'kb-fault' whose server is the proxy: Bootstrap on it goes through the faults.
    const doc = yaml.load(readFileSync(kubeconfig, 'utf8')) as { clusters: { name: string; cluster: Record<string, unknown> }[]; contexts: { name: string; context: Record<string, unknown> }[] };
    doc.clusters.push({ name: 'kb-fault', cluster: { ...doc.clusters[0].cluster, server: `https://127.0.0.1:${proxy.port}` } });
    doc.contexts.push({ name: 'kb-fault', context: { ...doc.contexts[0].context, cluster: 'kb-fault' } });
    const both = join(dir, 'both.kubeconfig');
    writeFileSync(both, yaml.dump(doc));
    await useKubeconfig(api, both);
    const extension = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string }).name === 'krustlet-bootstrap');
    assert.ok(extension);
    // The module VS Code loaded: its deactivate() is what VS Code calls when it closes.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main = require(join(extension.extensionPath, 'dist', 'extension.js')) as { deactivate(): Promise<void> };
    try {
      proxy.fault = (r) => (TOKEN_CHECK(r) ? 'hang' : 'pass');
      const before = (await admin.listTokens()).map((t) => t.id).sort();
      const out = join(dir, 'bootstrap.conf');
      const pending = vscode.commands.executeCommand<BootstrapCommandResult | undefined>('krustlet.bootstrap', {
        context: 'kb-fault', ttl: '1h', outputPath: out, applyRbac: false, proceed: true, gitignore: false, notify: false,
      });
      await proxy.arrived(TOKEN_CHECK);
      assert.ok(existsSync(out), 'the file was written');
      assert.equal((await admin.listTokens()).length, before.length + 1, 'the Secret exists');
      await main.deactivate();
      assert.equal(await pending, undefined);
      assert.ok(!existsSync(out), 'the file is gone again');
      assert.deepEqual((await admin.listTokens()).map((t) => t.id).sort(), before, 'the Secret is gone again');
      assert.ok(api.logLines().some((l) => /Bootstrap cancelled: Bootstrap was interrupted\. Rolled back: .* was removed again; the Secret kube-system\/bootstrap-token-\w{6} was deleted again\./.test(l)), api.logLines().slice(-8).join('\n'));

      // Over an existing file: the previous one comes back from its backup.
      writeFileSync(out, 'the previous file\n', { mode: 0o600 });
      proxy.seen.length = 0;
      const again = vscode.commands.executeCommand<BootstrapCommandResult | undefined>('krustlet.bootstrap', {
        context: 'kb-fault', ttl: '1h', outputPath: out, overwrite: true, applyRbac: false, proceed: true, gitignore: false, notify: false,
      });
      await proxy.arrived(TOKEN_CHECK);
      assert.notEqual(readFileSync(out, 'utf8'), 'the previous file\n');
      await main.deactivate();
      assert.equal(await again, undefined);
      assert.equal(readFileSync(out, 'utf8'), 'the previous file\n', 'restored from its backup');
      assert.deepEqual(readdirSync(dir).sort(), ['bootstrap.conf', 'both.kubeconfig'], 'no backup left');
      assert.deepEqual((await admin.listTokens()).map((t) => t.id).sort(), before);
    } finally {
      proxy.reset();
      await proxy.stop();
      await useKubeconfig(api, kubeconfig, () => api.service.cluster?.server === admin.server);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Copy token puts the token on the clipboard, and only there', async () => {
    assert.ok(bootstrapped);
    const id = bootstrapped.tokenId;
    const node = await until(`token ${id} in the tree`, () => treeToken(api, id));
    const copied = await vscode.commands.executeCommand<boolean>('krustlet.copyToken', node);
    assert.equal(copied, true);
    assert.equal(await vscode.env.clipboard.readText(), `${id}.${tokenSecret}`);
    await vscode.env.clipboard.writeText('');
  });

  test('the log and the Krustlet output channel contain no token secret', () => {
    assert.ok(tokenSecret, 'Bootstrap ran first');
    const lines = api.logLines();
    assert.ok(lines.some((l) => l.includes(bootstrapped?.tokenId ?? '?')), 'the log mentions the token id');
    assert.ok(!lines.some((l) => l.includes(tokenSecret)), 'a log line holds the token secret');
    // The LogOutputChannel's file, when VS Code has flushed it.
    const file = join(api.logUri.fsPath, 'Krustlet.log');
    if (existsSync(file)) assert.ok(!readFileSync(file, 'utf8').includes(tokenSecret), `${file} holds the token secret`);
  });

  test('a CSR created by another client appears in the tree, pending first, with a passing review', async () => {
    // The node is registered with the address it asks for: the review checks it against the Node object.
    await createNode(goodHost, '172.17.0.1');
    await until(`Node ${goodHost} in the store`, () => api.service.nodes.get(goodHost));
    await createCsr(`${goodHost}-tls`, krustletServingSpec(goodHost, '172.17.0.1'), { user: `system:node:${goodHost}`, groups: ['system:nodes', 'system:authenticated'] });
    const created = Date.now();
    const node = await until(`${goodHost}-tls in the tree`, () => treeCsr(api, `${goodHost}-tls`));
    console.log(`    figures: CSR created by kubectl → in the tree after ${Date.now() - created} ms (informational, not asserted)`);
    assert.equal(stateOf(api, node), 'pending');
    const item = await hovered(api, node);
    assert.equal(item.contextValue, 'csr.pending');
    const first = children(api, api.tree.csrsGroup)[0];
    assert.ok(first?.kind === 'csr' && stateOf(api, first) === 'pending', 'pending requests come first');
    assert.match(String(item.description), /^kubelet-serving · /);
    const tooltip = (item.tooltip as vscode.MarkdownString).value.replace(/\\/g, '');
    assert.match(tooltip, /Review: PASS/);
    const reviewed = api.reviews.get(api.service.csrs.get(`${goodHost}-tls`)!);
    assert.ok(reviewed.findings.some((f) => f.source === 'node' && f.verdict === 'pass' && /IP SAN 172\.17\.0\.1 is among Node/.test(f.message)), JSON.stringify(reviewed.findings));
    for (const part of [`CN=system:node:${goodHost}`, 'O=system:nodes', `DNS:${goodHost}`, 'IP:172.17.0.1', 'ECDSA', 'server auth', `system:node:${goodHost}`]) {
      assert.ok(tooltip.includes(part), `tooltip lacks ${part}:\n${tooltip}`);
    }
    const review = await vscode.commands.executeCommand<CsrReview>('krustlet.reviewCsr', `${goodHost}-tls`, undefined, { show: false });
    assert.equal(review?.verdict, 'pass', JSON.stringify(review?.findings));
    // The review document behind the Markdown preview.
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'krustlet-csr', path: `/${goodHost}-tls.md` }));
    assert.match(doc.getText(), /## Every check/);
    assert.match(doc.getText(), /BEGIN CERTIFICATE REQUEST/);
    // An expected hostname's serving CSR pops a notification (Approve / Review).
    await until('the expected-hostname notification', () => api.logLines().some((l) => l.includes(`Node ${goodHost} asks for its serving certificate`)));
  });

  test('a CSR row: Enter opens its review (its command), and its screen-reader label says the verdict its tooltip shows', async () => {
    const name = `${goodHost}-tls`;
    const node = await until(`${name} reviewed in the tree`, () => {
      const n = treeCsr(api, name);
      return n && /review (pass|warn|fail)$/.test(api.tree.getTreeItem(n).accessibilityInformation?.label ?? '') && n;
    });
    const item = api.tree.getTreeItem(node);
    assert.equal(item.command?.command, 'krustlet.reviewCsr');
    assert.deepEqual(item.command?.arguments, [name]);
    const label = item.accessibilityInformation?.label ?? '';
    const tooltip = (api.tree.resolveTreeItem(item, node).tooltip as vscode.MarkdownString).value.replace(/\\/g, '');
    const verdict = /review (pass|warn|fail)$/.exec(label)?.[1] ?? '';
    assert.ok(tooltip.toLowerCase().includes(`review: ${verdict}`), `label "${label}" vs tooltip:\n${tooltip}`);
    assert.doesNotMatch(label, /not reviewed yet/);
  });

  test('approving through the tree item approves it in the API server and the item turns approved', async () => {
    const name = `${goodHost}-tls`;
    const node = await until(`${name} in the tree`, () => treeCsr(api, name));
    const r = await vscode.commands.executeCommand<CsrCommandResult>('krustlet.approveCsr', node, [node]);
    assert.deepEqual(r.done, [name], JSON.stringify(r));
    const inApi = await admin.getCsr(name);
    assert.ok(inApi.conditions.some((c) => c.type === 'Approved'), 'Approved condition in the API server');
    const after = await until(`${name} approved in the tree`, () => {
      const n = treeCsr(api, name);
      return n && (stateOf(api, n) === 'approved' || stateOf(api, n) === 'issued') && n;
    });
    assert.ok(['csr.approved', 'csr.issued'].includes(String(api.tree.getTreeItem(after).contextValue)));
  });

  test('the Nodes group shows the node: Ready, its address, the serving certificate issued through its CSR', async () => {
    const handle = await until(`Node ${goodHost} in the Nodes group`, () => children(api, api.tree.nodes.group).find((n) => n.kind === 'node' && n.name === goodHost));
    assert.ok(children(api, api.tree.clusterNode).includes(api.tree.nodes.group), 'the cluster shows the Nodes group');
    const item = await until('the serving certificate in the Node item', () => {
      const i = api.tree.getTreeItem(handle);
      return /cert in 36[45] days/.test(String(i.description)) && i;
    });
    assert.match(String(item.description), /^Ready · 172\.17\.0\.1 · cert in 36[45] days$/);
    assert.equal(item.contextValue, 'node');
    const tip = (api.tree.resolveTreeItem(api.tree.getTreeItem(handle), handle)).tooltip as vscode.MarkdownString;
    const text = tip.value.replace(/\\/g, '');
    for (const part of [`Node ${goodHost}`, 'InternalIP 172.17.0.1', 'Kubelet port:** 10250', `from CSR ${goodHost}-tls`, 'Issuer:', `DNS:${goodHost}`, 'IP:172.17.0.1']) assert.ok(text.includes(part), `tooltip lacks ${part}:\n${text}`);
    // A warning threshold beyond a year marks it.
    await vscode.workspace.getConfiguration('krustlet').update('certificateExpiryWarningDays', 400, vscode.ConfigurationTarget.Global);
    try {
      await until('the expiry warning', () => api.tree.getTreeItem(handle).contextValue === 'node.certExpiring');
    } finally {
      await vscode.workspace.getConfiguration('krustlet').update('certificateExpiryWarningDays', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('opt-in: an identical serving renewal of an expected node is approved by itself, logged and marked; changed SANs never', async () => {
    const cfg = vscode.workspace.getConfiguration('krustlet');
    await cfg.update('autoApproveIdenticalRenewals', true, vscode.ConfigurationTarget.Global);
    try {
      // The changed one first: when the identical one is approved, the changed one was considered before it.
      await createCsr(`${goodHost}-changed`, { ...krustletServingSpec(goodHost, '172.17.0.1'), dns: [goodHost, `${goodHost}.lan`] }, { user: `system:node:${goodHost}`, groups: ['system:nodes', 'system:authenticated'] });
      await createCsr(`${goodHost}-renew`, krustletServingSpec(goodHost, '172.17.0.1'), { user: `system:node:${goodHost}`, groups: ['system:nodes', 'system:authenticated'] });
      const approved = await until('the identical renewal approved automatically', async () => {
        const c = await admin.getCsr(`${goodHost}-renew`);
        return c.conditions.find((x) => x.type === 'Approved') && c;
      });
      assert.equal(approved.conditions.find((x) => x.type === 'Approved')?.reason, 'KrustletIdenticalRenewal');
      assert.match(approved.conditions.find((x) => x.type === 'Approved')?.message ?? '', /renewal of an identical certificate \(CSR kt-[0-9a-f]+-good-tls: same subject and SANs\)/);
      assert.ok(api.logLines().some((l) => l.includes(`Approving ${goodHost}-renew automatically: renewal of an identical certificate`)));
      const node = await until('the renewal in the tree, approved', () => {
        const n = treeCsr(api, `${goodHost}-renew`);
        return n && stateOf(api, n) !== 'pending' && n;
      });
      assert.match(String(api.tree.getTreeItem(node).description), /auto-approved renewal/);
      const changed = await admin.getCsr(`${goodHost}-changed`);
      assert.equal(changed.state, 'pending', 'changed SANs wait for a person');
      const review = api.reviews.get(api.service.csrs.get(`${goodHost}-changed`)!);
      assert.notEqual(review.verdict, 'fail', 'it passes otherwise: only the change keeps it waiting');
      assert.ok(review.findings.some((f) => f.source === 'certificate' && f.verdict === 'warn' && new RegExp(`\\+DNS:${goodHost}\\.lan \\(new\\)`).test(f.message)), JSON.stringify(review.findings));
    } finally {
      await cfg.update('autoApproveIdenticalRenewals', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('the review follows the Node: an IP that is not the node\'s fails, and passes once the Node lists it', async () => {
    const host = `kt-${run}-moves`;
    await createNode(host, '10.2.0.1');
    await until(`Node ${host} in the store`, () => api.service.nodes.get(host));
    await createCsr(`${host}-tls`, krustletServingSpec(host, '10.2.0.99'), { user: `system:node:${host}`, groups: ['system:nodes', 'system:authenticated'] });
    const node = await until(`${host}-tls in the tree`, () => treeCsr(api, `${host}-tls`));
    await until('the failing review in the tree', () => api.tree.getTreeItem(node).contextValue === 'csr.pending.failing');
    const failing = api.reviews.get(api.service.csrs.get(`${host}-tls`)!);
    assert.ok(failing.findings.some((f) => f.source === 'node' && f.verdict === 'fail' && /10\.2\.0\.99 is not among Node/.test(f.message)));
    await kubectl(['patch', 'node', host, '--subresource=status', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/status/addresses/-', value: { type: 'ExternalIP', address: '10.2.0.99' } }])]);
    await until('the item to pass once the Node lists the address', () => api.tree.getTreeItem(node).contextValue === 'csr.pending');
  });

  test('the Approve / Review notification of an expected node closes by itself once someone else (kubectl) approves the request', async () => {
    const host = `kt-${run}-noticed`;
    const name = `${host}-tls`;
    const cfg = vscode.workspace.getConfiguration('krustlet');
    const people = new FakePrompter();
    api.setPrompter(people);
    try {
      await cfg.update('expectedHostnames', [goodHost, host], vscode.ConfigurationTarget.Global);
      await createCsr(name, krustletServingSpec(host, '172.17.0.6'), { user: `system:node:${host}`, groups: ['system:nodes', 'system:authenticated'] });
      const note = await until('the notification', () => people.of('notice').find((a) => a.message.includes(`(${name})`)));
      assert.deepEqual(note.items, ['Approve', 'Review']);
      assert.ok(!note.closed, 'open while the request is pending');
      // The old notification stayed, and clicking its Approve said "already issued".
      await kubectl(['certificate', 'approve', name]);
      await until('the notification closed by itself', () => note.closed === true);
    } finally {
      await cfg.update('expectedHostnames', [goodHost], vscode.ConfigurationTarget.Global);
    }
  });

  test('Deny asks first, then denies in the API server and the item turns denied', async () => {
    const name = `${denyHost}-tls`;
    await createCsr(name, krustletServingSpec(denyHost, '172.17.0.2'), { user: `system:node:${denyHost}`, groups: ['system:nodes', 'system:authenticated'] });
    const node = await until(`${name} in the tree`, () => treeCsr(api, name));
    // Declining the confirmation changes nothing.
    const decline = new FakePrompter();
    api.setPrompter(decline);
    const declined = await vscode.commands.executeCommand<CsrCommandResult>('krustlet.denyCsr', node, [node]);
    api.setPrompter(undefined);
    assert.deepEqual(declined.done, []);
    assert.equal(decline.asked[0]?.kind, 'modal');
    assert.equal((await admin.getCsr(name)).state, 'pending');
    // Confirmed.
    const r = await vscode.commands.executeCommand<CsrCommandResult>('krustlet.denyCsr', node, [node], { confirm: true });
    assert.deepEqual(r.done, [name]);
    assert.equal((await admin.getCsr(name)).state, 'denied');
    const after = await until(`${name} denied in the tree`, () => {
      const n = treeCsr(api, name);
      return n && stateOf(api, n) === 'denied' && n;
    });
    assert.equal(api.tree.getTreeItem(after).contextValue, 'csr.denied');
  });

  test('a failing CSR is marked, needs a modal listing the reasons, and multi-select approve skips it', async () => {
    const bad = `kt-${run}-bad`;
    const ok = `kt-${run}-ok`;
    // Made by the admin (not a node), claiming to be another node, in system:masters, with a loopback IP.
    await createCsr(bad, { cn: 'system:node:someone-else', o: ['system:masters'], dns: ['kubernetes.default'], ips: ['127.0.0.1'], key: 'rsa-2048' });
    await createCsr(`${ok}-tls`, krustletServingSpec(ok, '172.17.0.3'), { user: `system:node:${ok}`, groups: ['system:nodes', 'system:authenticated'] });
    const badNode = await until(`${bad} in the tree`, () => treeCsr(api, bad));
    const okNode = await until(`${ok}-tls in the tree`, () => treeCsr(api, `${ok}-tls`));
    assert.equal(api.tree.getTreeItem(badNode).contextValue, 'csr.pending.failing');
    const review = await vscode.commands.executeCommand<CsrReview>('krustlet.reviewCsr', bad, undefined, { show: false });
    assert.equal(review?.verdict, 'fail');
    assert.match(String(api.tree.getTreeItem(badNode).description), /review failed/);

    // Alone: a modal that lists the reasons; declining leaves it pending.
    const prompter = new FakePrompter();
    api.setPrompter(prompter);
    const declined = await vscode.commands.executeCommand<CsrCommandResult>('krustlet.approveCsr', badNode, [badNode]);
    api.setPrompter(undefined);
    assert.deepEqual(declined.done, []);
    const modal = prompter.asked.find((a) => a.kind === 'modal');
    assert.ok(modal, 'a modal confirmation was asked');
    assert.ok(modal.items.includes('Approve Anyway'));
    for (const f of review.findings.filter((x) => x.verdict === 'fail')) assert.ok(modal.detail?.includes(f.message), `the modal lists: ${f.message}`);
    assert.equal((await admin.getCsr(bad)).state, 'pending');

    // Together with a good one: only the good one is approved.
    const r = await vscode.commands.executeCommand<CsrCommandResult>('krustlet.approveCsr', okNode, [okNode, badNode]);
    assert.deepEqual(r.done, [`${ok}-tls`]);
    assert.deepEqual(r.skipped.map((s) => s.name), [bad]);
    assert.equal((await admin.getCsr(bad)).state, 'pending');
    assert.notEqual((await admin.getCsr(`${ok}-tls`)).state, 'pending');
    // Delete (confirmed) removes it from the API server and the tree.
    const del = await vscode.commands.executeCommand<CsrCommandResult>('krustlet.deleteCsr', badNode, [badNode], { confirm: true });
    assert.deepEqual(del.done, [bad]);
    assert.ok(!(await admin.listCsrs()).items.some((c) => c.name === bad));
    await until(`${bad} gone from the tree`, () => !treeCsr(api, bad));
  });

  test('a failing CSR not reviewed yet renders as reviewing…, is reviewed in the background, and approve still asks with the reasons', async () => {
    const name = `kt-${run}-unreviewed`;
    const budget = api.reviews.syncReviewsPerTick;
    const rerendered: KrustletNode[] = [];
    const sub = api.tree.onDidChangeTreeData((e) => {
      if (Array.isArray(e)) rerendered.push(...e);
    });
    // No synchronous reviews on the render path: every review comes from the background slices.
    api.reviews.syncReviewsPerTick = 0;
    try {
      await createCsr(name, { cn: 'system:node:someone-else', o: ['system:masters'], dns: ['kubernetes.default'], key: 'rsa-2048' });
      const node = await until(`${name} in the tree`, () => treeCsr(api, name));
      const csr = api.service.csrs.get(name);
      assert.ok(csr);

      // Not reviewed yet (whatever rendered it before): the item says so and keeps the plain pending value.
      api.reviews.forget(csr);
      const item = api.tree.getTreeItem(node);
      assert.equal(item.contextValue, 'csr.pending', 'not reviewed yet: the plain pending value (same menus)');
      assert.match(String(item.description), /reviewing…/);
      assert.equal(item.tooltip, undefined, 'the tooltip waits for resolveTreeItem');
      assert.equal(api.reviews.peek(csr), undefined, 'rendering did not review it');

      // Queued when rendered, reviewed in the background, then re-rendered as failing.
      const failing = await until(`${name} reviewed in the background`, () => {
        const i = api.tree.getTreeItem(node);
        return i.contextValue === 'csr.pending.failing' && i;
      });
      assert.match(String(failing.description), /review failed/);
      assert.ok(rerendered.includes(node), 'the background review fired a change for the node');

      // Approving a request nobody reviewed yet reviews it first: the modal with the reasons.
      api.reviews.forget(csr);
      const prompter = new FakePrompter();
      api.setPrompter(prompter);
      const declined = await vscode.commands.executeCommand<CsrCommandResult>('krustlet.approveCsr', node, [node]);
      api.setPrompter(undefined);
      assert.deepEqual(declined.done, []);
      const modal = prompter.asked.find((a) => a.kind === 'modal');
      assert.ok(modal, 'a modal confirmation was asked');
      assert.ok(modal.items.includes('Approve Anyway'));
      const review = api.reviews.peek(csr);
      assert.equal(review?.verdict, 'fail');
      for (const f of review.findings.filter((x) => x.verdict === 'fail')) assert.ok(modal.detail?.includes(f.message), `the modal lists: ${f.message}`);
      assert.equal((await admin.getCsr(name)).state, 'pending');

      // Hover: resolveTreeItem adds the summary.
      const resolved = await hovered(api, node);
      assert.match((resolved.tooltip as vscode.MarkdownString).value.replace(/\\/g, ''), /Review: FAIL/);
    } finally {
      api.reviews.syncReviewsPerTick = budget;
      sub.dispose();
      await admin.deleteCsr(name).catch(() => undefined);
    }
  });

  test('an identity without rights gets the forbidden state; a bootstrap token identity gets a 403 on approve that names the permission', async () => {
    assert.ok(bootstrapped);
    const host = `kt-${run}-perm`;
    const name = `${host}-tls`;
    await createCsr(name, krustletServingSpec(host, '172.17.0.4'), { user: `system:node:${host}`, groups: ['system:nodes', 'system:authenticated'] });
    const nobody = await clientKubeconfig(`kt-${run}-nobody`);
    const cfg = vscode.workspace.getConfiguration('krustlet');
    try {
      // A user the cluster knows but grants nothing: it may not list CSRs.
      await cfg.update('kubeconfig', nobody, vscode.ConfigurationTarget.Global);
      await until('forbidden state', () => api.service.state.kind === 'forbidden');
      assert.deepEqual(children(api), [], 'no roots: the forbidden welcome shows');
      assert.match(api.service.state.message ?? '', /Permission denied/);

      // bootstrap.conf authenticates as system:bootstrap:<id>: system:node-bootstrapper lets it read CSRs, not approve them.
      await cfg.update('kubeconfig', bootstrapped.path, vscode.ConfigurationTarget.Global);
      await until('connected as the bootstrap token', () => api.service.state.kind === 'connected' && api.service.cluster?.context.name === 'tls-bootstrap-token-user@kubernetes');
      const node = await until(`${name} in the tree`, () => treeCsr(api, name));
      // Secrets in kube-system stay out of reach: the tokens group says so instead of spinning.
      await until('the tokens group reports it cannot list', () =>
        children(api, api.tree.tokensGroup).some((n) => n.kind === 'message' && n.text.startsWith('Cannot list bootstrap tokens')),
      );
      const prompter = new FakePrompter();
      api.setPrompter(prompter);
      const r = await vscode.commands.executeCommand<CsrCommandResult>('krustlet.approveCsr', node, [node]);
      api.setPrompter(undefined);
      assert.deepEqual(r.done, []);
      assert.equal(r.failed.length, 1, JSON.stringify(r));
      assert.match(r.failed[0].error, /'update' on certificatesigningrequests\/approval/);
      assert.ok(prompter.asked.some((a) => a.kind === 'error' && a.message.includes('certificatesigningrequests/approval')), JSON.stringify(prompter.asked));
      assert.equal((await admin.getCsr(name)).state, 'pending');
    } finally {
      api.setPrompter(undefined);
      await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
      await admin.deleteCsr(name).catch(() => undefined);
      rmSync(nobody, { force: true });
    }
    await until('connected as admin again', () => api.service.state.kind === 'connected' && api.service.cluster?.context.name === admin.context.name && api.service.tokens.status.state === 'live');
  });

  test('Bootstrap asks for the lifetime when not given; a custom TTL is validated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krustlet-ttl-'));
    let rejected: string | undefined;
    const prompter = new FakePrompter((a) => {
      if (a.kind === 'quickPick') return /lifetime/.test(a.message) ? a.items.find((l) => l.startsWith('Custom')) : a.items[0];
      if (a.kind !== 'inputBox' || !a.validate) return undefined;
      rejected = a.validate('soon');
      return a.validate('90m') === undefined ? '90m' : undefined;
    });
    api.setPrompter(prompter);
    let r: BootstrapCommandResult | undefined;
    try {
      r = await vscode.commands.executeCommand<BootstrapCommandResult | undefined>('krustlet.bootstrap', { outputPath: join(dir, 'bootstrap.conf'), applyRbac: false, proceed: true, notify: false });
    } finally {
      api.setPrompter(undefined);
    }
    assert.ok(rejected, '"soon" is rejected by the input validation');
    assert.ok(r, `Bootstrap returned nothing: ${JSON.stringify(prompter.asked)}`);
    const ttlPick = prompter.asked.find((a) => a.kind === 'quickPick' && /lifetime/.test(a.message));
    assert.ok(ttlPick, 'the lifetime was asked');
    assert.deepEqual(ttlPick.items.map((l) => l.split(' ')[0]), ['1', '24', 'Custom…', 'Never']);
    const t = (await admin.listTokens()).find((x) => x.id === r?.tokenId);
    assert.ok(t?.expiration && t.createdAt);
    assert.equal(Math.round((t.expiration.getTime() - t.createdAt.getTime()) / 60_000), 90);
    await admin.deleteToken(r.tokenId);
    rmSync(dir, { recursive: true, force: true });
  });

  test('in a git repository, Bootstrap offers to add the file to .gitignore', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'krustlet-git-'));
    execFileSync('git', ['init', '-q'], { cwd: repo });
    const out = join(repo, '.krustlet', 'bootstrap.conf');
    const prompter = new FakePrompter((a) => (a.items.includes('Add to .gitignore') ? 'Add to .gitignore' : undefined));
    api.setPrompter(prompter);
    let r: BootstrapCommandResult | undefined;
    try {
      r = await vscode.commands.executeCommand<BootstrapCommandResult | undefined>('krustlet.bootstrap', {
        context: admin.context.name, ttl: '30m', outputPath: out, applyRbac: false, proceed: true, notify: false,
      });
    } finally {
      api.setPrompter(undefined);
    }
    assert.ok(r, JSON.stringify(prompter.asked));
    assert.equal(r.addedToGitignore, true);
    assert.match(readFileSync(join(repo, '.gitignore'), 'utf8'), /^\/\.krustlet\/bootstrap\.conf$/m);
    execFileSync('git', ['check-ignore', '-q', out], { cwd: repo }); // throws unless ignored
    await admin.deleteToken(r.tokenId);
    rmSync(repo, { recursive: true, force: true });
  });

  test('Revoke (confirmed) deletes the token Secret and the token leaves the tree', async () => {
    assert.ok(bootstrapped);
    const id = bootstrapped.tokenId;
    const node = await until(`token ${id} in the tree`, () => treeToken(api, id));
    const r = await vscode.commands.executeCommand<{ done: string[] }>('krustlet.revokeToken', node, [node], { confirm: true });
    assert.deepEqual(r.done, [id]);
    assert.ok(!(await admin.listTokens()).some((t) => t.id === id), 'the Secret is gone');
    await until(`token ${id} gone from the tree`, () => !treeToken(api, id));
  });

  test('a dropped watch shows "reconnecting…", then recovers by itself: changes made meanwhile appear, without duplicates', async () => {
    const target = new URL(admin.server);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    const port = await proxy.start();
    const copy = join(dirname(kubeconfig), `krustlet-test-${run}-proxy.kubeconfig`);
    writeFileSync(copy, readFileSync(kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`));
    const cfg = vscode.workspace.getConfiguration('krustlet');
    const name = `kt-${run}-late-tls`;
    try {
      await cfg.update('kubeconfig', copy, vscode.ConfigurationTarget.Global);
      await until('connected through the proxy', () => api.service.state.kind === 'connected' && api.service.cluster?.server.endsWith(`:${port}`) && api.service.csrs.status.state === 'live');
      await proxy.stop();
      await until('the cluster node says reconnecting…', () => String(api.tree.getTreeItem(api.tree.clusterNode).description).includes('reconnecting…'));
      // Meanwhile, another client adds a CSR.
      await createCsr(name, krustletServingSpec(`kt-${run}-late`, '172.17.0.5'), { user: `system:node:kt-${run}-late`, groups: ['system:nodes', 'system:authenticated'] });
      await proxy.start();
      await until(`${name} in the tree after the watch came back`, () => treeCsr(api, name));
      await until('live again', () => api.service.csrs.status.state === 'live' && !String(api.tree.getTreeItem(api.tree.clusterNode).description).includes('reconnecting'));
      const inTree = children(api, api.tree.csrsGroup).flatMap((n) => (n.kind === 'csr' ? [n.name] : []));
      assert.equal(new Set(inTree).size, inTree.length, 'no duplicates in the tree');
      const inApi = (await admin.listCsrs()).items.map((c) => c.name);
      assert.deepEqual([...inTree].sort(), [...inApi].sort());
    } finally {
      await proxy.stop();
      await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
      rmSync(copy, { force: true });
    }
    await until('connected to the admin kubeconfig', () => api.service.state.kind === 'connected' && api.service.cluster?.server === admin.server && api.service.csrs.status.state === 'live');
  });

  test('the API server gone while connected: after 3 failed reconnects the view turns into its error state (Retry / Select Context / Show Log) with the next attempt named, keeps trying, and recovers by itself', async () => {
    const target = new URL(admin.server);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    const port = await proxy.start();
    const copy = join(dirname(kubeconfig), `krustlet-test-${run}-outage.kubeconfig`);
    writeFileSync(copy, readFileSync(kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`));
    const cfg = vscode.workspace.getConfiguration('krustlet');
    const states: string[] = [];
    const sub = api.service.onDidChangeConnection((st) => states.push(`${st.kind}${st.attempt ? ` #${st.attempt}` : ''}`));
    try {
      await cfg.update('kubeconfig', copy, vscode.ConfigurationTarget.Global);
      await until('connected through the proxy', () => api.service.state.kind === 'connected' && api.service.cluster?.server.endsWith(`:${port}`) && api.service.csrs.status.state === 'live');
      states.length = 0;
      await proxy.stop();
      // The old code said "reconnecting…" forever: now the connection counts as lost after a bounded number of attempts.
      await until('the unreachable state', () => api.service.state.kind === 'unreachable');
      assert.deepEqual(children(api), [], 'no roots: the viewsWelcome of krustlet.state == unreachable shows (Retry, Select Context, Show Log)');
      assert.match(api.service.state.message ?? '', /Retrying in \d+ s \(attempt \d+\)\./, 'the message names the next attempt');
      const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { viewsWelcome: { contents: string; when: string }[] } };
      const welcome = pkg.contributes.viewsWelcome.find((w) => w.when === 'krustlet.state == unreachable');
      assert.ok(welcome, 'a viewsWelcome for the unreachable state');
      for (const link of ['command:krustlet.refresh', 'command:krustlet.selectContext', 'command:krustlet.showLog']) assert.ok(welcome.contents.includes(link), `${link} in ${welcome.contents}`);
      // It keeps trying in the background, with a growing delay (and without flashing "Connecting…").
      await until('a second background attempt failed', () => states.filter((x) => x.startsWith('unreachable')).length >= 2);
      assert.ok(!states.slice(states.findIndex((x) => x.startsWith('unreachable'))).includes('connecting'), states.join(', '));
      await proxy.start();
      await until('connected again by itself', () => api.service.state.kind === 'connected' && api.service.csrs.status.state === 'live');
      assert.equal(children(api).length, 1);
    } finally {
      sub.dispose();
      await proxy.stop();
      await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
      rmSync(copy, { force: true });
    }
    await until('connected to the admin kubeconfig', () => api.service.state.kind === 'connected' && api.service.cluster?.server === admin.server && api.service.csrs.status.state === 'live');
  });

  test('an unreachable cluster shows the unreachable state (no roots), and an edit of the kubeconfig on disk is followed', async () => {
    // Next to the original, so relative file references (CA, client certificate) still resolve.
    const copy = join(dirname(kubeconfig), `krustlet-test-${run}.kubeconfig`);
    const real = readFileSync(kubeconfig, 'utf8');
    // Port 9 on loopback: nothing listens there.
    writeFileSync(copy, real.replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:9'));
    const cfg = vscode.workspace.getConfiguration('krustlet');
    await cfg.update('kubeconfig', copy, vscode.ConfigurationTarget.Global);
    try {
      await until('unreachable state', () => api.service.state.kind === 'unreachable');
      assert.deepEqual(children(api), []);
      assert.match(api.service.state.message ?? '', /127\.0\.0\.1:9/, 'the message names the server');
      // Fix the file on disk: the view follows without a setting change.
      writeFileSync(copy, real);
      await until('connected again after the kubeconfig changed on disk', () => api.service.state.kind === 'connected' && api.service.csrs.status.state === 'live');
      assert.equal(children(api).length, 1);
    } finally {
      await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
      await until('connected to the admin kubeconfig', () => api.service.state.kind === 'connected' && api.service.csrs.status.state === 'live');
      rmSync(copy, { force: true });
    }
  });
});
