import * as vscode from 'vscode';
import type { ClusterService, ModelChange } from '../clusterService';
import { Commands, Views } from '../constants';
import { SIGNER_KUBELET_SERVING } from '../../core/csr/format';
import { loadX509 } from '../../core/csr/decode';
import type { JoinProgress } from '../../core/agent/progress';
import { AgentNode, ClusterNode, CsrNode, GroupNode, type KrustletNode, MessageNode, TokenNode } from './nodes';

/** What the tree needs of an agent run (src/vscode/agent's AgentRun): its names, progress and progress event. */
export interface AgentProgressSource {
  readonly resolved: { readonly hostname: string; readonly nodeName: string };
  readonly progress: JoinProgress;
  readonly running: boolean;
  /** The same event that drives the status bar item. */
  readonly onDidChange: vscode.Event<JoinProgress>;
}

/** Longest run of background reviews before yielding to the extension host's other work. */
const REVIEW_SLICE_MS = 8;

/**
 * The Krustlet view: cluster → Bootstrap Tokens / Certificate Signing Requests. It mirrors the
 * ClusterService's live maps with stable node objects, and turns each model change into one
 * `onDidChangeTreeData` event for the node (or group) that changed — never a full relist.
 */
export class ClusterTreeProvider implements vscode.TreeDataProvider<KrustletNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<KrustletNode | KrustletNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  readonly clusterNode = new ClusterNode({ context: '' });
  readonly tokensGroup = new GroupNode('tokens');
  readonly csrsGroup = new GroupNode('csrs');
  private readonly csrNodes = new Map<string, CsrNode>();
  /** The "Agent <hostname>" node, once a run was started in this window (see followAgent). */
  private agentNode?: AgentNode;
  private agentSub?: vscode.Disposable;
  private readonly tokenNodes = new Map<string, TokenNode>();
  private readonly changes = new vscode.EventEmitter<ModelChange>();
  /** Fires after the tree applied a model change (tests and the agent feature wait on it). */
  readonly onDidApplyChange = this.changes.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly clock: NodeJS.Timeout;

  /**
   * Reviews (PKCS#10 decode + signature check + rules, ~1 ms each) the render path may compute
   * synchronously per macrotask. A few new requests are reviewed before they are first shown;
   * beyond that (a first list of thousands) an item shows "reviewing…" with the plain pending
   * contextValue and is reviewed in the background in small time slices, then re-rendered. The menus
   * are the same for both pending contextValues, and approving recomputes the review synchronously
   * when it is missing, so a failing request always gets its modal.
   */
  syncReviewsPerTick = 32;
  private syncReviewsLeft = -1;
  private readonly reviewQueue = new Set<CsrNode>();
  private reviewTimer?: NodeJS.Timeout;
  private x509Warmed = false;

  constructor(private readonly service: ClusterService) {
    this.disposables.push(this.emitter, this.changes, service.onDidChange((c) => this.apply(c)));
    // Ages and "expires in" texts: one refresh a minute of the two groups' items (no API calls).
    this.clock = setInterval(() => {
      if (this.service.state.kind !== 'connected') return;
      for (const n of this.tokenNodes.values()) this.emitter.fire(n);
      for (const n of this.csrNodes.values()) this.emitter.fire(n);
    }, 60_000);
  }

  private apply(c: ModelChange): void {
    switch (c.kind) {
      case 'connection':
        this.reviewQueue.clear();
        this.csrNodes.clear();
        if (!this.x509Warmed) {
          // The CSR list is on its way: load the review's x509 stack (~100 ms, once) before it lands.
          this.x509Warmed = true;
          setTimeout(loadX509, 0);
        }
        this.tokenNodes.clear();
        this.updateClusterNode();
        this.emitter.fire(undefined);
        break;
      case 'csrs-reset':
        this.syncCsrs();
        this.updateGroupDescriptions();
        this.emitter.fire(this.csrsGroup);
        break;
      case 'tokens-reset':
        this.syncTokens();
        this.updateGroupDescriptions();
        this.emitter.fire(this.tokensGroup);
        break;
      case 'csr': {
        const info = this.service.csrs.get(c.name);
        const node = this.csrNodes.get(c.name);
        if (c.op === 'deleted' || !info) {
          this.csrNodes.delete(c.name);
          this.fireGroup(this.csrsGroup);
        } else if (node) {
          const reorder = node.info.state !== info.state;
          node.info = info;
          if (reorder) this.fireGroup(this.csrsGroup);
          else this.emitter.fire(node);
        } else {
          this.csrNodes.set(c.name, new CsrNode(info, () => this.service.expectedHostnames(), () => this.service.cluster?.server));
          this.fireGroup(this.csrsGroup);
        }
        break;
      }
      case 'token': {
        const info = this.service.tokens.get(c.id);
        const node = this.tokenNodes.get(c.id);
        if (c.op === 'deleted' || !info) {
          this.tokenNodes.delete(c.id);
          this.fireGroup(this.tokensGroup);
        } else if (node) {
          node.info = info;
          this.emitter.fire(node);
        } else {
          this.tokenNodes.set(c.id, new TokenNode(info));
          this.fireGroup(this.tokensGroup);
        }
        break;
      }
      case 'csrs-state':
      case 'tokens-state':
        this.updateClusterNode();
        this.updateGroupDescriptions();
        this.emitter.fire(this.clusterNode);
        break;
    }
    this.changes.fire(c);
  }

  private fireGroup(group: GroupNode): void {
    this.updateGroupDescriptions();
    this.emitter.fire(group);
  }

  /** Keeps node objects stable across a relist, so expanded/selected state survives. */
  private syncCsrs(): void {
    const seen = new Set<string>();
    for (const [name, info] of this.service.csrs) {
      seen.add(name);
      const node = this.csrNodes.get(name);
      if (node) node.info = info;
      else this.csrNodes.set(name, new CsrNode(info, () => this.service.expectedHostnames(), () => this.service.cluster?.server));
    }
    for (const name of [...this.csrNodes.keys()]) if (!seen.has(name)) this.csrNodes.delete(name);
  }

  private syncTokens(): void {
    const seen = new Set<string>();
    for (const [id, info] of this.service.tokens) {
      seen.add(id);
      const node = this.tokenNodes.get(id);
      if (node) node.info = info;
      else this.tokenNodes.set(id, new TokenNode(info));
    }
    for (const id of [...this.tokenNodes.keys()]) if (!seen.has(id)) this.tokenNodes.delete(id);
  }

  private updateClusterNode(): void {
    const cluster = this.service.cluster;
    const watches = [this.service.csrWatch, this.service.tokenWatch];
    const reconnecting = watches.some((w) => w.state === 'reconnecting' && !w.forbidden);
    this.clusterNode.data = {
      context: cluster?.context.name ?? '',
      server: cluster?.server,
      status: reconnecting ? 'reconnecting…' : undefined,
    };
  }

  private updateGroupDescriptions(): void {
    const pending = [...this.csrNodes.values()].filter((n) => n.pending).length;
    this.csrsGroup.description = this.service.csrWatch.state === 'reconnecting' ? 'reconnecting…' : pending ? `${pending} pending` : undefined;
    const live = [...this.tokenNodes.values()].filter((n) => !n.expired()).length;
    this.tokensGroup.description = this.service.tokenWatch.state === 'reconnecting' ? 'reconnecting…' : this.tokenNodes.size ? `${live} valid` : undefined;
  }

  getTreeItem(node: KrustletNode): vscode.TreeItem {
    if (node.kind !== 'csr') return node.toTreeItem();
    if (node.pending && !node.reviewIfReady()) {
      if (this.takeSyncReview()) void node.review;
      else this.queueReview(node);
    }
    // The tooltip (the request's summary) is built on hover, by resolveTreeItem.
    return node.toTreeItem(new Date(), { lazy: true });
  }

  resolveTreeItem(item: vscode.TreeItem, node: KrustletNode): vscode.TreeItem {
    if (node.kind === 'csr' && item.tooltip === undefined) item.tooltip = node.tooltipFor();
    return item;
  }

  /** One synchronous review from this macrotask's budget (see syncReviewsPerTick). */
  private takeSyncReview(): boolean {
    if (this.syncReviewsLeft < 0) {
      this.syncReviewsLeft = this.syncReviewsPerTick;
      setImmediate(() => (this.syncReviewsLeft = -1));
    }
    if (this.syncReviewsLeft <= 0 || this.syncReviewsPerTick <= 0) return false;
    this.syncReviewsLeft--;
    return true;
  }

  private queueReview(node: CsrNode): void {
    this.reviewQueue.add(node);
    this.reviewTimer ??= setTimeout(() => this.reviewSlice(), 0);
  }

  /** Reviews queued nodes for up to REVIEW_SLICE_MS, re-renders them, and pauses before the next slice. */
  private reviewSlice(): void {
    this.reviewTimer = undefined;
    const start = performance.now();
    const done: CsrNode[] = [];
    for (const node of this.reviewQueue) {
      this.reviewQueue.delete(node);
      // Gone, replaced, or no longer pending: its item does not show a review.
      if (this.csrNodes.get(node.info.name) !== node || !node.pending) continue;
      void node.review;
      done.push(node);
      if (performance.now() - start >= REVIEW_SLICE_MS) break;
    }
    if (done.length) this.emitter.fire(done);
    // A pause as long as the slice: background reviews take at most about half of the extension host.
    if (this.reviewQueue.size) this.reviewTimer = setTimeout(() => this.reviewSlice(), REVIEW_SLICE_MS);
  }

  /** Requests still waiting for their background review (tests, bench). */
  get reviewsQueued(): number {
    return this.reviewQueue.size;
  }

  getParent(node: KrustletNode): KrustletNode | undefined {
    switch (node.kind) {
      case 'cluster':
        return undefined;
      case 'group':
        return this.clusterNode;
      case 'token':
        return this.tokensGroup;
      case 'csr':
        return this.csrsGroup;
      case 'message':
        return node.id.startsWith('tokens') ? this.tokensGroup : this.csrsGroup;
      case 'agent':
        return this.clusterNode;
      case 'agentStep':
        return node.parent;
    }
  }

  getChildren(node?: KrustletNode): KrustletNode[] {
    if (!node) {
      // The view asks for its roots: that is the moment to connect (lazily, on first sight).
      void this.service.ensureStarted();
      // Not connected: no roots, so the viewsWelcome for the `krustlet.state` context key shows.
      return this.service.state.kind === 'connected' ? [this.clusterNode] : [];
    }
    switch (node.kind) {
      case 'cluster':
        return this.agentNode ? [this.tokensGroup, this.csrsGroup, this.agentNode] : [this.tokensGroup, this.csrsGroup];
      case 'group':
        return node.group === 'tokens' ? this.tokenChildren() : this.csrChildren();
      case 'agent':
        return node.steps;
      default:
        return [];
    }
  }

  private tokenChildren(): KrustletNode[] {
    const w = this.service.tokenWatch;
    if (w.forbidden) return [new MessageNode('tokens-forbidden', 'Cannot list bootstrap tokens', 'lock', w.message, { command: Commands.runPreflight, title: 'Run Preflight Checks' })];
    const nodes = [...this.tokenNodes.values()].sort((a, b) => Number(a.expired()) - Number(b.expired()) || a.info.id.localeCompare(b.info.id));
    if (nodes.length) return nodes;
    if (w.state === 'connecting') return [new MessageNode('tokens-loading', 'Loading…', 'loading~spin')];
    return [new MessageNode('tokens-empty', 'No bootstrap tokens — run Bootstrap', 'add', undefined, { command: Commands.bootstrap, title: 'Bootstrap' })];
  }

  private csrChildren(): KrustletNode[] {
    const w = this.service.csrWatch;
    if (w.forbidden) return [new MessageNode('csrs-forbidden', 'Cannot list certificate signing requests', 'lock', w.message, { command: Commands.runPreflight, title: 'Run Preflight Checks' })];
    const nodes = [...this.csrNodes.values()].sort(
      (a, b) =>
        Number(b.pending) - Number(a.pending) ||
        (b.info.createdAt?.getTime() ?? 0) - (a.info.createdAt?.getTime() ?? 0) ||
        a.info.name.localeCompare(b.info.name),
    );
    if (nodes.length) return nodes;
    if (w.state === 'connecting') return [new MessageNode('csrs-loading', 'Loading…', 'loading~spin')];
    return [new MessageNode('csrs-empty', 'No certificate signing requests', 'info')];
  }

  /** The node for a CSR name, if the tree has it. */
  csrNode(name: string): CsrNode | undefined {
    return this.csrNodes.get(name);
  }

  tokenNode(id: string): TokenNode | undefined {
    return this.tokenNodes.get(id);
  }

  /** Pending kubelet-serving CSRs, for the agent feature's join progress. */
  pendingServingCsrs(): CsrNode[] {
    return [...this.csrNodes.values()].filter((n) => n.pending && n.info.signerName === SIGNER_KUBELET_SERVING);
  }

  /**
   * Shows `run`'s join progress as the cluster's "Agent <hostname>" node, updated on each of the run's
   * progress events (one `onDidChangeTreeData` for that node only). A later run replaces it;
   * `undefined` removes the node.
   */
  followAgent(run: AgentProgressSource | undefined): void {
    this.agentSub?.dispose();
    this.agentSub = undefined;
    if (!run) {
      if (this.agentNode) {
        this.agentNode = undefined;
        this.emitter.fire(this.clusterNode);
      }
      return;
    }
    const snapshot = () => ({ hostname: run.resolved.hostname, nodeName: run.resolved.nodeName, progress: run.progress, running: run.running });
    const node = this.agentNode;
    if (node) {
      node.data = snapshot();
      this.emitter.fire(node);
    } else {
      this.agentNode = new AgentNode(snapshot());
      this.emitter.fire(this.clusterNode);
    }
    this.agentSub = run.onDidChange(() => {
      if (!this.agentNode) return;
      this.agentNode.data = snapshot();
      this.emitter.fire(this.agentNode);
    });
  }

  /** The agent node, when a run was started in this window. */
  get agent(): AgentNode | undefined {
    return this.agentNode;
  }

  /** Re-renders everything from the current model (after a setting that changes reviews, e.g. expected hostnames). */
  rerender(): void {
    this.emitter.fire(undefined);
  }

  dispose(): void {
    clearInterval(this.clock);
    this.agentSub?.dispose();
    if (this.reviewTimer) clearTimeout(this.reviewTimer);
    this.reviewQueue.clear();
    for (const d of this.disposables) d.dispose();
  }
}

/** Creates the provider and registers the view once. */
export function registerClusterView(service: ClusterService): { provider: ClusterTreeProvider; view: vscode.TreeView<KrustletNode>; disposables: vscode.Disposable[] } {
  const provider = new ClusterTreeProvider(service);
  const view = vscode.window.createTreeView(Views.cluster, { treeDataProvider: provider, canSelectMany: true, showCollapseAll: false });
  // The welcome content (viewsWelcome) is static: the message above it says what exactly went wrong.
  const showState = service.onDidChange((c) => {
    if (c.kind !== 'connection') return;
    const s = service.state;
    view.message = s.kind === 'connected' || s.kind === 'connecting' || s.kind === 'idle' ? undefined : s.message;
  });
  return { provider, view, disposables: [provider, showState, view] };
}
