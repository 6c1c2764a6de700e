// The cluster commands against the REAL control plane (KRUSTLET_TEST_KUBECONFIG): Select Context,
// Run Preflight (the RBAC fix offered and taken), Apply RBAC (idempotent), Show Log and Refresh.
// Not here: Bootstrap with no workspace folder open — the runner always opens one.
// No timed assertions: every wait polls until the condition holds, bounded only by mocha's timeout.
// The shared control plane is left as found: kubeadm's bindings are saved first and put back at the end.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as yaml from 'js-yaml';
import * as vscode from 'vscode';
import type { KrustletTestApi } from '../../src/extension';
import { connect, type Cluster, type ClusterRoleBindingInfo } from '../../src/core/cluster';
import { BOOTSTRAP_BINDINGS } from '../../src/core/preflight';
import type { PreflightFinding } from '../../src/core/types';
import { freePort } from '../support/process';
import { kubectl as kubectlAt } from '../support/kubectl';
import { FakePrompter } from '../support/prompter';
import { TcpProxy } from '../support/tcpProxy';
import { activateForTests } from '../support/extension';
import { testEnded, until } from '../support/poll';

const kubeconfig = process.env.KRUSTLET_TEST_KUBECONFIG ?? '';


const kubectl = (args: string[], stdin?: string) => kubectlAt(kubeconfig, args, stdin);

/** Every binding that has the effect of one of kubeadm's (the preflight checks by effect, not by name). */
function bootstrapLike(all: ClusterRoleBindingInfo[]): ClusterRoleBindingInfo[] {
  return all.filter((x) => BOOTSTRAP_BINDINGS.some((b) => x.name === b.name || (x.roleRef.name === b.role && x.subjects.some((s) => s.kind === 'Group' && s.name === b.group))));
}

async function deleteBindings(names: string[]): Promise<void> {
  if (names.length) await kubectl(['delete', 'clusterrolebinding', '--ignore-not-found', ...names]);
}

const bindingFindings = (fs: PreflightFinding[]) => fs.filter((f) => f.id.startsWith('binding:'));

suite('cluster commands against a real control plane', function () {
  this.timeout(30_000);
  let api: KrustletTestApi;
  let admin: Cluster;
  const run = randomBytes(3).toString('hex');
  /** The bindings (full objects) that were there before this suite: put back at the end. */
  let savedBindings: unknown[] = [];
  const settingsBefore: Record<string, ReturnType<vscode.WorkspaceConfiguration['inspect']>> = {};
  const files: string[] = [];

  const connectedTo = (context: string) =>
    api.service.state.kind === 'connected' && api.service.cluster?.context.name === context && api.service.csrs.status.state === 'live' && api.service.tokens.status.state === 'live';

  suiteSetup(async () => {
    assert.ok(kubeconfig && existsSync(kubeconfig), 'KRUSTLET_TEST_KUBECONFIG must name the control plane\'s admin kubeconfig');
    api = await activateForTests();
    admin = await connect({ kubeconfigPath: kubeconfig });
    const cfg = vscode.workspace.getConfiguration('krustlet');
    for (const key of ['kubeconfig', 'context']) settingsBefore[key] = cfg.inspect(key);
    const names = bootstrapLike(await admin.listClusterRoleBindings()).map((b) => b.name);
    if (names.length) {
      const list = JSON.parse(await kubectl(['get', 'clusterrolebinding', ...names, '-o', 'json'])) as { items: { metadata: Record<string, unknown> }[] };
      savedBindings = list.items.map((b) => {
        const { name, labels, annotations } = b.metadata;
        return { ...b, metadata: { name, labels, annotations } };
      });
    }
    await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await cfg.update('context', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('context', undefined, vscode.ConfigurationTarget.Workspace);
    await until('connected to the admin context', () => connectedTo(admin.context.name));
  });

  suiteTeardown(async () => {
    api?.setPrompter(undefined);
    // The cluster as found: exactly the bootstrap bindings that were there before.
    if (admin) {
      await deleteBindings(bootstrapLike(await admin.listClusterRoleBindings()).map((b) => b.name));
      for (const b of savedBindings) await kubectl(['create', '-f', '-'], JSON.stringify(b));
    }
    // The settings as found (every level this suite wrote).
    const cfg = vscode.workspace.getConfiguration('krustlet');
    for (const [key, was] of Object.entries(settingsBefore)) {
      await cfg.update(key, was?.globalValue, vscode.ConfigurationTarget.Global);
      // krustlet.kubeconfig is machine-scoped (user settings only); Select Context writes krustlet.context to the workspace.
      if (key === 'context' && vscode.workspace.workspaceFolders?.length) await cfg.update(key, was?.workspaceValue, vscode.ConfigurationTarget.Workspace);
    }
    for (const f of files) rmSync(f, { force: true });
    if (api && admin) await until('connected as before', () => api.service.state.kind === 'connected' && api.service.csrs.status.state === 'live');
  });

  teardown(function () {
    const waitingFor = testEnded();
    api?.setPrompter(undefined);
    if (this.currentTest?.state === 'failed') console.log(`    (was waiting for: ${waitingFor})\n    last log lines:\n${api?.logLines().slice(-25).map((l) => `      ${l}`).join('\n')}`);
  });

  test('Select Context lists the kubeconfig\'s contexts; choosing one writes krustlet.context and the tree switches to it', async () => {
    // A copy with a second context (same cluster and user, another name), next to the original so relative paths resolve.
    const doc = yaml.load(readFileSync(kubeconfig, 'utf8')) as { contexts: { name: string; context: Record<string, unknown> }[]; 'current-context': string };
    const first = doc.contexts.find((c) => c.name === doc['current-context']);
    assert.ok(first, 'the admin kubeconfig has a current context');
    const second = `kt-${run}-second`;
    doc.contexts.push({ name: second, context: { ...first.context } });
    const copy = join(dirname(kubeconfig), `krustlet-test-${run}-contexts.kubeconfig`);
    files.push(copy);
    writeFileSync(copy, yaml.dump(doc), { mode: 0o600 });
    const cfg = vscode.workspace.getConfiguration('krustlet');
    const reconnects = () => api.logLines().filter((l) => l.includes('Connecting to the cluster (settings changed).')).length;
    const seen = reconnects();
    await cfg.update('kubeconfig', copy, vscode.ConfigurationTarget.Global);
    await until('connected through the copy', () => reconnects() > seen && connectedTo(first.name));

    const prompter = new FakePrompter((a) => (a.kind === 'quickPick' ? second : undefined));
    api.setPrompter(prompter);
    const chosen = await vscode.commands.executeCommand<string | undefined>('krustlet.selectContext');
    assert.equal(chosen, second);
    const pick = prompter.asked.find((a) => a.kind === 'quickPick');
    assert.ok(pick, 'a quick pick was shown');
    assert.deepEqual(pick.items.slice(0, 2), [first.name, second], 'both contexts are offered');
    assert.match(pick.descriptions?.[0] ?? '', /current/, 'the kubeconfig\'s current context is marked');
    assert.ok(pick.items.some((l) => /Follow the kubeconfig/.test(l)), 'and a way back to the current context');

    // The setting holds the choice, and the tree follows it.
    assert.equal(vscode.workspace.getConfiguration('krustlet').get('context'), second);
    await until(`the tree's root shows ${second}`, () => connectedTo(second) && api.tree.getChildren().length === 1 && api.tree.getTreeItem(api.tree.getChildren()[0]).label === second);
    assert.ok(api.logLines().some((l) => l.includes(`Context set to '${second}'.`)));

    // Dismissing the pick changes nothing.
    api.setPrompter(new FakePrompter(() => undefined));
    assert.equal(await vscode.commands.executeCommand('krustlet.selectContext'), undefined);
    assert.equal(vscode.workspace.getConfiguration('krustlet').get('context'), second);

    // "Follow the kubeconfig's current context" clears the setting; the tree goes back.
    api.setPrompter(new FakePrompter((a) => (a.kind === 'quickPick' ? a.items.find((l) => /Follow the kubeconfig/.test(l)) : undefined)));
    assert.equal(await vscode.commands.executeCommand('krustlet.selectContext'), '');
    assert.equal(vscode.workspace.getConfiguration('krustlet').get('context', ''), '');
    await until(`the tree's root shows ${first.name} again`, () => connectedTo(first.name) && api.tree.getTreeItem(api.tree.getChildren()[0]).label === first.name);

    await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await until('connected to the admin kubeconfig', () => connectedTo(admin.context.name) && api.service.cluster?.server === admin.server);
  });

  test('Run Preflight on a cluster without kubeadm\'s bindings reports them missing and offers Apply RBAC; taking it makes the preflight clean', async () => {
    await deleteBindings(bootstrapLike(await admin.listClusterRoleBindings()).map((b) => b.name));
    const prompter = new FakePrompter((a) => (a.kind === 'warning' || a.kind === 'modal' ? 'Apply RBAC' : undefined));
    api.setPrompter(prompter);
    const findings = await vscode.commands.executeCommand<PreflightFinding[] | undefined>('krustlet.runPreflight');
    assert.ok(findings, 'the preflight returned its findings');
    const missing = bindingFindings(findings);
    assert.deepEqual(missing.map((f) => f.id).sort(), BOOTSTRAP_BINDINGS.map((b) => `binding:${b.name}`).sort());
    assert.ok(missing.every((f) => !f.ok && f.fix?.includes('kubectl create clusterrolebinding')), JSON.stringify(missing));
    // The admin may do everything else.
    assert.deepEqual(findings.filter((f) => !f.ok).map((f) => f.id).sort(), missing.map((f) => f.id).sort());
    const warning = prompter.asked.find((a) => a.kind === 'warning');
    assert.ok(warning, 'the problems were reported');
    assert.match(warning.message, new RegExp(`^Preflight: 3 problems on ${admin.context.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`));
    assert.deepEqual(warning.items, ['Apply RBAC', 'Show Log']);
    assert.ok(api.logLines().some((l) => l.includes('Preflight FAIL No binding of ClusterRole system:node-bootstrapper')));

    // The offer was taken: Apply RBAC asked (modal) and created the bindings in the API server.
    await until('the three bindings in the API server', async () => {
      const names = (await admin.listClusterRoleBindings()).map((b) => b.name);
      return BOOTSTRAP_BINDINGS.every((b) => names.includes(b.name));
    });
    const modal = prompter.asked.find((a) => a.kind === 'modal');
    assert.ok(modal && /Create kubeadm's bootstrap RBAC bindings/.test(modal.message), 'Apply RBAC asked first');
    await until('Apply RBAC reported', () => prompter.asked.some((a) => a.kind === 'info' && /Bootstrap RBAC bindings are in place/.test(a.message)));

    // Now the preflight is clean.
    const again = new FakePrompter();
    api.setPrompter(again);
    const clean = await vscode.commands.executeCommand<PreflightFinding[] | undefined>('krustlet.runPreflight');
    assert.ok(clean);
    assert.deepEqual(clean.filter((f) => !f.ok), []);
    assert.equal(bindingFindings(clean).length, 3);
    assert.ok(again.asked.some((a) => a.kind === 'info' && a.message === `Preflight: all ${clean.length} checks pass on ${admin.context.name}.`), JSON.stringify(again.asked));
    assert.ok(!again.asked.some((a) => a.kind === 'warning'));
  });

  test('Apply RBAC creates the three ClusterRoleBindings; a second run leaves them (idempotent); declining the confirmation creates nothing', async () => {
    await deleteBindings(BOOTSTRAP_BINDINGS.map((b) => b.name));

    // Declined: nothing happens.
    const declined = new FakePrompter(() => undefined);
    api.setPrompter(declined);
    assert.equal(await vscode.commands.executeCommand<boolean>('krustlet.applyRbac'), false);
    assert.equal(declined.asked.filter((a) => a.kind === 'modal').length, 1);
    for (const b of BOOTSTRAP_BINDINGS) assert.equal(await admin.getClusterRoleBinding(b.name), undefined, `${b.name} was created although declined`);

    // Confirmed (through its options): created, as kubeadm names and binds them.
    const prompter = new FakePrompter();
    api.setPrompter(prompter);
    assert.equal(await vscode.commands.executeCommand<boolean>('krustlet.applyRbac', { confirm: true }), true);
    assert.ok(!prompter.asked.some((a) => a.kind === 'modal'), 'confirm: true asks nothing');
    for (const b of BOOTSTRAP_BINDINGS) {
      const got = await admin.getClusterRoleBinding(b.name);
      assert.ok(got, `${b.name} exists`);
      assert.equal(got.roleRef.name, b.role);
      assert.deepEqual(got.subjects, [{ kind: 'Group', name: b.group }]);
    }
    const line = (n: number) => api.logLines().filter((l) => l.includes(`Bootstrap RBAC bindings on ${admin.context.name}:`))[n];
    const before = api.logLines().filter((l) => l.includes(`Bootstrap RBAC bindings on ${admin.context.name}:`)).length;
    assert.ok(line(before - 1)?.includes('kubeadm:kubelet-bootstrap created'), line(before - 1));
    const uids = await kubectl(['get', 'clusterrolebinding', ...BOOTSTRAP_BINDINGS.map((b) => b.name), '-o', 'jsonpath={.items[*].metadata.uid}']);

    // Again: success, every binding reported as existing, the very same objects.
    assert.equal(await vscode.commands.executeCommand<boolean>('krustlet.applyRbac', { confirm: true }), true);
    const last = line(before) ?? '';
    for (const b of BOOTSTRAP_BINDINGS) assert.ok(last.includes(`${b.name} exists`), last);
    assert.equal(await kubectl(['get', 'clusterrolebinding', ...BOOTSTRAP_BINDINGS.map((b) => b.name), '-o', 'jsonpath={.items[*].metadata.uid}']), uids);
    assert.ok(!prompter.asked.some((a) => a.kind === 'error'), JSON.stringify(prompter.asked));
  });

  test('Show Log reveals the "Krustlet" output channel, with the extension\'s log in it', async () => {
    const krustletLog = () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'output' && /Krustlet/.test(e.document.uri.path));
    // From a closed panel (another test may have shown the log already).
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await until('the output panel closed', () => !krustletLog());
    await vscode.commands.executeCommand('krustlet.showLog');
    const editor = await until('the Krustlet log visible', krustletLog);
    await until('the log text in the channel', () => /Krustlet Bootstrap .* activated in/.test(editor.document.getText()));
    assert.ok(editor.document.getText().includes('Connected to '), 'it holds the connection lines too');
  });

  test('Refresh (the view\'s Retry) reconnects: an unreachable cluster that came back is connected again, with both watches live', async () => {
    const port = await freePort();
    const target = new URL(admin.server);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) }, port);
    const copy = join(dirname(kubeconfig), `krustlet-test-${run}-refresh.kubeconfig`);
    files.push(copy);
    writeFileSync(copy, readFileSync(kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`), { mode: 0o600 });
    const cfg = vscode.workspace.getConfiguration('krustlet');
    try {
      // Nothing listens on the port yet: unreachable, no roots.
      await cfg.update('kubeconfig', copy, vscode.ConfigurationTarget.Global);
      await until('unreachable', () => api.service.state.kind === 'unreachable' && (api.service.state.message ?? '').includes(`:${port}`));
      assert.deepEqual(api.tree.getChildren(), []);
      // The server is there again; nothing else changed, so it takes Refresh to notice.
      await proxy.start();
      const marks = api.logLines().filter((l) => l.includes('Connecting to the cluster (refresh).')).length;
      await vscode.commands.executeCommand('krustlet.refresh');
      assert.equal(api.logLines().filter((l) => l.includes('Connecting to the cluster (refresh).')).length, marks + 1);
      await until('connected through the port after Refresh', () => connectedTo(admin.context.name) && api.service.cluster?.server === `https://127.0.0.1:${port}`);
      assert.equal(api.tree.getChildren().length, 1);
      // The tree after Refresh matches the API server (a fresh list, nothing stale or doubled).
      const tokenIds = api.tree.getChildren(api.tree.tokensGroup).flatMap((n) => (n.kind === 'token' ? [n.id] : []));
      assert.deepEqual([...tokenIds].sort(), (await admin.listTokens()).map((t) => t.id).sort());

      // Refresh while connected: a new connection (new watches), same content.
      const before = api.service.cluster;
      await vscode.commands.executeCommand('krustlet.refresh');
      await until('connected again after a second Refresh', () => connectedTo(admin.context.name) && api.service.cluster !== before);
      const csrNames = api.tree.getChildren(api.tree.csrsGroup).flatMap((n) => (n.kind === 'csr' ? [n.name] : []));
      assert.deepEqual([...csrNames].sort(), (await admin.listCsrs()).items.map((c) => c.name).sort());
    } finally {
      await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
      await proxy.stop();
    }
    await until('connected to the admin kubeconfig', () => connectedTo(admin.context.name) && api.service.cluster?.server === admin.server);
  });
});
