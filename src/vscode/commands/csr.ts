import * as vscode from 'vscode';
import { findingText, summarizeRequest } from '../../core/csr/summary';
import type { Cluster } from '../../core/cluster';
import { describeError, KrustletError } from '../../core/errors';
import type { CsrInfo, CsrReview } from '../../core/types';
import { BuiltinCommands, REVIEW_SCHEME } from '../constants';
import type { ConfirmOptions, FeatureCalls, FeatureContext } from '../features';
import { codeBlock, escapedMarkdown, markdownText, MAX_DETAIL, plainText } from '../text';
import { plural, reportError, notify } from './util';
import { APPROVE_CONCURRENCY, mapLimit } from '../../core/limit';

export interface CsrCommandResult {
  done: string[];
  skipped: { name: string; why: string }[];
  failed: { name: string; error: string }[];
}

function notListed(name: string): KrustletError {
  return new KrustletError('not-found', `No certificate signing request named '${plainText(name)}' is listed.`, 'It was deleted, or another cluster is selected.', { fix: { kind: 'list', data: { what: 'csrs' } } });
}

/** The CSRs the store holds under these names; the names it does not hold go to `result.skipped`. */
function listed(ctx: FeatureContext, names: readonly string[], result: CsrCommandResult): CsrInfo[] {
  const out: CsrInfo[] = [];
  for (const name of names) {
    const csr = ctx.service.csrs.get(name);
    if (csr) out.push(csr);
    else result.skipped.push({ name, why: 'no longer listed' });
  }
  return out;
}

/** The reasons a review did not pass, one per line, for a modal's detail. */
function reasonsText(review: CsrReview): string {
  return review.findings
    .filter((f) => f.verdict !== 'pass')
    .map((f) => `${f.verdict === 'fail' ? '✗' : '⚠'} ${plainText(findingText(f), MAX_DETAIL)}`)
    .join('\n');
}

async function approveCsrs(ctx: FeatureContext, names: readonly string[], options: ConfirmOptions = {}): Promise<CsrCommandResult> {
  const result: CsrCommandResult = { done: [], skipped: [], failed: [] };
  const csrs = listed(ctx, names, result);
  if (!csrs.length) {
    if (names.length === 1) reportError(ctx, 'Approve', notListed(names[0]));
    return result;
  }
  const multi = names.length > 1;
  const toApprove: CsrInfo[] = [];
  for (const c of csrs) {
    if (c.state !== 'pending') result.skipped.push({ name: c.name, why: `already ${c.state}` });
    // Several at once: only those that pass (or only warn). A failing one needs its own, explicit confirmation.
    else if (multi && ctx.reviews.get(c).verdict === 'fail') result.skipped.push({ name: c.name, why: 'fails the review: approve it on its own after reading the reasons' });
    else toApprove.push(c);
  }
  if (!multi && toApprove.length === 1 && options.confirm !== true) {
    const c = toApprove[0];
    const review = ctx.reviews.get(c);
    if (review.verdict === 'fail') {
      const what = review.decoded ? 'fails the review' : 'cannot be decoded';
      const choice = await ctx.prompter.warning(
        `Certificate signing request '${plainText(c.name)}' ${what}. Approve it anyway?`,
        { modal: true, detail: `${reasonsText(review)}\n\nApproving lets the signer issue a certificate for exactly what the request asks for.` },
        'Approve Anyway',
      );
      if (choice !== 'Approve Anyway') {
        result.skipped.push({ name: c.name, why: 'not confirmed' });
        return result;
      }
      ctx.log.warn(`Approving ${c.name} although its review failed (confirmed by the user): ${review.findings.filter((f) => f.verdict === 'fail').map((f) => f.message).join(' ')}`);
    }
  }
  if (toApprove.length) {
    await decide(ctx, 'Approve', toApprove, result, async (cluster, c) => {
      // The informer's copy saves the GET: one PUT with its resourceVersion (a stale copy gets 409 and is re-read).
      await cluster.approveCsr(c.name, 'KrustletBootstrapApprove', 'Approved in VS Code (Krustlet Bootstrap) after review', c);
      ctx.log.info(`Approved certificate signing request ${c.name} (review: ${ctx.reviews.get(c).verdict}).`);
    });
  }
  summarize(ctx, 'Approved', result);
  return result;
}

async function denyCsrs(ctx: FeatureContext, names: readonly string[], options: ConfirmOptions = {}): Promise<CsrCommandResult> {
  const result: CsrCommandResult = { done: [], skipped: [], failed: [] };
  const csrs = listed(ctx, names, result);
  const pending = csrs.filter((c) => c.state === 'pending');
  for (const c of csrs) if (c.state !== 'pending') result.skipped.push({ name: c.name, why: `already ${c.state}` });
  if (!pending.length) {
    if (names.length === 1 && !csrs.length) reportError(ctx, 'Deny', notListed(names[0]));
    return result;
  }
  if (options.confirm !== true) {
    const shown = pending.map((c) => plainText(c.name)).join(', ');
    const choice = await ctx.prompter.warning(
      pending.length === 1 ? `Deny certificate signing request '${shown}'?` : `Deny ${pending.length} certificate signing requests?`,
      {
        modal: true,
        detail: `${pending.length > 1 ? `${shown}\n\n` : ''}A denied request cannot be approved later. A Krustlet agent waiting on it waits forever: stop it, delete the request, and start the agent again.`,
      },
      'Deny',
    );
    if (choice !== 'Deny') {
      for (const c of pending) result.skipped.push({ name: c.name, why: 'not confirmed' });
      return result;
    }
  }
  await decide(ctx, 'Deny', pending, result, async (cluster, c) => {
    await cluster.denyCsr(c.name, 'KrustletBootstrapDeny', 'Denied in VS Code (Krustlet Bootstrap)', c);
    ctx.log.info(`Denied certificate signing request ${c.name}.`);
  });
  summarize(ctx, 'Denied', result);
  return result;
}

async function deleteCsrs(ctx: FeatureContext, names: readonly string[], options: ConfirmOptions = {}): Promise<CsrCommandResult> {
  const result: CsrCommandResult = { done: [], skipped: [], failed: [] };
  const csrs = listed(ctx, names, result);
  if (!csrs.length) return result;
  if (options.confirm !== true) {
    const shown = csrs.map((c) => plainText(c.name)).join(', ');
    const choice = await ctx.prompter.warning(
      csrs.length === 1 ? `Delete certificate signing request '${shown}'?` : `Delete ${csrs.length} certificate signing requests?`,
      { modal: true, detail: 'A stale <hostname>-tls request from an earlier run makes a restarted Krustlet agent fail: delete it before starting the agent again.' },
      'Delete',
    );
    if (choice !== 'Delete') return result;
  }
  await decide(ctx, 'Delete', csrs, result, async (cluster, c) => {
    await cluster.deleteCsr(c.name);
    ctx.log.info(`Deleted certificate signing request ${c.name}.`);
  });
  return result;
}

/** Runs `act` on each request in turn; each failure is reported and recorded, the others still run. */
async function decide(
  ctx: FeatureContext,
  verb: 'Approve' | 'Deny' | 'Delete',
  csrs: readonly CsrInfo[],
  result: CsrCommandResult,
  act: (cluster: Cluster, csr: CsrInfo) => Promise<void>,
): Promise<void> {
  let cluster;
  try {
    cluster = await ctx.service.requireCluster();
  } catch (e) {
    reportError(ctx, verb, e);
    for (const c of csrs) result.failed.push({ name: c.name, error: describeError(e) });
    return;
  }
  const ing = { Approve: 'Approving', Deny: 'Denying', Delete: 'Deleting' }[verb];
  // Several at once, a bounded number in flight (each is one request); results in the order given.
  const settled = await mapLimit(csrs, APPROVE_CONCURRENCY, (c) => act(cluster, c));
  settled.forEach((s, i) => {
    const c = csrs[i];
    if (s.status === 'fulfilled') result.done.push(c.name);
    else result.failed.push({ name: c.name, error: reportError(ctx, `${ing} ${plainText(c.name)} failed`, s.reason) });
  });
}

function summarize(ctx: FeatureContext, verb: string, r: CsrCommandResult): void {
  if (!r.done.length && !r.skipped.length) return;
  const parts: string[] = [];
  if (r.done.length) parts.push(`${verb} ${r.done.length === 1 ? plainText(r.done[0]) : plural(r.done.length, 'request')}.`);
  const skipped = r.skipped.filter((s) => s.why !== 'not confirmed');
  const shown = skipped.slice(0, 5).map((s) => `${plainText(s.name)} (${s.why})`);
  if (skipped.length > shown.length) shown.push(`and ${skipped.length - shown.length} more (see the log)`);
  if (skipped.length) parts.push(`Skipped ${shown.join(', ')}.`);
  if (skipped.length > 5) ctx.log.info(`${verb}: skipped ${skipped.map((s) => `${s.name} (${s.why})`).join(', ')}.`);
  if (parts.length) notify(ctx, parts.join(' '));
}

// Review: a read-only Markdown document per CSR, rendered in the Markdown preview.

class ReviewDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subs: vscode.Disposable[];
  constructor(private readonly ctx: FeatureContext) {
    // Keep an open review current as the request changes (approved, issued …) and when the review context does.
    this.subs = [
      ctx.service.csrs.onDidChange((c) => {
        if (c.type === 'added' || c.type === 'modified' || c.type === 'deleted') this.emitter.fire(reviewUri(c.key));
        else if (c.type === 'reset') this.refreshOpen();
      }),
      ctx.reviews.onDidChangeContext(() => this.refreshOpen()),
      // The facts a request's review read changed (its Node's addresses, its token …).
      ctx.reviews.onDidReview((names) => {
        const changed = new Set(names);
        for (const d of vscode.workspace.textDocuments) if (d.uri.scheme === REVIEW_SCHEME && changed.has(decodeURIComponent(d.uri.path.replace(/^\//, '').replace(/\.md$/, '')))) this.emitter.fire(d.uri);
      }),
    ];
  }
  private refreshOpen(): void {
    for (const d of vscode.workspace.textDocuments) if (d.uri.scheme === REVIEW_SCHEME) this.emitter.fire(d.uri);
  }
  provideTextDocumentContent(uri: vscode.Uri): string {
    const name = decodeURIComponent(uri.path.replace(/^\//, '').replace(/\.md$/, ''));
    const csr = this.ctx.service.csrs.get(name);
    if (!csr) return `# ${markdownText(name)}\n\nThis certificate signing request is no longer listed (deleted, or another cluster is selected).\n`;
    return reviewMarkdown(csr, this.ctx.reviews.get(csr));
  }
  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}

function reviewUri(name: string): vscode.Uri {
  return vscode.Uri.from({ scheme: REVIEW_SCHEME, path: `/${encodeURIComponent(name)}.md` });
}

function reviewMarkdown(csr: CsrInfo, review: CsrReview): string {
  const summary = summarizeRequest(csr, review);
  const all = review.findings.map((f) => `- ${f.verdict === 'pass' ? '✓' : f.verdict === 'warn' ? '⚠' : '✗'} ${markdownText(findingText(f))}`);
  return [
    `# Certificate signing request review`,
    '',
    escapedMarkdown(summary.markdown),
    '',
    '## Every check',
    '',
    ...all,
    '',
    '## The request (PEM)',
    '',
    codeBlock(csr.requestPem.trim()),
    '',
  ].join('\n');
}

async function reviewCsr(ctx: FeatureContext, name: string, options: { show?: boolean } = {}): Promise<CsrReview | undefined> {
  const csr = ctx.service.csrs.get(name);
  if (!csr) {
    reportError(ctx, 'Review', notListed(name));
    return undefined;
  }
  const review = ctx.reviews.get(csr);
  ctx.log.info(`Review of ${csr.name}: ${review.verdict}. ${review.findings.filter((f) => f.verdict !== 'pass').map((f) => `[${f.verdict}] ${findingText(f)}`).join(' ')}`);
  if (options.show !== false) await vscode.commands.executeCommand(BuiltinCommands.showMarkdownPreview, reviewUri(csr.name));
  return review;
}

/** Approve, Deny, Delete and Review, with the review documents behind Review. */
export function registerCsrFeature(ctx: FeatureContext): { calls: Pick<FeatureCalls, 'approveCsrs' | 'denyCsrs' | 'deleteCsrs' | 'reviewCsr'>; disposables: vscode.Disposable[] } {
  const docs = new ReviewDocuments(ctx);
  return {
    calls: {
      approveCsrs: (names, o) => approveCsrs(ctx, names, o),
      denyCsrs: (names, o) => denyCsrs(ctx, names, o),
      deleteCsrs: (names, o) => deleteCsrs(ctx, names, o),
      reviewCsr: (name, o) => reviewCsr(ctx, name, o),
    },
    disposables: [docs, vscode.workspace.registerTextDocumentContentProvider(REVIEW_SCHEME, docs)],
  };
}
