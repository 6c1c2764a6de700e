// The extension as any other extension meets it (ExtensionMode.Production, and Development): the API
// and the commands built the way activate() builds them for that mode, over the real features and the
// real control plane. Nothing there lets a caller script a question or skip a confirmation.
//
// The person at the keyboard is a FakePrompter installed through this (test-mode) host's hook: it
// records what the production commands ask, and says no.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { connect, type Cluster } from '../../src/core/cluster';
import type { Logger } from '../../src/core/log';
import { extensionApi, userInterface, type KrustletTestApi } from '../../src/extension';
import { commandHandlers } from '../../src/vscode/commands/index';
import type { CsrCommandResult } from '../../src/vscode/commands/csr';
import { Commands } from '../../src/vscode/constants';
import { vscodePrompter } from '../../src/vscode/prompter';
import { csrManifest, makeCsr, SERVING_USAGES } from '../support/csrFactory';
import { activateForTests } from '../support/extension';
import { kubectl } from '../support/kubectl';
import { testEnded, until } from '../support/poll';
import { FakePrompter } from '../support/prompter';

const kubeconfig = process.env.KRUSTLET_TEST_KUBECONFIG ?? '';

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (m: string) => void lines.push(m);
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

suite('outside tests: no test hook in the API, no answers through command options', function () {
  this.timeout(60_000);
  let api: KrustletTestApi;
  let admin: Cluster;
  const run = randomBytes(3).toString('hex');
  const failing = `kt-${run}-prod-tls`;

  suiteSetup(async () => {
    assert.ok(kubeconfig && existsSync(kubeconfig), "KRUSTLET_TEST_KUBECONFIG must name the control plane's admin kubeconfig");
    api = await activateForTests();
    admin = await connect({ kubeconfigPath: kubeconfig });
    await vscode.workspace.getConfiguration('krustlet').update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await until('connected with both watches live', () => api.service.state.kind === 'connected' && api.service.csrs.status.state === 'live' && api.service.cluster?.server === admin.server);
    // A request that fails the review, made by a real identity: a node asking for another node's name, in system:masters.
    const made = await makeCsr({ cn: 'system:node:someone-else', o: ['system:masters'], dns: ['someone-else'], key: 'ecdsa-p256' });
    await kubectl(kubeconfig, ['--as', `system:node:kt-${run}-prod`, '--as-group', 'system:nodes', '--as-group', 'system:authenticated', 'create', '-f', '-'], JSON.stringify(csrManifest(failing, made, 'kubernetes.io/kubelet-serving', SERVING_USAGES)));
    const csr = await until(`${failing} in the store`, () => api.service.csrs.get(failing));
    assert.equal(api.reviews.get(csr).verdict, 'fail');
  });

  suiteTeardown(async () => {
    api?.setPrompter(undefined);
    await admin?.deleteCsr(failing).catch(() => undefined);
  });

  teardown(() => {
    testEnded();
    api.setPrompter(undefined);
  });

  test('the API of a normal run is the version and nothing else; no scripted Prompter can be installed', () => {
    for (const mode of [vscode.ExtensionMode.Production, vscode.ExtensionMode.Development]) {
      const prod = extensionApi(mode, api);
      assert.deepEqual(Object.keys(prod), ['version'], `mode ${mode}`);
      assert.ok(Object.isFrozen(prod));
      assert.ok(!('setPrompter' in prod) && !('service' in prod) && !('tree' in prod) && !('calls' in prod));
      const ui = userInterface(mode);
      assert.equal(ui.script, undefined, 'no way to script the questions');
      assert.equal(ui.prompter, vscodePrompter, 'the questions go to the UI itself');
    }
    // The difference is the mode: in tests the same parts are the API.
    assert.equal(extensionApi(vscode.ExtensionMode.Test, api), api);
    assert.equal(typeof userInterface(vscode.ExtensionMode.Test).script, 'function');
  });

  test('confirm: true does not approve a failing request without asking, nor deny, nor apply RBAC', async () => {
    const user = new FakePrompter();
    api.setPrompter(user);
    const log = recordingLog();
    const commands = commandHandlers({ calls: api.calls, mode: vscode.ExtensionMode.Production, log, selection: () => [] });

    const approved = (await commands[Commands.approveCsr](failing, undefined, { confirm: true })) as CsrCommandResult;
    assert.deepEqual(approved.done, [], JSON.stringify(approved));
    const modal = user.of('modal').find((a) => a.items.includes('Approve Anyway'));
    assert.ok(modal, `the approver was asked: ${JSON.stringify(user.asked)}`);
    assert.match(modal.detail ?? '', /system:masters/);
    assert.equal((await admin.getCsr(failing)).state, 'pending');

    const denied = (await commands[Commands.denyCsr](failing, undefined, { confirm: true })) as CsrCommandResult;
    assert.deepEqual(denied.done, []);
    assert.ok(user.of('modal').some((a) => a.items.includes('Deny')));
    assert.equal((await admin.getCsr(failing)).state, 'pending');

    assert.equal(await commands[Commands.applyRbac]({ confirm: true }), false);
    assert.ok(user.of('modal').some((a) => a.items.includes('Apply RBAC')));

    assert.ok(log.lines.some((l) => l.startsWith(`${Commands.approveCsr}: the caller's options (confirm) are ignored`)), log.lines.join('\n'));
  });

  test("Bootstrap's and Select Context's answers in options are not taken: every question is asked", async () => {
    const user = new FakePrompter();
    api.setPrompter(user);
    const commands = commandHandlers({ calls: api.calls, mode: vscode.ExtensionMode.Production, log: recordingLog(), selection: () => [] });
    const dir = mkdtempSync(join(tmpdir(), 'krustlet-prod-'));
    const tokensBefore = (await admin.listTokens()).length;
    try {
      const r = await commands[Commands.bootstrap]({
        context: admin.context.name, ttl: '1h', outputPath: join(dir, 'bootstrap.conf'), overwrite: true, applyRbac: true, proceed: true, gitignore: false, notify: false,
      });
      assert.equal(r, undefined, 'the user dismissed the first question');
      assert.ok(user.of('quickPick').length > 0, 'Bootstrap asked');
      assert.equal(existsSync(join(dir, 'bootstrap.conf')), false);
      assert.equal((await admin.listTokens()).length, tokensBefore, 'no token was created');

      const before = vscode.workspace.getConfiguration('krustlet').get('context');
      assert.equal(await commands[Commands.selectContext]({ context: 'not-a-context' }), undefined);
      assert.equal(vscode.workspace.getConfiguration('krustlet').get('context'), before, 'the setting is unchanged');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the same options in tests do answer (the mode decides): confirm: true approves the failing request', async () => {
    const user = new FakePrompter();
    api.setPrompter(user);
    const commands = commandHandlers({ calls: api.calls, mode: vscode.ExtensionMode.Test, log: recordingLog(), selection: () => [] });
    const r = (await commands[Commands.approveCsr](failing, undefined, { confirm: true })) as CsrCommandResult;
    assert.deepEqual(r.done, [failing]);
    assert.equal(user.of('modal').length, 0);
    assert.notEqual((await admin.getCsr(failing)).state, 'pending');
  });
});
