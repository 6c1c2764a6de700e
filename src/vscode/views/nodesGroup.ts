/**
 * The tree's Nodes group: every Node of the cluster (Krustlet or kubelet) with its Ready state, its
 * addresses, the bootstrap token and CSRs it came from, and its serving certificate (issuer, SANs,
 * expiry "in 43 days", a warning from `krustlet.certificateExpiryWarningDays` on) as issued through
 * its newest serving CSR. Items are built from the ClusterService's collections when VS Code asks;
 * this file keeps only the element handles and the CSR-by-node index (rebuilt after a CSR change).
 */
import * as vscode from 'vscode';
import { nodeNameOf } from '../../core/csr/context';
import { escapeMarkdown } from '../../core/csr/summary';
import { addressText, certificateDetails, expiryText, readyText, summarizeNode, type NodeCsrs, type NodeSummary } from '../../core/nodes';
import { SIGNER_KUBELET_SERVING } from '../../core/csr/format';
import type { ClusterService } from '../clusterService';
import { certificateExpiryWarningDaysSetting } from '../config';
import { ContextValues } from '../constants';
import { markdownText, MAX_DETAIL, plainText } from '../text';
import { MessageNode } from './nodes';

export class NodesGroupNode {
  readonly kind = 'nodesGroup';
}

/** A cluster Node in the tree, by name. */
export class NodeNode {
  readonly kind = 'node';
  constructor(readonly name: string) {}
}

/** A group's or a Node's refresh, as the provider's onDidChangeTreeData takes it. */
type Refresh = (nodes: (NodesGroupNode | NodeNode)[] | NodesGroupNode) => void;

export class NodesGroup implements vscode.Disposable {
  readonly group = new NodesGroupNode();
  private readonly handles = new Map<string, NodeNode>();
  private readonly disposables: vscode.Disposable[];
  private readonly clock: NodeJS.Timeout;

  constructor(
    private readonly service: ClusterService,
    /** Every CSR by node (Reviews.csrIndex: one index for the tree and the reviews). */
    private readonly csrIndex: () => Map<string, NodeCsrs>,
    refresh: Refresh,
  ) {
    this.disposables = [
      service.nodes.onDidChange((c) => {
        if (c.type === 'modified') {
          const h = this.handles.get(c.key);
          refresh(h ? [h] : this.group);
        } else {
          if (c.type === 'deleted') this.handles.delete(c.key);
          refresh(this.group);
        }
      }),
      service.csrs.onDidChange((c) => {
        // A serving certificate issued (or a CSR gone) changes its node's item.
        if (c.type === 'reset' || c.type === 'status') return refresh(this.group);
        const node = c.item.signerName === SIGNER_KUBELET_SERVING ? nodeNameOf(c.item.username) : undefined;
        const h = node === undefined ? undefined : this.handles.get(node);
        if (h) refresh([h]);
      }),
      service.onDidChangeConnection(() => this.handles.clear()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('krustlet.certificateExpiryWarningDays')) refresh(this.group);
      }),
    ];
    // Expiry texts count days: one refresh an hour is plenty (no API calls).
    this.clock = setInterval(() => {
      if (this.handles.size) refresh([...this.handles.values()]);
    }, 3600_000);
  }

  private summary(name: string): NodeSummary | undefined {
    const n = this.service.nodes.get(name);
    return n && summarizeNode(n, this.csrIndex(), (id) => this.service.tokens.get(id));
  }

  /** The group's item: "3 nodes · 1 not Ready", "reconnecting…". */
  groupItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Nodes', vscode.TreeItemCollapsibleState.Expanded);
    item.id = 'group:nodes';
    item.iconPath = new vscode.ThemeIcon('vm');
    item.contextValue = ContextValues.nodesGroup;
    const c = this.service.nodes;
    if (c.status.state === 'reconnecting') item.description = 'reconnecting…';
    else if (c.synced) {
      const nodes = c.list();
      const notReady = nodes.filter((n) => n.ready !== 'True').length;
      item.description = nodes.length ? `${nodes.length}${notReady ? ` · ${notReady} not Ready` : ''}` : undefined;
    }
    return item;
  }

  /** The group's children: one handle per Node (by name), or why there are none. */
  children(): (NodeNode | MessageNode)[] {
    const c = this.service.nodes;
    if (c.status.forbidden) return [new MessageNode('nodes-forbidden', 'Cannot list Nodes', 'lock', c.status.message && plainText(c.status.message, MAX_DETAIL))];
    const names = c.list().map((n) => n.name).sort();
    if (names.length) {
      const out = names.map((n) => {
        let h = this.handles.get(n);
        if (!h) this.handles.set(n, (h = new NodeNode(n)));
        return h;
      });
      if (this.handles.size > names.length) {
        const listed = new Set(names);
        for (const k of [...this.handles.keys()]) if (!listed.has(k)) this.handles.delete(k);
      }
      return out;
    }
    if (!c.synced) return [new MessageNode('nodes-loading', 'Loading…', 'loading~spin')];
    return [new MessageNode('nodes-empty', 'No Nodes registered', 'info')];
  }

  /** A Node's item (the tooltip comes on hover: {@link tooltip}). */
  treeItem(node: NodeNode, now = new Date()): vscode.TreeItem {
    const s = this.summary(node.name);
    if (!s) {
      const gone = new vscode.TreeItem(plainText(node.name), vscode.TreeItemCollapsibleState.None);
      gone.description = 'no longer listed';
      return gone;
    }
    return nodeTreeItem(s, now, certificateExpiryWarningDaysSetting());
  }

  tooltip(node: NodeNode, now = new Date()): vscode.MarkdownString | undefined {
    const s = this.summary(node.name);
    return s && nodeTooltip(s, now, certificateExpiryWarningDaysSetting());
  }

  /** The element for a Node name while the cluster lists it (tests, the bench). */
  nodeHandle(name: string): NodeNode | undefined {
    if (!this.service.nodes.get(name)) return undefined;
    let h = this.handles.get(name);
    if (!h) this.handles.set(name, (h = new NodeNode(name)));
    return h;
  }

  dispose(): void {
    clearInterval(this.clock);
    for (const d of this.disposables) d.dispose();
  }
}

/** A Node's item: "Ready · 10.1.0.5 · cert in 43 days". */
export function nodeTreeItem(s: NodeSummary, now: Date, warnDays: number): vscode.TreeItem {
  const n = s.node;
  const item = new vscode.TreeItem(plainText(n.name), vscode.TreeItemCollapsibleState.None);
  item.id = `node:${n.name}`;
  const parts = [readyText(n)];
  const addresses = addressText(n);
  if (addresses) parts.push(plainText(addresses, 60));
  const expiry = s.serving?.notAfter && expiryText(s.serving.notAfter, now, warnDays);
  if (expiry) parts.push(`cert ${expiry.text}`);
  item.description = parts.join(' · ');
  const warn = expiry?.warn ?? false;
  item.iconPath = warn
    ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
    : n.ready === 'True'
      ? new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'))
      : new vscode.ThemeIcon('vm-outline', new vscode.ThemeColor('list.errorForeground'));
  item.contextValue = warn ? ContextValues.nodeCertExpiring : ContextValues.node;
  item.accessibilityInformation = { label: `Node ${plainText(n.name)}, ${readyText(n)}${expiry ? `, serving certificate ${expiry.expired ? expiry.text : `expires ${expiry.text}`}` : ''}` };
  return item;
}

/** What the Node is, where it came from, and its serving certificate. */
export function nodeTooltip(s: NodeSummary, now: Date, warnDays: number): vscode.MarkdownString {
  const n = s.node;
  const md = new vscode.MarkdownString();
  md.isTrusted = false;
  md.supportHtml = false;
  md.appendMarkdown(`**Node ${markdownText(n.name)}** — ${escapeMarkdown(readyText(n))}${n.readyReason ? ` (${markdownText(n.readyReason)})` : ''}\n\n`);
  md.appendMarkdown(`- **Addresses:** ${n.addresses.length ? n.addresses.map((a) => `${markdownText(a.type)} ${markdownText(a.address)}`).join(', ') : 'none'}\n`);
  md.appendMarkdown(`- **Kubelet port:** ${n.kubeletPort ?? 'not reported'}\n`);
  if (n.kubeletVersion) md.appendMarkdown(`- **Kubelet:** ${markdownText(n.kubeletVersion)}\n`);
  if (s.token) {
    const t = s.token.info;
    md.appendMarkdown(`- **Joined with bootstrap token:** ${markdownText(s.token.id)}${t ? (t.description ? ` (${markdownText(t.description)})` : '') : ' (its Secret is gone)'}\n`);
  }
  const csrs = [...s.csrs.client, ...s.csrs.serving].map((c) => `${markdownText(c.name)} (${escapeMarkdown(c.state)})`);
  md.appendMarkdown(`- **CSRs:** ${csrs.length ? csrs.join(', ') : 'none listed'}\n`);
  const pem = s.serving?.csr.certificatePem;
  const cert = pem ? certificateDetails(pem, { kind: 'csr', csrName: s.serving!.csr.name }) : undefined;
  md.appendMarkdown('\n**Serving certificate**');
  if (!cert) {
    md.appendMarkdown(': not known — no issued serving CSR of this node is listed (kube-controller-manager removes decided CSRs after an hour).\n');
    return md;
  }
  const expiry = expiryText(cert.notAfter, now, warnDays);
  md.appendMarkdown(` (from CSR ${markdownText(s.serving!.csr.name)})\n\n`);
  md.appendMarkdown(`- **Issuer:** ${markdownText(cert.issuer)}${cert.selfSigned ? ' — **self-signed**' : ''}\n`);
  md.appendMarkdown(`- **Subject:** ${markdownText(cert.subject)}\n`);
  md.appendMarkdown(`- **SANs:** ${markdownText(cert.sans.join(', ') || '(none)')}\n`);
  md.appendMarkdown(`- **Not after:** ${escapeMarkdown(cert.notAfter.toISOString())} (${expiry.expired ? '' : 'expires '}${escapeMarkdown(expiry.text)})${expiry.warn ? ' ⚠' : ''}\n`);
  if (expiry.warn) md.appendMarkdown(`\nIt ${expiry.expired ? 'has expired' : `expires within ${warnDays} days`}: the kubelet asks for a new one (a new serving CSR) that must be approved.\n`);
  return md;
}
