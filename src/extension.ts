/**
 * activate() only wires: it builds the shared pieces (log, cluster service, tree view) and calls each
 * feature's register…(), whose disposables go into context.subscriptions. Nothing connects to a
 * cluster or loads @kubernetes/client-node here: that happens when the view first asks for its
 * children or a command first needs the cluster.
 */
import * as vscode from 'vscode';
import { ClusterService } from './vscode/clusterService';
import { registerBootstrapCommand } from './vscode/commands/bootstrap';
import { registerClusterCommands } from './vscode/commands/cluster';
import { registerCsrCommands } from './vscode/commands/csr';
import { registerTokenCommands } from './vscode/commands/tokens';
import { affects, affectsConnection } from './vscode/config';
import { Settings } from './vscode/constants';
import type { FeatureContext } from './vscode/features';
import { createExtensionLog } from './vscode/log';
import { delegatingPrompter, type Prompter, vscodePrompter } from './vscode/prompter';
import { type ClusterTreeProvider, registerClusterView } from './vscode/views/clusterTree';
import { registerCsrNotifier } from './vscode/views/csrNotifier';
import { registerAgentFeatures } from './vscode/agent';

/** What activate() returns: a small API for tests (and other extensions, should they want it). */
export interface KrustletApi {
  readonly tree: ClusterTreeProvider;
  readonly service: ClusterService;
  /** The most recent log lines, as written to the "Krustlet" output channel (redacted). */
  logLines(): readonly string[];
  /** The extension's log folder; the channel's file is `Krustlet.log` in it. */
  readonly logUri: vscode.Uri;
  /** Milliseconds activate() took. */
  readonly activationMs: number;
  /** Tests only: answer every prompt (modal dialogs included) with a scripted Prompter; undefined restores the UI. */
  setPrompter(p: Prompter | undefined): void;
}

export function activate(context: vscode.ExtensionContext): KrustletApi {
  const started = performance.now();
  const log = createExtensionLog();
  const service = new ClusterService(log, context.workspaceState);
  const view = registerClusterView(service);
  let scripted: Prompter | undefined;
  const prompter = delegatingPrompter(() => scripted ?? vscodePrompter);
  const features: FeatureContext = { extension: context, log, service, tree: view.provider, view: view.view, prompter };

  context.subscriptions.push(
    log,
    service,
    ...view.disposables,
    ...registerClusterCommands(features),
    ...registerBootstrapCommand(features),
    ...registerCsrCommands(features),
    ...registerTokenCommands(features),
    registerCsrNotifier(features),
    ...registerAgentFeatures(features),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsConnection(e)) service.scheduleReconnect('settings changed');
      if (affects(e, Settings.expectedHostnames)) view.provider.rerender();
    }),
  );

  const activationMs = performance.now() - started;
  log.info(`Krustlet Bootstrap ${String((context.extension.packageJSON as { version?: string }).version)} activated in ${activationMs.toFixed(1)} ms.`);
  return {
    tree: view.provider,
    service,
    logLines: () => log.recentLines(),
    logUri: context.logUri,
    activationMs,
    setPrompter: (p) => {
      scripted = p;
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
