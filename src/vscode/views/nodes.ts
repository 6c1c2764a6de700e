import * as vscode from 'vscode';
import { formatAge, humanDuration, shortSignerName } from '../../core/csr/format';
import { reviewCsr } from '../../core/csr/review';
import { escapeMarkdown, summarizeRequest } from '../../core/csr/summary';
import { phaseIcon, phaseText, progressMarkdown, stepDescription, stepIcon, summaryText, type IconSpec } from '../../core/agent/present';
import type { JoinProgress, JoinStep } from '../../core/agent/progress';
import { tokenExpired } from '../../core/token';
import type { CsrInfo, CsrReview, TokenInfo } from '../../core/types';
import { ContextValues, type ContextValue } from '../constants';

/**
 * The tree's typed nodes. Each keeps its data and builds its TreeItem on demand, so an event that
 * changes one CSR only needs `onDidChangeTreeData.fire(thatNode)`.
 */
export type KrustletNode = ClusterNode | GroupNode | TokenNode | CsrNode | MessageNode | AgentNode | AgentStepNode;

export interface ClusterNodeData {
  context: string;
  server?: string;
  /** Extra status shown after the server, e.g. "reconnecting…". */
  status?: string;
}

export class ClusterNode {
  readonly kind = 'cluster';
  constructor(public data: ClusterNodeData) {}
  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.data.context, vscode.TreeItemCollapsibleState.Expanded);
    item.id = 'cluster';
    item.description = [this.data.server, this.data.status].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(this.data.status ? 'sync~spin' : 'server-environment');
    item.contextValue = ContextValues.cluster;
    item.tooltip = new vscode.MarkdownString(
      `**Context:** ${escapeMarkdown(this.data.context)}\n\n**Server:** ${escapeMarkdown(this.data.server ?? '(unknown)')}${this.data.status ? `\n\n*${escapeMarkdown(this.data.status)}*` : ''}`,
    );
    return item;
  }
}

export type GroupKind = 'tokens' | 'csrs';

export class GroupNode {
  readonly kind = 'group';
  /** Shown in the description, e.g. "2 pending" or "reconnecting…". */
  description?: string;
  constructor(readonly group: GroupKind) {}
  toTreeItem(): vscode.TreeItem {
    const tokens = this.group === 'tokens';
    const item = new vscode.TreeItem(tokens ? 'Bootstrap Tokens' : 'Certificate Signing Requests', vscode.TreeItemCollapsibleState.Expanded);
    item.id = `group:${this.group}`;
    item.iconPath = new vscode.ThemeIcon(tokens ? 'key' : 'workspace-trusted');
    item.contextValue = tokens ? ContextValues.tokensGroup : ContextValues.csrsGroup;
    item.description = this.description;
    return item;
  }
}

export class TokenNode {
  readonly kind = 'token';
  constructor(public info: TokenInfo) {}

  expired(now = new Date()): boolean {
    return tokenExpired(this.info, now);
  }

  expiryText(now = new Date()): string {
    if (!this.info.expiration) return 'never expires';
    if (this.expired(now)) return 'expired';
    return `expires in ${humanDuration((this.info.expiration.getTime() - now.getTime()) / 1000)}`;
  }

  get contextValue(): ContextValue {
    return this.expired() ? ContextValues.tokenExpired : ContextValues.token;
  }

  toTreeItem(now = new Date()): vscode.TreeItem {
    const expired = this.expired(now);
    const item = new vscode.TreeItem(this.info.id, vscode.TreeItemCollapsibleState.None);
    item.id = `token:${this.info.id}`;
    // Just the expiry: the token's description (often long) is in the tooltip.
    item.description = this.expiryText(now);
    item.iconPath = expired ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon('key');
    item.contextValue = this.contextValue;
    // Never the secret: id, Secret name, expiry, usages and groups only.
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**Bootstrap token ${escapeMarkdown(this.info.id)}**${expired ? ' — **expired**' : ''}\n\n`);
    md.appendMarkdown(`- **Secret:** kube-system/${escapeMarkdown(this.info.secretName)}\n`);
    md.appendMarkdown(`- **Expires:** ${this.info.expiration ? `${escapeMarkdown(this.info.expiration.toISOString())} (${escapeMarkdown(this.expiryText(now))})` : 'never'}\n`);
    if (this.info.description) md.appendMarkdown(`- **Description:** ${escapeMarkdown(this.info.description)}\n`);
    md.appendMarkdown(`- **Usages:** ${escapeMarkdown(this.info.usages.join(', ') || '(none)')}\n`);
    md.appendMarkdown(`- **Extra groups:** ${escapeMarkdown(this.info.extraGroups.join(', ') || '(none)')}\n`);
    if (this.info.createdAt) md.appendMarkdown(`- **Created:** ${escapeMarkdown(formatAge(this.info.createdAt, now))} ago\n`);
    if (expired) md.appendMarkdown('\nThe cluster\'s token cleaner deletes expired token Secrets; revoke it now or run Bootstrap for a new one.\n');
    item.tooltip = md;
    return item;
  }
}

const CSR_ICONS: Record<CsrInfo['state'], [string, string]> = {
  pending: ['circle-large-outline', 'charts.yellow'],
  approved: ['check', 'charts.blue'],
  issued: ['pass-filled', 'testing.iconPassed'],
  denied: ['circle-slash', 'list.errorForeground'],
  failed: ['error', 'list.errorForeground'],
};

export interface CsrItemOptions {
  /**
   * The tree's render path: use the review only when it is already computed (a pending request
   * without one shows "reviewing…" and the plain pending contextValue; the provider reviews it in
   * the background), and leave the tooltip to `resolveTreeItem` (`tooltipFor`).
   */
  lazy?: boolean;
}

export class CsrNode {
  readonly kind = 'csr';
  private cachedReview?: { key: string; review: CsrReview };
  constructor(
    public info: CsrInfo,
    private readonly expectedHostnames: () => string[],
    private readonly apiServer: () => string | undefined = () => undefined,
  ) {}

  /**
   * What the review depends on: the request's spec (immutable in the API server, so the uid stands
   * for it; a label or status update keeps the review) and the review options.
   */
  private reviewKey(): string {
    const i = this.info;
    const hosts = this.expectedHostnames();
    return [i.uid ?? i.resourceVersion ?? '', i.name, i.signerName, i.username ?? '', i.groups.join(','), i.usages.join(','), i.expirationSeconds ?? '', i.requestPem.length, hosts.join(','), this.apiServer() ?? ''].join('|');
  }

  /**
   * The full review of the current request (PKCS#10 decode, signature check, every rule), computed
   * synchronously when not cached: approve, the Review command and the notifier always get it.
   */
  get review(): CsrReview {
    const key = this.reviewKey();
    if (this.cachedReview?.key !== key) {
      const hosts = this.expectedHostnames();
      this.cachedReview = { key, review: reviewCsr(this.info, { expectedHostnames: hosts, apiServer: this.apiServer() }) };
    }
    return this.cachedReview.review;
  }

  /** The review if it is computed and current; never computes it. */
  reviewIfReady(): CsrReview | undefined {
    const c = this.cachedReview;
    return c && c.key === this.reviewKey() ? c.review : undefined;
  }

  get pending(): boolean {
    return this.info.state === 'pending';
  }

  /** Pending and the review fails (including an undecodable request): approving needs a modal confirmation. */
  get failing(): boolean {
    return this.review.verdict === 'fail';
  }

  get contextValue(): ContextValue {
    return this.contextValueWith(this.pending ? this.review : undefined);
  }

  private contextValueWith(review: CsrReview | undefined): ContextValue {
    switch (this.info.state) {
      case 'pending':
        // Both pending values get the same menus; approving re-checks `failing` synchronously.
        return review?.verdict === 'fail' ? ContextValues.csrPendingFailing : ContextValues.csrPending;
      case 'approved':
        return ContextValues.csrApproved;
      case 'issued':
        return ContextValues.csrIssued;
      case 'denied':
        return ContextValues.csrDenied;
      case 'failed':
        return ContextValues.csrFailed;
    }
  }

  /** The Markdown tooltip: what the request asks for and the review (computes the review if needed). */
  tooltipFor(now = new Date()): vscode.MarkdownString {
    const md = new vscode.MarkdownString(summarizeRequest(this.info, this.review, now).markdown);
    md.supportHtml = false;
    md.isTrusted = false;
    return md;
  }

  /**
   * The tree item. By default complete (review computed if needed, tooltip included); with
   * `lazy` it never reviews (see CsrItemOptions). Only a pending request's item shows its review.
   */
  toTreeItem(now = new Date(), options: CsrItemOptions = {}): vscode.TreeItem {
    const item = new vscode.TreeItem(this.info.name, vscode.TreeItemCollapsibleState.None);
    item.id = `csr:${this.info.name}`;
    const pending = this.pending;
    const review = !pending ? undefined : options.lazy ? this.reviewIfReady() : this.review;
    const parts = [shortSignerName(this.info.signerName)];
    if (this.info.createdAt) parts.push(formatAge(this.info.createdAt, now));
    if (!pending) parts.push(this.info.state);
    else if (!review) parts.push('reviewing…');
    else if (review.verdict === 'fail') parts.push(review.decoded ? 'review failed' : 'undecodable');
    else if (review.verdict === 'warn') parts.push('review: warnings');
    item.description = parts.join(' · ');
    const [icon, color] = pending && review?.verdict === 'fail' ? ['warning', 'list.errorForeground'] : CSR_ICONS[this.info.state];
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    item.contextValue = this.contextValueWith(review);
    if (!options.lazy) item.tooltip = this.tooltipFor(now);
    const shown = review ?? (options.lazy ? this.reviewIfReady() : this.review);
    const verdict = shown ? `review ${shown.verdict}` : pending ? 'review in progress' : 'not reviewed yet';
    item.accessibilityInformation = { label: `Certificate signing request ${this.info.name}, ${this.info.state}, ${verdict}` };
    return item;
  }
}

/** A leaf that only says something: "No pending requests", "Cannot list tokens: …". */
export class MessageNode {
  readonly kind = 'message';
  constructor(
    readonly id: string,
    readonly text: string,
    readonly icon = 'info',
    readonly tooltip?: string,
    readonly command?: vscode.Command,
  ) {}
  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.text, vscode.TreeItemCollapsibleState.None);
    item.id = `message:${this.id}`;
    item.iconPath = new vscode.ThemeIcon(this.icon);
    item.contextValue = ContextValues.message;
    item.tooltip = this.tooltip;
    item.command = this.command;
    return item;
  }
}

/** A snapshot of the current agent run, as the tree shows it (taken on each progress event). */
export interface AgentNodeData {
  hostname: string;
  nodeName: string;
  progress: JoinProgress;
  /** The agent process runs (Stop is offered). */
  running: boolean;
}

function themeIcon(i: IconSpec): vscode.ThemeIcon {
  return new vscode.ThemeIcon(i.id, i.color ? new vscode.ThemeColor(i.color) : undefined);
}

/** The cluster's "Agent <hostname>" node: the join progress of the run started in this window. */
export class AgentNode {
  readonly kind = 'agent';
  /** One child per join step (stable objects: they read the step from this node's current data). */
  readonly steps: AgentStepNode[];
  constructor(public data: AgentNodeData) {
    this.steps = data.progress.steps.map((_, i) => new AgentStepNode(this, i));
  }

  get contextValue(): ContextValue {
    const p = this.data.progress;
    if (p.phase === 'awaiting-approval' && p.approve) return ContextValues.agentServingPending;
    return this.data.running ? ContextValues.agentRunning : ContextValues.agentNotRunning;
  }

  /** The current phase in a few words (the presenter's): "serving CSR pending", "Ready", "failed: …". */
  get phaseText(): string {
    return phaseText(this.data.progress);
  }

  toTreeItem(): vscode.TreeItem {
    const p = this.data.progress;
    const item = new vscode.TreeItem(`Agent ${this.data.hostname}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = 'agent';
    item.description = this.phaseText;
    item.iconPath = themeIcon(phaseIcon(p));
    item.contextValue = this.contextValue;
    item.tooltip = this.tooltip();
    item.accessibilityInformation = { label: `Krustlet agent ${this.data.hostname}: ${summaryText(p, this.data)}` };
    return item;
  }

  /** Every step with its marker, then the failure with the agent's last output (the status bar shows the same). */
  tooltip(): vscode.MarkdownString {
    const md = new vscode.MarkdownString(progressMarkdown(this.data.progress, this.data), true);
    md.isTrusted = false;
    return md;
  }
}

/** One join step under the agent node. */
export class AgentStepNode {
  readonly kind = 'agentStep';
  constructor(
    readonly parent: AgentNode,
    readonly index: number,
  ) {}

  get step(): JoinStep {
    return this.parent.data.progress.steps[this.index];
  }

  toTreeItem(): vscode.TreeItem {
    const s = this.step;
    const p = this.parent.data.progress;
    const item = new vscode.TreeItem(s.label, vscode.TreeItemCollapsibleState.None);
    item.id = `agent:${s.id}`;
    item.description = stepDescription(s, p);
    item.iconPath = themeIcon(stepIcon(s, p));
    item.contextValue = ContextValues.agentStep;
    item.accessibilityInformation = { label: `Join step ${s.label}, ${item.description}` };
    return item;
  }
}
