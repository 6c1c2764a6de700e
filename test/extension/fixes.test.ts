// Errors in the extension's words: a core error's structured fix becomes buttons that do it (Select
// Context, Open Settings …) and no CLI flag ("--context", "--kubeconfig") shows in VS Code. Against
// the real control plane, with the kubeconfig and context settings a user gets wrong.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { KrustletTestApi } from '../../src/extension';
import { activateForTests } from '../support/extension';
import { testEnded, until } from '../support/poll';
import { FakePrompter } from '../support/prompter';

const kubeconfig = process.env.KRUSTLET_TEST_KUBECONFIG ?? '';
const FLAG = /--(context|kubeconfig|force|output)\b|krustlet-bootstrap /;

suite('errors say what to do with buttons, in VS Code words', function () {
  this.timeout(60_000);
  let api: KrustletTestApi;
  const cfg = () => vscode.workspace.getConfiguration('krustlet');

  suiteSetup(async () => {
    assert.ok(kubeconfig && existsSync(kubeconfig), "KRUSTLET_TEST_KUBECONFIG must name the control plane's admin kubeconfig");
    api = await activateForTests();
  });

  suiteTeardown(async () => {
    api?.setPrompter(undefined);
    await cfg().update('context', undefined, vscode.ConfigurationTarget.Global);
    await cfg().update('context', undefined, vscode.ConfigurationTarget.Workspace);
    await cfg().update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await until('connected again', () => api.service.state.kind === 'connected' && api.service.csrs.status.state === 'live');
  });

  teardown(() => {
    testEnded();
    api.setPrompter(undefined);
  });

  test('an unknown context: the view says so without flags, and the error offers Select Context, which opens the picker', async () => {
    await cfg().update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await cfg().update('context', 'kt-no-such-context', vscode.ConfigurationTarget.Global);
    await until('the no-kubeconfig state for the unknown context', () => api.service.state.kind === 'noKubeconfig' && /kt-no-such-context/.test(api.service.state.message ?? ''));
    const message = api.service.state.message ?? '';
    assert.doesNotMatch(message, FLAG);

    const user = new FakePrompter((a) => (a.kind === 'error' ? 'Select Context' : undefined));
    api.setPrompter(user);
    assert.equal(await vscode.commands.executeCommand('krustlet.runPreflight'), undefined);
    const error = await until('the error', () => user.of('error')[0]);
    assert.doesNotMatch(error.message, FLAG);
    assert.deepEqual(error.items, ['Select Context', 'Show Log']);
    // The button does what it says: the context picker, listing the kubeconfig's contexts.
    const pick = await until('the context picker', () => user.of('quickPick').find((a) => /Select Kubeconfig Context/.test(a.message)));
    assert.ok(pick.items.length >= 2, JSON.stringify(pick.items));
  });

  test('a kubeconfig path that does not exist: the error offers Open Settings, never a flag', async () => {
    await cfg().update('context', undefined, vscode.ConfigurationTarget.Global);
    await cfg().update('kubeconfig', join(dirname(kubeconfig), 'kt-missing.kubeconfig'), vscode.ConfigurationTarget.Global);
    await until('the no-kubeconfig state', () => api.service.state.kind === 'noKubeconfig' && /kt-missing/.test(api.service.state.message ?? ''));
    assert.doesNotMatch(api.service.state.message ?? '', FLAG);
    const user = new FakePrompter();
    api.setPrompter(user);
    await vscode.commands.executeCommand('krustlet.applyRbac');
    const error = await until('the error', () => user.of('error')[0]);
    assert.doesNotMatch(error.message, FLAG);
    assert.deepEqual(error.items, ['Open Settings', 'Show Log']);
  });
});
