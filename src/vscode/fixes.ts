/**
 * The extension's words for the core's structured fixes (src/core/errors.ts `Fix`): each kind as a
 * button that does it — Select Context, Open Settings, Open Kubeconfig, Retry, Apply RBAC, Revoke
 * Token … The CLI words the same kinds as its flags (src/cli/errors.ts); no flag ever shows here.
 */
import * as vscode from 'vscode';
import type { Fix } from '../core/errors';
import { openSetting } from './config';
import { Settings } from './constants';
import type { FeatureCalls } from './features';

/** One button: its label, and what clicking it does. */
export interface FixButton {
  readonly label: string;
  run(): unknown;
}

/**
 * The buttons for a fix. `retry` is what the failed action was (Retry runs it again); without it a
 * `retry` fix offers nothing beyond the message.
 */
export function fixButtons(calls: FeatureCalls, fix: Fix | undefined, retry?: () => unknown): FixButton[] {
  const selectContext: FixButton = { label: 'Select Context', run: () => calls.selectContext() };
  const retryButton: FixButton[] = retry ? [{ label: 'Retry', run: retry }] : [];
  switch (fix?.kind) {
    case undefined:
    case 'fix-input':
    case 'report-bug':
      return [];
    case 'select-context':
    case 'check-credentials':
    case 'ask-admin':
      // A missing permission: a context with more rights is what the user can do here.
      return [selectContext];
    case 'set-kubeconfig':
      return [{ label: 'Open Settings', run: () => openSetting(Settings.kubeconfig) }];
    case 'edit-kubeconfig': {
      const file = fix.data?.file;
      return file
        ? [{ label: 'Open Kubeconfig', run: () => vscode.window.showTextDocument(vscode.Uri.file(file)) }, selectContext]
        : [{ label: 'Open Settings', run: () => openSetting(Settings.kubeconfig) }];
    }
    case 'retry':
    case 'force':
      // The file appeared meanwhile: running Bootstrap again asks whether to overwrite it.
      return retryButton;
    case 'apply-rbac':
      return [{ label: 'Apply RBAC', run: () => calls.applyRbac() }, ...retryButton];
    case 'choose-output':
      return [{ label: 'Open Settings', run: () => openSetting(Settings.bootstrapConfigPath) }];
    case 'delete-token': {
      const id = fix.data.id;
      return [{ label: 'Revoke Token', run: () => calls.revokeTokens([id]) }];
    }
    case 'list':
      return [{ label: 'Refresh', run: () => calls.refresh() }];
  }
}
