// The extension against the REAL control plane (KRUSTLET_TEST_KUBECONFIG): Bootstrap through its
// options argument, the live tree of tokens and CSRs, approve / deny / revoke through the tree items'
// commands, the careful review, and a log without token secrets. No timed assertions: every wait
// polls until the condition holds, bounded only by mocha's timeout.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { KrustletApi } from '../../src/extension';
import { connect, type Cluster } from '../../src/core/cluster';
import type { CsrReview } from '../../src/core/types';
import type { BootstrapCommandResult } from '../../src/vscode/commands/bootstrap';
import type { CsrCommandResult } from '../../src/vscode/commands/csr';
import type { Prompter } from '../../src/vscode/prompter';
// Types only: the nodes come from the bundled extension (dist/), so `instanceof` on out/ classes would never match.
import type { CsrNode, KrustletNode, TokenNode } from '../../src/vscode/views/nodes';
import { csrManifest, krustletServingSpec, makeCsr, SERVING_USAGES, type CsrSpec } from '../support/csrFactory';

const EXTENSION_ID = 'krustlet-tools.krustlet-bootstrap';
const SERVING = 'kubernetes.io/kubelet-serving';

const kubeconfig = process.env.KRUSTLET_TEST_KUBECONFIG ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` returns a truthy value (bounded by the test's timeout, never by a timed assert). */
async function until<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>): Promise<T> {
  current = what;
  const test = testNumber;
  // Stops polling once mocha has moved on (after a timeout), so a failed wait does not linger.
  while (test === testNumber) {
    const v = await probe();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}
let current = '';
let testNumber = 0;

function kubectl(args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** Creates a CSR as another client: kubectl, impersonating the node (as the real agent's identity would be). */
async function createCsr(name: string, spec: CsrSpec, as?: { user: string; groups: string[] }): Promise<void> {
  const made = await makeCsr(spec);
  const manifest = csrManifest(name, made, SERVING, SERVING_USAGES);
  const imp = as ? ['--as', as.user, ...as.groups.flatMap((g) => ['--as-group', g])] : [];
  await kubectl([...imp, 'create', '-f', '-'], JSON.stringify(manifest));
}

function children(api: KrustletApi, node?: KrustletNode): KrustletNode[] {
  return api.tree.getChildren(node);
}

function treeCsr(api: KrustletApi, name: string): CsrNode | undefined {
  return children(api, api.tree.csrsGroup).find((n): n is CsrNode => n.kind === 'csr' && n.info.name === name);
}

function treeToken(api: KrustletApi, id: string): TokenNode | undefined {
  return children(api, api.tree.tokensGroup).find((n): n is TokenNode => n.kind === 'token' && n.info.id === id);
}

/** Answers every prompt from a script; records what was asked. */
class ScriptedPrompter implements Prompter {
  readonly asked: { kind: string; message: string; detail?: string; items: string[] }[] = [];
  constructor(private readonly answer: (message: string, items: string[]) => string | undefined) {}
  quickPick<T>(): Promise<T | undefined> {
    return Promise.resolve(undefined);
  }
  inputBox(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }
  warning<T extends string>(message: string, options: { modal?: boolean; detail?: string }, ...items: T[]): Promise<T | undefined> {
    this.asked.push({ kind: options.modal ? 'modal' : 'warning', message, detail: options.detail, items });
    return Promise.resolve(this.answer(message, items) as T | undefined);
  }
  info<T extends string>(message: string, options: { modal?: boolean; detail?: string }, ...items: T[]): Promise<T | undefined> {
    this.asked.push({ kind: 'info', message, detail: options.detail, items });
    return Promise.resolve(undefined);
  }
  error<T extends string>(message: string, ...items: T[]): Promise<T | undefined> {
    this.asked.push({ kind: 'error', message, items });
    return Promise.resolve(undefined);
  }
  pickWorkspaceFolder(): Promise<vscode.WorkspaceFolder | undefined> {
    return Promise.resolve(undefined);
  }
}

suite('Krustlet view and commands against a real control plane', function () {
  this.timeout(30_000);
  let api: KrustletApi;
  let admin: Cluster;
  const run = randomBytes(3).toString('hex');
  const goodHost = `kt-${run}-good`;
  const denyHost = `kt-${run}-deny`;
  let bootstrapped: BootstrapCommandResult | undefined;
  let tokenSecret = '';

  suiteSetup(async () => {
    assert.ok(kubeconfig && existsSync(kubeconfig), 'KRUSTLET_TEST_KUBECONFIG must name the control plane\'s admin kubeconfig');
    const ext = vscode.extensions.getExtension<KrustletApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    admin = await connect({ kubeconfigPath: kubeconfig });
    const cfg = vscode.workspace.getConfiguration('krustlet');
    await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await cfg.update('context', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('expectedHostnames', [goodHost], vscode.ConfigurationTarget.Global);
    await until('connected with both watches live', () =>
      api.service.state.kind === 'connected' && api.service.csrWatch.state === 'live' && api.service.tokenWatch.state === 'live' && api.service.cluster?.server === admin.server,
    );
  });

  suiteTeardown(async () => {
    api?.setPrompter(undefined);
    await vscode.workspace.getConfiguration('krustlet').update('expectedHostnames', undefined, vscode.ConfigurationTarget.Global);
  });

  teardown(function () {
    testNumber++;
    if (this.currentTest?.state === 'failed') console.log(`    (was waiting for: ${current})\n    last log lines:\n${api?.logLines().slice(-25).map((l) => `      ${l}`).join('\n')}`);
  });

  test('the view shows the cluster (context, server) with Bootstrap Tokens and Certificate Signing Requests', async () => {
    const roots = children(api);
    assert.equal(roots.length, 1);
    const item = await Promise.resolve(api.tree.getTreeItem(roots[0]));
    assert.equal(item.label, admin.context.name);
    assert.match(String(item.description), new RegExp(admin.server.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const groups = children(api, roots[0]).map((n) => api.tree.getTreeItem(n).label as string);
    assert.deepEqual(groups, ['Bootstrap Tokens', 'Certificate Signing Requests']);
  });

  test('Bootstrap (answered through its options) writes bootstrap.conf and creates the Secret', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test run opens a workspace folder');
    const result = await vscode.commands.executeCommand<BootstrapCommandResult | undefined>('krustlet.bootstrap', {
      context: admin.context.name,
      ttl: '1h',
      folder: folder.name,
      overwrite: true,
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
    const item = node.toTreeItem();
    assert.match(String(item.description), /^expires in /);
    assert.equal(item.contextValue, 'token');
    // Markdown-escaped text: compare without the backslashes.
    const tooltip = (item.tooltip as vscode.MarkdownString).value.replace(/\\/g, '');
    assert.ok(tooltip.includes(`kube-system/bootstrap-token-${id}`), tooltip);
    assert.ok(!tooltip.includes(tokenSecret));
  });

  test('a second Bootstrap into an existing file keeps a backup when told to overwrite, and stops when told to keep', async () => {
    assert.ok(bootstrapped);
    const kept = await vscode.commands.executeCommand<BootstrapCommandResult | undefined>('krustlet.bootstrap', {
      context: admin.context.name, ttl: '24h', outputPath: bootstrapped.path, overwrite: false, applyRbac: false, proceed: true, notify: false,
    });
    assert.equal(kept, undefined);
    assert.match(readFileSync(bootstrapped.path, 'utf8'), new RegExp(`${bootstrapped.tokenId}\\.${tokenSecret}`));
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
    await createCsr(`${goodHost}-tls`, krustletServingSpec(goodHost, '172.17.0.1'), { user: `system:node:${goodHost}`, groups: ['system:nodes', 'system:authenticated'] });
    const node = await until(`${goodHost}-tls in the tree`, () => treeCsr(api, `${goodHost}-tls`));
    assert.equal(node.info.state, 'pending');
    assert.equal(node.contextValue, 'csr.pending');
    const first = children(api, api.tree.csrsGroup)[0];
    assert.ok(first?.kind === 'csr' && first.pending, 'pending requests come first');
    const item = node.toTreeItem();
    assert.match(String(item.description), /^kubelet-serving · /);
    const tooltip = (item.tooltip as vscode.MarkdownString).value.replace(/\\/g, '');
    assert.match(tooltip, /Review: PASS/);
    for (const part of [`CN=system:node:${goodHost}`, 'O=system:nodes', `DNS:${goodHost}`, 'IP:172.17.0.1', 'ECDSA', 'server auth', `system:node:${goodHost}`]) {
      assert.ok(tooltip.includes(part), `tooltip lacks ${part}:\n${tooltip}`);
    }
    const review = await vscode.commands.executeCommand<CsrReview>('krustlet.reviewCsr', `${goodHost}-tls`, undefined, { show: false });
    assert.equal(review?.verdict, 'pass', JSON.stringify(review?.findings));
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
      return n && (n.info.state === 'approved' || n.info.state === 'issued') && n;
    });
    assert.ok(['csr.approved', 'csr.issued'].includes(after.contextValue));
  });

  test('Deny asks first, then denies in the API server and the item turns denied', async () => {
    const name = `${denyHost}-tls`;
    await createCsr(name, krustletServingSpec(denyHost, '172.17.0.2'), { user: `system:node:${denyHost}`, groups: ['system:nodes', 'system:authenticated'] });
    const node = await until(`${name} in the tree`, () => treeCsr(api, name));
    // Declining the confirmation changes nothing.
    const decline = new ScriptedPrompter(() => undefined);
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
      return n?.info.state === 'denied' && n;
    });
    assert.equal(after.contextValue, 'csr.denied');
  });

  test('a failing CSR is marked, needs a modal listing the reasons, and multi-select approve skips it', async () => {
    const bad = `kt-${run}-bad`;
    const ok = `kt-${run}-ok`;
    // Made by the admin (not a node), claiming to be another node, in system:masters, with a loopback IP.
    await createCsr(bad, { cn: 'system:node:someone-else', o: ['system:masters'], dns: ['kubernetes.default'], ips: ['127.0.0.1'], key: 'rsa-2048' });
    await createCsr(`${ok}-tls`, krustletServingSpec(ok, '172.17.0.3'), { user: `system:node:${ok}`, groups: ['system:nodes', 'system:authenticated'] });
    const badNode = await until(`${bad} in the tree`, () => treeCsr(api, bad));
    const okNode = await until(`${ok}-tls in the tree`, () => treeCsr(api, `${ok}-tls`));
    assert.equal(badNode.contextValue, 'csr.pending.failing');
    const review = await vscode.commands.executeCommand<CsrReview>('krustlet.reviewCsr', bad, undefined, { show: false });
    assert.equal(review?.verdict, 'fail');
    assert.match(String(badNode.toTreeItem().description), /review failed/);

    // Alone: a modal that lists the reasons; declining leaves it pending.
    const prompter = new ScriptedPrompter(() => undefined);
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
    await admin.deleteCsr(bad);
    await until(`${bad} gone from the tree`, () => !treeCsr(api, bad));
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
      // Fix the file on disk: the view follows without a setting change.
      writeFileSync(copy, real);
      await until('connected again after the kubeconfig changed on disk', () => api.service.state.kind === 'connected' && api.service.csrWatch.state === 'live');
      assert.equal(children(api).length, 1);
    } finally {
      await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
      await until('connected to the admin kubeconfig', () => api.service.state.kind === 'connected' && api.service.csrWatch.state === 'live');
      rmSync(copy, { force: true });
    }
  });
});
