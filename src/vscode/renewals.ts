/**
 * Opt-in (krustlet.autoApproveIdenticalRenewals, default off): a pending kubelet-serving request of a
 * node this workspace bootstrapped or lists (krustlet.expectedHostnames) that renews exactly the
 * certificate the node already has (same subject and SANs) and does not fail its review is approved
 * by itself — the rotation a kubelet with serverTLSBootstrap asks for every few months. Anything else
 * waits for a person. Every automatic approval is logged with its reason, and the approval condition
 * carries reason {@link AUTO_RENEWAL_REASON}, which the tree marks.
 */
import * as vscode from 'vscode';
import { nodeNameOf } from '../core/csr/context';
import { SIGNER_KUBELET_SERVING } from '../core/csr/format';
import { describeError } from '../core/errors';
import type { CsrInfo } from '../core/types';
import { affects, autoApproveIdenticalRenewalsSetting } from './config';
import { AUTO_RENEWAL_REASON, Settings } from './constants';
import type { FeatureContext } from './features';

export { AUTO_RENEWAL_REASON };

/** Why this request may be approved automatically, or undefined (then it is left to a person). */
export function autoRenewalReason(ctx: FeatureContext, csr: CsrInfo): string | undefined {
  if (csr.state !== 'pending' || csr.signerName !== SIGNER_KUBELET_SERVING) return undefined;
  const node = nodeNameOf(csr.username);
  // Krustlet requests as the lowercased hostname: compared without case.
  if (!node || !ctx.service.expectedHostnames().some((h) => h.toLowerCase() === node.toLowerCase())) return undefined;
  const review = ctx.reviews.get(csr);
  if (!review.renewal?.identical || review.verdict === 'fail') return undefined;
  return `renewal of an identical certificate (${review.renewal.from}: same subject and SANs) for node '${node}', which this workspace bootstrapped or lists; review ${review.verdict}`;
}

export function registerRenewalAutoApprover(ctx: FeatureContext): vscode.Disposable {
  const tried = new Set<string>();
  const consider = (csr: CsrInfo) => {
    const key = `${csr.uid ?? csr.name}`;
    if (tried.has(key)) return;
    const why = autoRenewalReason(ctx, csr);
    if (!why) return;
    const cluster = ctx.service.cluster;
    if (!cluster) return;
    tried.add(key);
    ctx.log.info(`Approving ${csr.name} automatically: ${why} (krustlet.autoApproveIdenticalRenewals is on).`);
    cluster.approveCsr(csr.name, AUTO_RENEWAL_REASON, `Approved automatically by Krustlet Bootstrap: ${why}.`, csr).then(
      () => ctx.log.info(`Approved ${csr.name} automatically (identical renewal).`),
      (e: unknown) => ctx.log.warn(`Automatic approval of ${csr.name} failed: ${describeError(e)} It waits for a person now.`),
    );
  };
  const all = () => {
    if (!autoApproveIdenticalRenewalsSetting()) return;
    for (const c of ctx.service.csrs.list()) if (c.state === 'pending' && c.signerName === SIGNER_KUBELET_SERVING) consider(c);
  };
  return vscode.Disposable.from(
    ctx.service.csrs.onDidChange((c) => {
      if ((c.type === 'added' || c.type === 'modified') && autoApproveIdenticalRenewalsSetting()) consider(c.item);
      else if (c.type === 'reset') all();
    }),
    // A renewal may become identical-and-known later: the old certificate's CSR listed, the node's facts loaded.
    ctx.reviews.onDidReview(() => all()),
    ctx.reviews.onDidChangeContext(() => all()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, Settings.autoApproveIdenticalRenewals)) all();
    }),
  );
}
