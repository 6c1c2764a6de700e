/** The extension under test, activated: its test API (the extension host runs it in ExtensionMode.Test). */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KrustletApi, KrustletTestApi } from '../../src/extension';
import { EXTENSION_ID } from '../../src/vscode/constants';

export async function activateForTests(): Promise<KrustletTestApi> {
  const ext = vscode.extensions.getExtension<KrustletApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  const api = await ext.activate();
  assert.ok('setPrompter' in api, 'the extension did not return its test API: is the extension host in test mode?');
  return api as KrustletTestApi;
}
