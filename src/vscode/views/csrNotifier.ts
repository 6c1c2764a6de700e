import * as vscode from 'vscode';
import { SIGNER_KUBELET_SERVING } from '../../core/csr/format';
import { Commands } from '../constants';
import type { FeatureContext } from '../features';
import type { CsrNode } from './nodes';

/**
 * A new pending kubelet-serving CSR `<hostname>-tls` for a hostname this workspace expects
 * (`krustlet.expectedHostnames`, or remembered by Bootstrap / Start Agent) pops a notification with
 * Approve / Review — once per request.
 */
export function registerCsrNotifier(ctx: FeatureContext): vscode.Disposable {
  const notified = new Set<string>();
  const check = (node: CsrNode | undefined) => {
    if (!node || !node.pending || node.info.signerName !== SIGNER_KUBELET_SERVING) return;
    const key = node.info.uid ?? node.info.name;
    if (notified.has(key)) return;
    const host = ctx.service.expectedHostnames().find((h) => `${h.toLowerCase()}-tls` === node.info.name.toLowerCase());
    if (!host) return;
    notified.add(key);
    const review = node.review;
    ctx.log.info(`Node ${host} asks for its serving certificate (${node.info.name}, review: ${review.verdict}).`);
    const name = node.info.name;
    const message =
      review.verdict === 'fail'
        ? `Node ${host} asks for its serving certificate (${name}), but the request fails the review.`
        : `Node ${host} asks for its serving certificate (${name}). Review: ${review.verdict}.`;
    void ctx.prompter.info(message, {}, 'Approve', 'Review').then((choice) => {
      if (choice === 'Approve') void vscode.commands.executeCommand(Commands.approveCsr, name);
      else if (choice === 'Review') void vscode.commands.executeCommand(Commands.reviewCsr, name);
    });
  };
  return ctx.tree.onDidApplyChange((c) => {
    if (c.kind === 'csr' && c.op !== 'deleted') check(ctx.tree.csrNode(c.name));
    else if (c.kind === 'csrs-reset') for (const n of ctx.tree.pendingServingCsrs()) check(n);
  });
}
