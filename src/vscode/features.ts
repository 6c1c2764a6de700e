import type * as vscode from 'vscode';
import type { CsrReview, PreflightFinding } from '../core/types';
import type { StartAgentOptions, StartAgentResult } from './agent/start';
import type { ClusterService } from './clusterService';
import type { BootstrapCommandResult, BootstrapOptions } from './commands/bootstrap';
import type { CsrCommandResult } from './commands/csr';
import type { TokenCommandResult } from './commands/tokens';
import type { ExtensionLog } from './log';
import type { Prompter } from './prompter';
import type { Reviews } from './reviews';

/**
 * What every feature's `register…(ctx)` receives: the shared pieces, built once in activate().
 * Each register function returns its disposables and the calls it provides. The tree and the view
 * are not here: only view code (src/vscode/views) holds them.
 */
export interface FeatureContext {
  readonly extension: vscode.ExtensionContext;
  /** The "Krustlet" LogOutputChannel behind the core's Logger (redacting). Pass it as `logger` to core calls. */
  readonly log: ExtensionLog;
  /** The connection and its live collections (CSRs, tokens): the only store of cluster facts. */
  readonly service: ClusterService;
  /** Every CSR review, computed once per request version and review context. */
  readonly reviews: Reviews;
  /** All user interaction. */
  readonly prompter: Prompter;
  /** How a feature reaches another: a typed function, never `executeCommand`. */
  readonly calls: FeatureCalls;
}

/** Answers for a command's confirmation. Outside tests only features pass them to each other (see commands/index.ts). */
export interface ConfirmOptions {
  /** Answers the confirmation (Deny, Delete, Revoke, Apply RBAC, approving a failing request) with yes. */
  confirm?: boolean;
}

/**
 * Every user-level function of the extension. Each command is a thin wrapper over one of these
 * (src/vscode/commands/index.ts), and features call each other through them: Start Agent → Bootstrap,
 * the debug configuration → Bootstrap, Start Agent → Select Context, the notifier → Approve …
 */
export interface FeatureCalls {
  refresh(): Promise<void>;
  /** The chosen context ('' = follow the kubeconfig's current one), or undefined when dismissed. */
  selectContext(options?: { context?: string }): Promise<string | undefined>;
  runPreflight(): Promise<PreflightFinding[] | undefined>;
  applyRbac(options?: ConfirmOptions): Promise<boolean>;
  showLog(): void;
  bootstrap(options?: BootstrapOptions): Promise<BootstrapCommandResult | undefined>;
  /** Several at once approves only those whose review passes (or only warns). */
  approveCsrs(names: readonly string[], options?: ConfirmOptions): Promise<CsrCommandResult>;
  denyCsrs(names: readonly string[], options?: ConfirmOptions): Promise<CsrCommandResult>;
  deleteCsrs(names: readonly string[], options?: ConfirmOptions): Promise<CsrCommandResult>;
  reviewCsr(name: string, options?: { show?: boolean }): Promise<CsrReview | undefined>;
  copyToken(id: string): Promise<boolean>;
  revokeTokens(ids: readonly string[], options?: ConfirmOptions): Promise<TokenCommandResult>;
  startAgent(options?: StartAgentOptions): Promise<StartAgentResult>;
  stopAgent(): Promise<boolean>;
  showAgentProgress(): Promise<void>;
  /** Approves the current agent run's pending serving CSR (same review and confirmation as Approve). */
  approveAgentServingCsr(): Promise<CsrCommandResult | undefined>;
}

/**
 * The calls, bound to the features as they register (activate() registers every feature before any
 * command can run; a call before its feature registered is a bug and throws).
 */
export function featureCalls(): { calls: FeatureCalls; provide: (part: Partial<FeatureCalls>) => void } {
  const impl: Partial<FeatureCalls> = {};
  const need = <K extends keyof FeatureCalls>(k: K): FeatureCalls[K] => {
    const f = impl[k];
    if (!f) throw new Error(`Krustlet: '${k}' was called before its feature registered.`);
    return f;
  };
  const calls: FeatureCalls = {
    refresh: () => need('refresh')(),
    selectContext: (o) => need('selectContext')(o),
    runPreflight: () => need('runPreflight')(),
    applyRbac: (o) => need('applyRbac')(o),
    showLog: () => need('showLog')(),
    bootstrap: (o) => need('bootstrap')(o),
    approveCsrs: (names, o) => need('approveCsrs')(names, o),
    denyCsrs: (names, o) => need('denyCsrs')(names, o),
    deleteCsrs: (names, o) => need('deleteCsrs')(names, o),
    reviewCsr: (name, o) => need('reviewCsr')(name, o),
    copyToken: (id) => need('copyToken')(id),
    revokeTokens: (ids, o) => need('revokeTokens')(ids, o),
    startAgent: (o) => need('startAgent')(o),
    stopAgent: () => need('stopAgent')(),
    showAgentProgress: () => need('showAgentProgress')(),
    approveAgentServingCsr: () => need('approveAgentServingCsr')(),
  };
  return { calls, provide: (part) => Object.assign(impl, part) };
}
