/** The extension under test, activated: its test API (the extension host runs it in ExtensionMode.Test). */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { until } from './poll';
import type { KrustletApi, KrustletTestApi } from '../../src/extension';
import { EXTENSION_ID } from '../../src/vscode/constants';

export async function activateForTests(): Promise<KrustletTestApi> {
  const ext = vscode.extensions.getExtension<KrustletApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  const api = await ext.activate();
  assert.ok('setPrompter' in api, 'the extension did not return its test API: is the extension host in test mode?');
  return api as KrustletTestApi;
}

/**
 * Sets `krustlet.kubeconfig` to another file and waits for the reconnect that change causes. Waiting on
 * the state alone is not enough: the connection from before the change still reads 'connected' until the
 * (debounced) reconnect starts, which would then land in the middle of the next test.
 */
export async function useKubeconfig(api: KrustletTestApi, path: string, isWanted: () => boolean = () => true): Promise<void> {
  const before = api.service.cluster;
  const cfg = vscode.workspace.getConfiguration('krustlet');
  assert.notEqual(cfg.get('kubeconfig'), path, 'useKubeconfig needs a setting that changes (else nothing reconnects)');
  await cfg.update('kubeconfig', path, vscode.ConfigurationTarget.Global);
  await until(`connected through ${path}`, () =>
    api.service.state.kind === 'connected' && api.service.cluster !== undefined && api.service.cluster !== before && isWanted());
}
