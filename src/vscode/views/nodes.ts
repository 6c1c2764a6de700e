import * as vscode from 'vscode';
import { formatAge, shortSignerName } from '../../core/csr/format';
import { escapeMarkdown, summarizeRequest } from '../../core/csr/summary';
import { phaseIcon, phaseText, progressMarkdown, stepDescription, stepIcon, summaryText, type IconSpec } from '../../core/agent/present';
import type { JoinProgress, JoinStep } from '../../core/agent/progress';
import { tokenExpired } from '../../core/token';
import type { CsrInfo, CsrReview, CsrState, TokenInfo } from '../../core/types';
import { AUTO_RENEWAL_REASON, Commands, ContextValues, type ContextValue } from '../constants';
import { escapedMarkdown, markdownText, plainText } from '../text';
import type { NodeNode, NodesGroupNode } from './nodesGroup';

/**
 * The tree's typed nodes. The cluster, its groups, tokens and CSRs are handles: what they show is
 * read from the ClusterService (and the reviews) when VS Code asks for the item, never copied into a
 * node; the functions below turn those facts into TreeItems. Messages and the agent node carry
 * what only the view has.
 */
export type KrustletNode = ClusterNode | GroupNode | TokenNode | CsrNode | MessageNode | AgentNode | AgentStepNode | NodesGroupNode | NodeNode;

export class ClusterNode {
  readonly kind = 'cluster';
}

interface ClusterItemData {
  context: string;
  server?: string;
  /** Extra status shown after the server, e.g. "reconnecting…". */
  status?: string;
}

export function clusterTreeItem(d: ClusterItemData): vscode.TreeItem {
  const item = new vscode.TreeItem(plainText(d.context), vscode.TreeItemCollapsibleState.Expanded);
  item.id = 'cluster';
  item.description = [d.server && plainText(d.server), d.status].filter(Boolean).join(' · ');
  item.iconPath = new vscode.ThemeIcon(d.status ? 'sync~spin' : 'server-environment');
  item.contextValue = ContextValues.cluster;
  item.tooltip = new vscode.MarkdownString(
    `**Context:** ${markdownText(d.context)}\n\n**Server:** ${markdownText(d.server ?? '(unknown)')}${d.status ? `\n\n*${escapeMarkdown(d.status)}*` : ''}`,
  );
  return item;
}

type GroupKind = 'tokens' | 'csrs';

export class GroupNode {
  readonly kind = 'group';
  constructor(readonly group: GroupKind) {}
}

/** A group's item; `description` e.g. "2 pending" or "reconnecting…". */
export function groupTreeItem(group: GroupKind, description: string | undefined): vscode.TreeItem {
  const tokens = group === 'tokens';
  // Short labels (the default side bar cuts "Certificate Signing Requests" and its "1 pending"); the full name is the tooltip.
  const item = new vscode.TreeItem(tokens ? 'Bootstrap Tokens' : 'Signing Requests', vscode.TreeItemCollapsibleState.Expanded);
  item.tooltip = tokens ? 'Bootstrap tokens (Secrets bootstrap-token-<id> in kube-system)' : 'Certificate signing requests (CSRs) of the cluster';
  item.id = `group:${group}`;
  item.iconPath = new vscode.ThemeIcon(tokens ? 'key' : 'workspace-trusted');
  item.contextValue = tokens ? ContextValues.tokensGroup : ContextValues.csrsGroup;
  item.description = description;
  return item;
}

/** A bootstrap token in the tree, by id. */
export class TokenNode {
  readonly kind = 'token';
  constructor(readonly id: string) {}
}

function expiryText(t: TokenInfo, now: Date): string {
  if (!t.expiration) return 'never expires';
  if (tokenExpired(t, now)) return 'expired';
  return `expires ${inTime((t.expiration.getTime() - now.getTime()) / 1000)}`;
}

/** "in 58 min", "in 3 h 5 min", "in 2 days": how far off a moment is, as a person says it. */
export function inTime(seconds: number): string {
  const m = Math.max(0, Math.round(seconds / 60));
  if (m < 1) return 'in less than a minute';
  if (m < 120) return `in ${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `in ${h} h ${m % 60} min` : `in ${h} h`;
  return `in ${Math.round(h / 24)} days`;
}

/** A moment in the local time zone, as the machine's locale writes it ("2 Dec 2026, 19:56"). */
export function localTime(d: Date): string {
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function tokenTreeItem(t: TokenInfo, now = new Date()): vscode.TreeItem {
  const expired = tokenExpired(t, now);
  const item = new vscode.TreeItem(plainText(t.id), vscode.TreeItemCollapsibleState.None);
  item.id = `token:${t.id}`;
  // Just the expiry: the token's description (often long) is in the tooltip.
  item.description = expiryText(t, now);
  item.iconPath = expired ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon('key');
  item.contextValue = expired ? ContextValues.tokenExpired : ContextValues.token;
  // Never the secret: id, Secret name, expiry, usages and groups only.
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**Bootstrap token ${markdownText(t.id)}**${expired ? ' — **expired**' : ''}\n\n`);
  md.appendMarkdown(`- **Secret:** kube-system/${markdownText(t.secretName)}\n`);
  md.appendMarkdown(`- **Expires:** ${t.expiration ? `${escapeMarkdown(localTime(t.expiration))} (${escapeMarkdown(expiryText(t, now).replace(/^expires /, ''))})` : 'never'}\n`);
  if (t.description) md.appendMarkdown(`- **Description:** ${markdownText(t.description)}\n`);
  md.appendMarkdown(`- **Usages:** ${markdownText(t.usages.join(', ') || '(none)')}\n`);
  md.appendMarkdown(`- **Extra groups:** ${markdownText(t.extraGroups.join(', ') || '(none)')}\n`);
  if (t.createdAt) md.appendMarkdown(`- **Created:** ${escapeMarkdown(formatAge(t.createdAt, now))} ago\n`);
  if (expired) md.appendMarkdown('\nThe cluster\'s token cleaner deletes expired token Secrets; revoke it now or run Bootstrap for a new one.\n');
  item.tooltip = md;
  return item;
}

/** A CertificateSigningRequest in the tree, by name. */
export class CsrNode {
  readonly kind = 'csr';
  constructor(readonly name: string) {}
}

const CSR_ICONS: Record<CsrState, [string, string]> = {
  pending: ['circle-large-outline', 'charts.yellow'],
  approved: ['check', 'charts.blue'],
  issued: ['pass-filled', 'testing.iconPassed'],
  denied: ['circle-slash', 'list.errorForeground'],
  failed: ['error', 'list.errorForeground'],
};

/** A CSR's contextValue. `review`: undefined while a pending request is not reviewed yet (same menus; approving reviews first). */
function csrContextValue(csr: CsrInfo, review: CsrReview | undefined): ContextValue {
  switch (csr.state) {
    case 'pending':
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

/**
 * A CSR's item without its tooltip (resolveTreeItem adds {@link csrTooltip} on hover). Only a pending
 * request's item shows its review; `review` undefined there means "reviewing…".
 */
export function csrTreeItem(csr: CsrInfo, review: CsrReview | undefined, now = new Date()): vscode.TreeItem {
  const label = plainText(csr.name);
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.id = `csr:${csr.name}`;
  const pending = csr.state === 'pending';
  const shown = pending ? review : undefined;
  const parts = [plainText(shortSignerName(csr.signerName), 60)];
  if (csr.createdAt) parts.push(formatAge(csr.createdAt, now));
  if (!pending) parts.push(csr.conditions.some((c) => c.type === 'Approved' && c.reason === AUTO_RENEWAL_REASON) ? `${csr.state} · auto-approved renewal` : csr.state);
  else if (!shown) parts.push('reviewing…');
  else if (shown.verdict === 'fail') parts.push(shown.decoded ? 'review failed' : 'undecodable');
  else if (shown.verdict === 'warn') parts.push('review: warnings');
  item.description = parts.join(' · ');
  const [icon, color] = shown?.verdict === 'fail' ? ['warning', 'list.errorForeground'] : CSR_ICONS[csr.state];
  item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
  item.contextValue = csrContextValue(csr, shown);
  // The same verdict as the tooltip's: a decided request is not under review any more (its tooltip reviews it on hover).
  const verdict = shown ? `review ${shown.verdict}` : pending ? 'review in progress' : 'decided';
  item.accessibilityInformation = { label: `Certificate signing request ${label}, ${csr.state}, ${verdict}` };
  // Enter (or a click) opens its review.
  item.command = { title: 'Review', command: Commands.reviewCsr, arguments: [csr.name] };
  return item;
}

/** The Markdown tooltip: what the request asks for and its review. */
export function csrTooltip(csr: CsrInfo, review: CsrReview, now = new Date()): vscode.MarkdownString {
  const md = new vscode.MarkdownString(escapedMarkdown(summarizeRequest(csr, review, now).markdown));
  md.supportHtml = false;
  md.isTrusted = false;
  return md;
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
