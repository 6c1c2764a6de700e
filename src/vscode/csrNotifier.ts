import * as vscode from 'vscode';
import { SIGNER_KUBELET_SERVING } from '../core/csr/format';
import type { CsrInfo } from '../core/types';
import type { FeatureContext } from './features';
import { autoApproveIdenticalRenewalsSetting } from './config';
import { autoRenewalReason } from './renewals';
import { plainText } from './text';

/**
 * A new pending kubelet-serving CSR `<hostname>-tls` for a hostname this workspace expects
 * (`krustlet.expectedHostnames`, or remembered by Bootstrap / Start Agent) pops a notification with
 * Approve / Review — once per request.
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
    void ctx.prompter.info(message, {}, 'Approve', 'Review').then((choice) => {
      if (choice === 'Approve') void ctx.calls.approveCsrs([csr.name]);
      else if (choice === 'Review') void ctx.calls.reviewCsr(csr.name);
    });
  };
  return ctx.service.csrs.onDidChange((c) => {
    if (c.type === 'added' || c.type === 'modified') check(c.item, ctx.service.expectedHostnames());
    else if (c.type === 'reset') {
      const expected = ctx.service.expectedHostnames();
      for (const csr of ctx.service.csrs.list()) check(csr, expected);
    }
  });
}
