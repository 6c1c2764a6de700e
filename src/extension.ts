/**
 * activate() only wires: it builds the shared pieces (log, cluster service, reviews, the view), lets
 * each feature register, binds the features' typed calls, and registers the commands over them.
 * Nothing connects to a cluster or loads @kubernetes/client-node here: that happens when the view
 * first asks for its children or a command first needs the cluster.
 */
import * as vscode from 'vscode';
import { registerAgentFeature } from './vscode/agent';
import { ClusterService } from './vscode/clusterService';
import { bootstrapCalls, interruptBootstraps } from './vscode/commands/bootstrap';
import { clusterCalls } from './vscode/commands/cluster';
import { registerCsrFeature } from './vscode/commands/csr';
import { commandHandlers, registerCommands } from './vscode/commands/index';
import { tokenCalls } from './vscode/commands/tokens';
import { registerCsrNotifier } from './vscode/csrNotifier';
import { registerRenewalAutoApprover } from './vscode/renewals';
import { featureCalls, type FeatureCalls, type FeatureContext } from './vscode/features';
import { createExtensionLog } from './vscode/log';
import { registerBootstrapConfigContext } from './vscode/walkthrough';
import { delegatingPrompter, type Prompter, vscodePrompter } from './vscode/prompter';
import { Reviews } from './vscode/reviews';
import { type ClusterTreeProvider, registerClusterView } from './vscode/views/clusterTree';

/** What activate() returns to any extension: nothing that changes the extension's behaviour. */
export interface KrustletApi {
  readonly version: string;
}

/** What activate() returns when the extension runs its tests (ExtensionMode.Test): the parts, and the test hooks. */
export interface KrustletTestApi extends KrustletApi {
  readonly tree: ClusterTreeProvider;
  readonly service: ClusterService;
  readonly reviews: Reviews;
  /** The features' typed calls (as the commands reach them). */
  readonly calls: FeatureCalls;
  /** The most recent log lines, as written to the "Krustlet" output channel (redacted). */
  logLines(): readonly string[];
  /** The extension's log folder; the channel's file is `Krustlet.log` in it. */
  readonly logUri: vscode.Uri;
  /** Milliseconds activate() took. */
  readonly activationMs: number;
  /** Answer every prompt (modal dialogs included) with a scripted Prompter; undefined restores the UI. */
  setPrompter(p: Prompter | undefined): void;
}

/**
 * Who answers the extension's questions: in ExtensionMode.Test a Prompter that tests may script
 * (`script`); in every other mode the UI itself, and nothing can replace it.
 */
export function userInterface(mode: vscode.ExtensionMode): { prompter: Prompter; script?: (p: Prompter | undefined) => void } {
  if (mode !== vscode.ExtensionMode.Test) return { prompter: vscodePrompter };
  let scripted: Prompter | undefined;
  return {
    prompter: delegatingPrompter(() => scripted ?? vscodePrompter),
    script: (p) => {
      scripted = p;
    },
  };
}

/** The API for a mode: the test API only in ExtensionMode.Test, otherwise just the version. */
export function extensionApi(mode: vscode.ExtensionMode, parts: KrustletTestApi): KrustletApi {
  if (mode === vscode.ExtensionMode.Test) return parts;
  return Object.freeze({ version: parts.version });
}

export function activate(context: vscode.ExtensionContext): KrustletApi {
  const started = performance.now();
  const version = String((context.extension.packageJSON as { version?: string }).version);
  const log = createExtensionLog();
  const service = new ClusterService(log, context.workspaceState);
  const reviews = new Reviews(service);
  const ui = userInterface(context.extensionMode);
  const { calls, provide } = featureCalls();
  const ctx: FeatureContext = { extension: context, log, service, reviews, prompter: ui.prompter, calls };

  const view = registerClusterView(service, reviews);
  const csr = registerCsrFeature(ctx);
  const agent = registerAgentFeature(ctx);
  provide({ ...clusterCalls(ctx), ...bootstrapCalls(ctx), ...csr.calls, ...tokenCalls(ctx), ...agent.calls });

  context.subscriptions.push(
    log,
    service,
    reviews,
    ...view.disposables,
    ...csr.disposables,
    ...agent.disposables,
    agent.runs.onDidStartRun((run) => view.provider.followAgent(run)),
    agent.runs.onDidChangeWaiting((command) => view.provider.showWaiting(command)),
    registerCsrNotifier(ctx),
    registerRenewalAutoApprover(ctx),
    registerBootstrapConfigContext(),
    ...registerCommands(commandHandlers({ calls, mode: context.extensionMode, log, selection: () => view.view.selection })),
  );

  const activationMs = performance.now() - started;
  log.info(`Krustlet Bootstrap ${version} activated in ${activationMs.toFixed(1)} ms.`);
  return extensionApi(context.extensionMode, {
    version,
    tree: view.provider,
    service,
    reviews,
    calls,
    logLines: () => log.recentLines(),
    logUri: context.logUri,
    activationMs,
    setPrompter: (p) => ui.script?.(p),
  });
}

/** VS Code is closing (or the extension is disabled): a Bootstrap under way is interrupted and rolled back first. */
export function deactivate(): Promise<void> {
  // Everything else is disposed through context.subscriptions.
  return interruptBootstraps('VS Code is closing');
}
