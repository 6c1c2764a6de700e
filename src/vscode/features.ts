import type * as vscode from 'vscode';
import type { ClusterService } from './clusterService';
import type { ExtensionLog } from './log';
import type { Prompter } from './prompter';
import type { ClusterTreeProvider } from './views/clusterTree';
import type { KrustletNode } from './views/nodes';

/**
 * What every feature's `register…(ctx)` receives: the shared pieces, built once in activate().
 * Each register function returns its disposables; activate() pushes them into the subscriptions.
 */
export interface FeatureContext {
  readonly extension: vscode.ExtensionContext;
  /** The "Krustlet" LogOutputChannel behind the core's Logger (redacting). Pass it as `logger` to core calls. */
  readonly log: ExtensionLog;
  /** The connection, the live CSR and token maps, expected hostnames. */
  readonly service: ClusterService;
  /** The Krustlet view's provider (node lookup, change events). */
  readonly tree: ClusterTreeProvider;
  readonly view: vscode.TreeView<KrustletNode>;
  /** All user interaction; tests answer through command options instead. */
  readonly prompter: Prompter;
}
