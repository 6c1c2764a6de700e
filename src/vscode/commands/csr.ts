import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import { escapeMarkdown, summarizeRequest } from '../../core/csr/summary';
import type { CsrInfo, CsrReview } from '../../core/types';
import { BuiltinCommands, Commands, REVIEW_SCHEME } from '../constants';
import type { FeatureContext } from '../features';
import { CsrNode } from '../views/nodes';
import { plural, reportError, notify } from './util';

/** Options a caller (a test, the agent feature, a notification) may pass to answer the prompts. */
export interface CsrCommandOptions {
  /** Answers the confirmation (Deny, Delete, approving a failing request) without asking. */
  confirm?: boolean;
}

export interface CsrCommandResult {
  done: string[];
  skipped: { name: string; why: string }[];
  failed: { name: string; error: string }[];
}

type Target = CsrNode | string | undefined;

/**
 * Tree menus call a command with (clickedNode, selectedNodes); other callers pass a CSR name, and
 * may add options: `executeCommand('krustlet.approveCsr', 'node1-tls', undefined, { confirm: true })`.
 */
function targets(ctx: FeatureContext, target: Target, selection: unknown): CsrNode[] {
  const fromSelection = Array.isArray(selection) ? selection.filter((n): n is CsrNode => n instanceof CsrNode) : [];
  const clicked = typeof target === 'string' ? ctx.tree.csrNode(target) : target instanceof CsrNode ? target : undefined;
  if (clicked && fromSelection.length > 1 && fromSelection.includes(clicked)) return fromSelection;
  if (clicked) return [clicked];
  if (typeof target === 'string') return [];
  return ctx.view.selection.filter((n): n is CsrNode => n instanceof CsrNode);
}

/** The freshest copy we hold of a node's CSR: the informer's (it may be newer than the node's), else the node's. */
function known(ctx: FeatureContext, n: CsrNode): CsrInfo {
  return ctx.service.csrs.get(n.info.name) ?? n.info;
}

function reasonsText(review: CsrReview): string {
  return review.findings
    .filter((f) => f.verdict !== 'pass')
    .map((f) => `${f.verdict === 'fail' ? '✗' : '⚠'} ${f.message}`)
    .join('\n');
}

export async function approveCsrs(ctx: FeatureContext, target: Target, selection?: unknown, options: CsrCommandOptions = {}): Promise<CsrCommandResult> {
  const result: CsrCommandResult = { done: [], skipped: [], failed: [] };
  const nodes = targets(ctx, target, selection);
  if (!nodes.length) {
    if (typeof target === 'string') reportError(ctx, 'Approve', new Error(`No certificate signing request named '${target}' is listed.`));
    return result;
  }
  const multi = nodes.length > 1;
  const toApprove: CsrNode[] = [];
  for (const n of nodes) {
    if (!n.pending) result.skipped.push({ name: n.info.name, why: `already ${n.info.state}` });
    // Several at once: only those that pass (or only warn). A failing one needs its own, explicit confirmation.
    else if (multi && n.failing) result.skipped.push({ name: n.info.name, why: 'fails the review: approve it on its own after reading the reasons' });
    else toApprove.push(n);
  }
  if (!multi && toApprove.length === 1 && toApprove[0].failing && options.confirm !== true) {
    const n = toApprove[0];
    const review = n.review;
    const what = review.decoded ? 'fails the review' : 'cannot be decoded';
    const choice = await ctx.prompter.warning(
      `Certificate signing request '${n.info.name}' ${what}. Approve it anyway?`,
      { modal: true, detail: `${reasonsText(review)}\n\nApproving lets the signer issue a certificate for exactly what the request asks for.` },
      'Approve Anyway',
    );
    if (choice !== 'Approve Anyway') {
      result.skipped.push({ name: n.info.name, why: 'not confirmed' });
      return result;
    }
    ctx.log.warn(`Approving ${n.info.name} although its review failed (confirmed by the user): ${review.findings.filter((f) => f.verdict === 'fail').map((f) => f.message).join(' ')}`);
  }
  if (toApprove.length) {
    let cluster;
    try {
      cluster = await ctx.service.requireCluster();
    } catch (e) {
      reportError(ctx, 'Approve', e);
      for (const n of toApprove) result.failed.push({ name: n.info.name, error: describeError(e) });
      return result;
    }
    for (const n of toApprove) {
      try {
        // The informer's copy saves the GET: one PUT with its resourceVersion (a stale copy gets 409 and is re-read).
        await cluster.approveCsr(n.info.name, 'KrustletBootstrapApprove', 'Approved in VS Code (Krustlet Bootstrap) after review', known(ctx, n));
        ctx.log.info(`Approved certificate signing request ${n.info.name} (review: ${n.review.verdict}).`);
        result.done.push(n.info.name);
      } catch (e) {
        result.failed.push({ name: n.info.name, error: reportError(ctx, `Approving ${n.info.name} failed`, e) });
      }
    }
  }
  summarize(ctx, 'Approved', result);
  return result;
}

export async function denyCsrs(ctx: FeatureContext, target: Target, selection?: unknown, options: CsrCommandOptions = {}): Promise<CsrCommandResult> {
  const result: CsrCommandResult = { done: [], skipped: [], failed: [] };
  const nodes = targets(ctx, target, selection);
  const pending = nodes.filter((n) => n.pending);
  for (const n of nodes) if (!n.pending) result.skipped.push({ name: n.info.name, why: `already ${n.info.state}` });
  if (!pending.length) {
    if (typeof target === 'string' && !nodes.length) reportError(ctx, 'Deny', new Error(`No certificate signing request named '${target}' is listed.`));
    return result;
  }
  if (options.confirm !== true) {
    const names = pending.map((n) => n.info.name).join(', ');
    const choice = await ctx.prompter.warning(
      pending.length === 1 ? `Deny certificate signing request '${names}'?` : `Deny ${pending.length} certificate signing requests?`,
      {
        modal: true,
        detail: `${pending.length > 1 ? `${names}\n\n` : ''}A denied request cannot be approved later. A Krustlet agent waiting on it waits forever: stop it, delete the request, and start the agent again.`,
      },
      'Deny',
    );
    if (choice !== 'Deny') {
      for (const n of pending) result.skipped.push({ name: n.info.name, why: 'not confirmed' });
      return result;
    }
  }
  let cluster;
  try {
    cluster = await ctx.service.requireCluster();
  } catch (e) {
    reportError(ctx, 'Deny', e);
    for (const n of pending) result.failed.push({ name: n.info.name, error: describeError(e) });
    return result;
  }
  for (const n of pending) {
    try {
      await cluster.denyCsr(n.info.name, 'KrustletBootstrapDeny', 'Denied in VS Code (Krustlet Bootstrap)', known(ctx, n));
      ctx.log.info(`Denied certificate signing request ${n.info.name}.`);
      result.done.push(n.info.name);
    } catch (e) {
      result.failed.push({ name: n.info.name, error: reportError(ctx, `Denying ${n.info.name} failed`, e) });
    }
  }
  summarize(ctx, 'Denied', result);
  return result;
}

export async function deleteCsrs(ctx: FeatureContext, target: Target, selection?: unknown, options: CsrCommandOptions = {}): Promise<CsrCommandResult> {
  const result: CsrCommandResult = { done: [], skipped: [], failed: [] };
  const nodes = targets(ctx, target, selection);
  if (!nodes.length) return result;
  if (options.confirm !== true) {
    const names = nodes.map((n) => n.info.name).join(', ');
    const choice = await ctx.prompter.warning(
      nodes.length === 1 ? `Delete certificate signing request '${names}'?` : `Delete ${nodes.length} certificate signing requests?`,
      { modal: true, detail: 'A stale <hostname>-tls request from an earlier run makes a restarted Krustlet agent fail: delete it before starting the agent again.' },
      'Delete',
    );
    if (choice !== 'Delete') return result;
  }
  try {
    const cluster = await ctx.service.requireCluster();
    for (const n of nodes) {
      try {
        await cluster.deleteCsr(n.info.name);
        ctx.log.info(`Deleted certificate signing request ${n.info.name}.`);
        result.done.push(n.info.name);
      } catch (e) {
        result.failed.push({ name: n.info.name, error: reportError(ctx, `Deleting ${n.info.name} failed`, e) });
      }
    }
  } catch (e) {
    reportError(ctx, 'Delete', e);
  }
  return result;
}

function summarize(ctx: FeatureContext, verb: string, r: CsrCommandResult): void {
  if (!r.done.length && !r.skipped.length) return;
  const parts: string[] = [];
  if (r.done.length) parts.push(`${verb} ${r.done.length === 1 ? r.done[0] : plural(r.done.length, 'request')}.`);
  const skipped = r.skipped.filter((s) => s.why !== 'not confirmed');
  if (skipped.length) parts.push(`Skipped ${skipped.map((s) => `${s.name} (${s.why})`).join(', ')}.`);
  if (parts.length) notify(ctx, parts.join(' '));
}

// Review: a read-only Markdown document per CSR, rendered in the Markdown preview.

export class ReviewDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly sub: vscode.Disposable;
  constructor(private readonly ctx: FeatureContext) {
    // Keep an open review current as the request changes (approved, issued …).
    this.sub = ctx.service.onDidChange((c) => {
      if (c.kind === 'csr') this.emitter.fire(reviewUri(c.name));
    });
  }
  provideTextDocumentContent(uri: vscode.Uri): string {
    const name = decodeURIComponent(uri.path.replace(/^\//, '').replace(/\.md$/, ''));
    const node = this.ctx.tree.csrNode(name);
    if (!node) return `# ${name}\n\nThis certificate signing request is no longer listed (deleted, or another cluster is selected).\n`;
    return reviewMarkdown(node);
  }
  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

export function reviewUri(name: string): vscode.Uri {
  return vscode.Uri.from({ scheme: REVIEW_SCHEME, path: `/${encodeURIComponent(name)}.md` });
}

export function reviewMarkdown(node: CsrNode): string {
  const review = node.review;
  const summary = summarizeRequest(node.info, review);
  const all = review.findings.map((f) => `- ${f.verdict === 'pass' ? '✓' : f.verdict === 'warn' ? '⚠' : '✗'} ${escapeMarkdown(f.message)}`);
  return [
    `# Certificate signing request review`,
    '',
    summary.markdown,
    '',
    '## Every check',
    '',
    ...all,
    '',
    '## The request (PEM)',
    '',
    '```',
    node.info.requestPem.trim(),
    '```',
    '',
  ].join('\n');
}

export async function reviewCsrCommand(ctx: FeatureContext, target: Target, _selection?: unknown, options: { show?: boolean } = {}): Promise<CsrReview | undefined> {
  const node = typeof target === 'string' ? ctx.tree.csrNode(target) : target instanceof CsrNode ? target : ctx.view.selection.find((n): n is CsrNode => n instanceof CsrNode);
  if (!node) {
    if (typeof target === 'string') reportError(ctx, 'Review', new Error(`No certificate signing request named '${target}' is listed.`));
    return undefined;
  }
  const review = node.review;
  ctx.log.info(`Review of ${node.info.name}: ${review.verdict}. ${review.findings.filter((f) => f.verdict !== 'pass').map((f) => `[${f.verdict}] ${f.message}`).join(' ')}`);
  if (options.show !== false) {
    await vscode.commands.executeCommand(BuiltinCommands.showMarkdownPreview, reviewUri(node.info.name));
  }
  return review;
}

export function registerCsrCommands(ctx: FeatureContext): vscode.Disposable[] {
  const docs = new ReviewDocuments(ctx);
  return [
    docs,
    vscode.workspace.registerTextDocumentContentProvider(REVIEW_SCHEME, docs),
    vscode.commands.registerCommand(Commands.approveCsr, (t?: Target, s?: unknown, o?: CsrCommandOptions) => approveCsrs(ctx, t, s, o)),
    vscode.commands.registerCommand(Commands.denyCsr, (t?: Target, s?: unknown, o?: CsrCommandOptions) => denyCsrs(ctx, t, s, o)),
    vscode.commands.registerCommand(Commands.deleteCsr, (t?: Target, s?: unknown, o?: CsrCommandOptions) => deleteCsrs(ctx, t, s, o)),
    vscode.commands.registerCommand(Commands.reviewCsr, (t?: Target, s?: unknown, o?: { show?: boolean }) => reviewCsrCommand(ctx, t, s, o)),
  ];
}
