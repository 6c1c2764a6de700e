import * as vscode from 'vscode';
import { SIGNER_KUBELET_SERVING } from '../core/csr/format';
import type { CsrInfo } from '../core/types';
import { Commands } from './constants';
import type { FeatureContext } from './features';
import { autoApproveIdenticalRenewalsSetting } from './config';
import { autoRenewalReason } from './renewals';
import { plainText } from './text';

/**
 * A new pending kubelet-serving CSR `<hostname>-tls` for a hostname this workspace expects
 * (`krustlet.expectedHostnames`, or remembered by Bootstrap / Start Agent) pops a notification with
 * Approve / Review — once per request — that closes by itself once the request is decided (by anyone) or deleted.
 */
export function registerCsrNotifier(ctx: FeatureContext): vscode.Disposable {
  const notified = new Set<string>();
  const check = (csr: CsrInfo, expected: readonly string[]) => {
    if (csr.state !== 'pending' || csr.signerName !== SIGNER_KUBELET_SERVING) return;
    const key = csr.uid ?? csr.name;
    if (notified.has(key)) return;
    const host = expected.find((h) => `${h.toLowerCase()}-tls` === csr.name.toLowerCase());
    if (!host) return;
    notified.add(key);
    // An identical renewal the workspace approves by itself needs nobody's attention (it is logged).
    if (autoApproveIdenticalRenewalsSetting() && autoRenewalReason(ctx, csr)) return;
    const review = ctx.reviews.get(csr);
    const name = plainText(csr.name);
    const who = plainText(host);
    ctx.log.info(`Node ${host} asks for its serving certificate (${csr.name}, review: ${review.verdict}).`);
    const message =
      review.verdict === 'fail'
        ? `Node ${who} asks for its serving certificate (${name}), but the request fails the review.`
        : `Node ${who} asks for its serving certificate (${name}). Review: ${review.verdict}.`;
    // Open until the request is decided — by this window, another client, or kubectl — or gone: then it closes.
    const decided = new Promise<void>((resolve) => {
      const sub = ctx.service.csrs.onDidChange((c) => {
        const now = c.type === 'added' || c.type === 'modified' || c.type === 'deleted' ? (c.key === csr.name ? c : undefined) : undefined;
        const gone = now?.type === 'deleted' || (now !== undefined && now.item.state !== 'pending') ||
          (c.type === 'reset' && ctx.service.csrs.synced && ctx.service.csrs.get(csr.name)?.state !== 'pending');
        if (!gone) return;
        sub.dispose();
        subs.delete(sub);
        resolve();
      });
      subs.add(sub);
    });
    void ctx.prompter.notice(message, [
      { title: 'Approve', command: Commands.approveCsr, arguments: [csr.name] },
      { title: 'Review', command: Commands.reviewCsr, arguments: [csr.name] },
    ], decided);
  };
  const subs = new Set<vscode.Disposable>();
  const main = ctx.service.csrs.onDidChange((c) => {
    if (c.type === 'added' || c.type === 'modified') check(c.item, ctx.service.expectedHostnames());
    else if (c.type === 'reset') {
      const expected = ctx.service.expectedHostnames();
      for (const csr of ctx.service.csrs.list()) check(csr, expected);
    }
  });
  return new vscode.Disposable(() => {
    main.dispose();
    for (const sub of subs) sub.dispose();
  });
}
