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
import { createCsrInformer, createTokenInformer, type Informer, type InformerState } from '../core/cluster/informer';

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
  const handlers = h as WatchHandlers<CsrInfo | TokenInfo>;
  const offs = [
    // The first list arrives as ADDED events followed by onSynced: take it whole from onSynced (one
    // refresh of the group); after that each event is applied on its own.
    (informer as Informer<CsrInfo | TokenInfo>).onEvent((e) => {
      if (!informer.synced) return;
      if (e.type === 'DELETED') handlers.remove(e.key);
      else handlers.upsert(e.item, e.type === 'ADDED' ? 'added' : 'modified');
    }),
    (informer as Informer<CsrInfo | TokenInfo>).onSynced((items) => handlers.reset(items)),
    informer.onState((s) => handlers.state(s.state, s.error)),
  ];
  return new vscode.Disposable(() => {
    for (const off of offs) off();
    informer.dispose();
  });
}
