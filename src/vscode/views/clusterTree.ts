import * as vscode from 'vscode';
import type { JoinProgress } from '../../core/agent/progress';
import { tokenExpired } from '../../core/token';
import type { CsrState } from '../../core/types';
import type { ClusterService, ConnectionState } from '../clusterService';
import type { CollectionChange } from '../collection';
import { Commands, Views } from '../constants';
import type { Reviews } from '../reviews';
import { MAX_DETAIL, plainText } from '../text';
import {
  AgentNode,
  ClusterNode,
  clusterTreeItem,
  CsrNode,
  csrTooltip,
  csrTreeItem,
  GroupNode,
  groupTreeItem,
  type KrustletNode,
  MessageNode,
  TokenNode,
  tokenTreeItem,
} from './nodes';
import { NodesGroup } from './nodesGroup';

/** What the tree needs of an agent run (src/vscode/agent's AgentRun): its names, progress and progress event. */
export interface AgentProgressSource {
  readonly resolved: { readonly hostname: string; readonly nodeName: string };
  readonly progress: JoinProgress;
  readonly running: boolean;
  /** The same event that drives the status bar item. */
  readonly onDidChange: vscode.Event<JoinProgress>;
}

/**
 * The Krustlet view: cluster → Bootstrap Tokens / Signing Requests (certificate signing requests) (→ Agent). A
 * projection: every item is built from the ClusterService's collections and the reviews when VS
 * Code asks for it. The provider keeps only element handles (VS Code refreshes an element by its
 * object, so a CSR keeps one handle per name) and turns each change into one `onDidChangeTreeData`
 * event for the element (or group) that changed — never a full relist.
 */
export class ClusterTreeProvider implements vscode.TreeDataProvider<KrustletNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<KrustletNode | KrustletNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  readonly clusterNode = new ClusterNode();
  readonly tokensGroup = new GroupNode('tokens');
  readonly csrsGroup = new GroupNode('csrs');
  /** The Nodes group (views/nodesGroup.ts): its own handles and refreshes. */
  readonly nodes: NodesGroup;
  private readonly csrHandles = new Map<string, CsrNode>();
  private readonly tokenHandles = new Map<string, TokenNode>();
  /** The "Agent <hostname>" node, once a run was started in this window (see followAgent). */
  private agentNode?: AgentNode;
  private agentSub?: vscode.Disposable;
  /** The Agent row while a command of the agent feature waits on the user's answer (see showWaiting). */
  private waitingNode?: MessageNode;
  /** The state each CSR element showed last: a change of it moves the element (pending first). */
  private readonly shownState = new WeakMap<CsrNode, CsrState>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly clock: NodeJS.Timeout;

  constructor(
    private readonly service: ClusterService,
    private readonly reviews: Reviews,
  ) {
    this.nodes = new NodesGroup(service, () => reviews.csrIndex(), (n) => this.emitter.fire(n));
    this.disposables.push(
      this.nodes,
      this.emitter,
      service.onDidChangeConnection(() => {
        this.csrHandles.clear();
        this.tokenHandles.clear();
        this.emitter.fire(undefined);
      }),
      service.csrs.onDidChange((c) => this.onCollection(c, this.csrHandles, this.csrsGroup, (csr, h) => this.shownState.get(h) !== csr.state)),
      service.tokens.onDidChange((c) => this.onCollection(c, this.tokenHandles, this.tokensGroup, () => false)),
      reviews.onDidReview((names) => {
        const done = names.map((n) => this.csrHandles.get(n)).filter((n): n is CsrNode => n !== undefined);
        if (done.length) this.emitter.fire(done);
      }),
      // A new expected hostname or another API server: every review (and so every CSR item) may read differently.
      reviews.onDidChangeContext(() => this.emitter.fire(undefined)),
    );
    // Ages and "expires in" texts (no API calls): every 5 s while a CSR is young enough for its age to show
    // seconds ("2m56s"), else once a minute — of the two groups' items only.
    let lastTick = Date.now();
    this.clock = setInterval(() => {
      if (this.service.state.kind !== 'connected') return;
      const now = Date.now();
      const young = this.service.csrs.list().some((c) => c.createdAt !== undefined && now - c.createdAt.getTime() < SECONDS_SHOWN_MS);
      if (!young && now - lastTick < 60_000) return;
      lastTick = now;
      const all = [...this.tokenHandles.values(), ...this.csrHandles.values()];
      if (all.length) this.emitter.fire(all);
    }, 5_000);
  }

  /**
   * One collection change → one refresh: of the item when only it changed (and it stays in place),
   * else of its group (an item came or went, or moved, which changes the order and the group's count).
   */
  private onCollection<T, N extends KrustletNode>(c: CollectionChange<T>, handles: Map<string, N>, group: GroupNode, moves: (item: T, handle: N) => boolean): void {
    switch (c.type) {
      case 'added':
      case 'reset':
      case 'deleted':
        if (c.type === 'deleted') handles.delete(c.key);
        this.emitter.fire(group);
        break;
      case 'modified': {
        const handle = handles.get(c.key);
        if (!handle || moves(c.item, handle)) this.emitter.fire(group);
        else this.emitter.fire(handle);
        break;
      }
      case 'status':
        this.emitter.fire([this.clusterNode, group]);
        break;
    }
  }

  getTreeItem(node: KrustletNode): vscode.TreeItem {
    switch (node.kind) {
      case 'cluster':
        return clusterTreeItem(this.clusterData());
      case 'group':
        return groupTreeItem(node.group, this.groupDescription(node));
      case 'token': {
        const t = this.service.tokens.get(node.id);
        return t ? tokenTreeItem(t) : gone(node.id);
      }
      case 'nodesGroup':
        return this.nodes.groupItem();
      case 'node':
        return this.nodes.treeItem(node);
      case 'csr': {
        const csr = this.service.csrs.get(node.name);
        if (!csr) return gone(node.name);
        this.shownState.set(node, csr.state);
        // The tooltip (the request's summary) is built on hover, by resolveTreeItem.
        return csrTreeItem(csr, csr.state === 'pending' ? this.reviews.forRender(csr) : undefined);
      }
      default:
        return node.toTreeItem();
    }
  }

  resolveTreeItem(item: vscode.TreeItem, node: KrustletNode): vscode.TreeItem {
    if (node.kind === 'node' && item.tooltip === undefined) item.tooltip = this.nodes.tooltip(node);
    if (node.kind !== 'csr' || item.tooltip !== undefined) return item;
    const csr = this.service.csrs.get(node.name);
    if (csr) item.tooltip = csrTooltip(csr, this.reviews.get(csr));
    return item;
  }

  private clusterData() {
    const cluster = this.service.cluster;
    const watches = [this.service.csrs.status, this.service.tokens.status];
    const reconnecting = watches.some((w) => w.state === 'reconnecting' && !w.forbidden);
    return { context: cluster?.context.name ?? '', server: cluster?.server, status: reconnecting ? 'reconnecting…' : undefined };
  }

  private groupDescription(group: GroupNode): string | undefined {
    if (group.group === 'tokens') {
      if (this.service.tokens.status.state === 'reconnecting') return 'reconnecting…';
      const tokens = this.service.tokens.list();
      const now = new Date();
      return tokens.length ? `${tokens.filter((t) => !tokenExpired(t, now)).length} valid` : undefined;
    }
    if (this.service.csrs.status.state === 'reconnecting') return 'reconnecting…';
    const pending = this.service.csrs.list().filter((c) => c.state === 'pending').length;
    return pending ? `${pending} pending` : undefined;
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
        if (node === this.waitingNode) return this.clusterNode;
        return node.id.startsWith('tokens') ? this.tokensGroup : node.id.startsWith('nodes') ? this.nodes.group : this.csrsGroup;
      case 'nodesGroup':
        return this.clusterNode;
      case 'node':
        return this.nodes.group;
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
      case 'cluster': {
        const agent = this.waitingNode ?? this.agentNode;
        return agent ? [this.tokensGroup, this.csrsGroup, this.nodes.group, agent] : [this.tokensGroup, this.csrsGroup, this.nodes.group];
      }
      case 'group':
        return node.group === 'tokens' ? this.tokenChildren() : this.csrChildren();
      case 'agent':
        return node.steps;
      case 'nodesGroup':
        return this.nodes.children();
      default:
        return [];
    }
  }

  private tokenChildren(): KrustletNode[] {
    const c = this.service.tokens;
    if (c.status.forbidden) return [forbidden('tokens-forbidden', 'Cannot list bootstrap tokens', c.status.message)];
    const now = new Date();
    const tokens = c.list().sort((a, b) => Number(tokenExpired(a, now)) - Number(tokenExpired(b, now)) || a.id.localeCompare(b.id));
    if (tokens.length) return handlesFor(this.tokenHandles, tokens.map((t) => t.id), (id) => new TokenNode(id));
    if (!c.synced) return [new MessageNode('tokens-loading', 'Loading…', 'loading~spin')];
    return [new MessageNode('tokens-empty', 'No tokens: run Bootstrap', 'add', 'No bootstrap tokens yet: Bootstrap creates one and writes bootstrap.conf', { command: Commands.bootstrap, title: 'Bootstrap' })];
  }

  private csrChildren(): KrustletNode[] {
    const c = this.service.csrs;
    if (c.status.forbidden) return [forbidden('csrs-forbidden', 'Cannot list certificate signing requests', c.status.message)];
    const csrs = c.list().sort(
      (a, b) =>
        Number(b.state === 'pending') - Number(a.state === 'pending') ||
        (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0) ||
        a.name.localeCompare(b.name),
    );
    if (csrs.length) return handlesFor(this.csrHandles, csrs.map((x) => x.name), (name) => new CsrNode(name));
    if (!c.synced) return [new MessageNode('csrs-loading', 'Loading…', 'loading~spin')];
    return [new MessageNode('csrs-empty', 'No certificate signing requests', 'info')];
  }

  /** The element for a CSR name while the cluster lists it (tests, the bench). */
  csrNode(name: string): CsrNode | undefined {
    return this.service.csrs.get(name) ? handle(this.csrHandles, name, () => new CsrNode(name)) : undefined;
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

  /**
   * While `command` (Start Agent) waits on a question of the user, the Agent row says so instead of the last
   * run's progress; `undefined` brings the run's row back.
   */
  showWaiting(command: string | undefined): void {
    if ((this.waitingNode?.text === waitingLabel(command)) || (!command && !this.waitingNode)) return;
    this.waitingNode = command
      ? new MessageNode('agent-waiting', waitingLabel(command), 'question', `Krustlet: ${command} waits for your answer to its question (a dialog or a picker).`)
      : undefined;
    this.emitter.fire(this.clusterNode);
  }

  /** The agent node, when a run was started in this window. */
  get agent(): AgentNode | undefined {
    return this.agentNode;
  }

  dispose(): void {
    clearInterval(this.clock);
    this.agentSub?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function waitingLabel(command: string | undefined): string {
  return `Agent: ${command} waiting for your answer`;
}

/** Ages under 10 minutes show seconds (formatAge: "2m56s"): the tree refreshes them every 5 s. */
const SECONDS_SHOWN_MS = 10 * 60_000;

/** The element VS Code knows for a key, or a new one. */
function handle<N>(handles: Map<string, N>, key: string, create: () => N): N {
  let h = handles.get(key);
  if (!h) handles.set(key, (h = create()));
  return h;
}

/** The elements for `keys`, in order; elements of keys no longer listed are dropped (the whole list was asked for). */
function handlesFor<N>(handles: Map<string, N>, keys: readonly string[], create: (key: string) => N): N[] {
  const out = keys.map((k) => handle(handles, k, () => create(k)));
  if (handles.size > keys.length) {
    const listed = new Set(keys);
    for (const k of [...handles.keys()]) if (!listed.has(k)) handles.delete(k);
  }
  return out;
}

function forbidden(id: string, text: string, message: string | undefined): MessageNode {
  return new MessageNode(id, text, 'lock', message && plainText(message, MAX_DETAIL), { command: Commands.runPreflight, title: 'Run Preflight Checks' });
}

/** The item of a handle whose object left the collection a moment ago (VS Code asked before the group refresh). */
function gone(key: string): vscode.TreeItem {
  const item = new vscode.TreeItem(plainText(key), vscode.TreeItemCollapsibleState.None);
  item.description = 'no longer listed';
  return item;
}

/** The view's name in the manifest. */
const VIEW_TITLE = 'Cluster';

/** The view's description when not connected: "unreachable: connect ECONNREFUSED 127.0.0.1:6443 · next attempt in 8 s (5)". */
export function connectionDescription(s: ConnectionState): string | undefined {
  if (s.kind === 'connected' || s.kind === 'connecting' || s.kind === 'idle') return undefined;
  const reason = s.message ? plainText(s.message.replace(/\s*Retrying in \d+ s \(attempt \d+\)\.$/, ''), MAX_DETAIL) : undefined;
  const short = reason && (/\b(connect E[A-Z]+ [^\s,;)]+|getaddrinfo E[A-Z]+ [^\s,;)]+|timed out[^.;]*)/.exec(reason)?.[1] ?? reason);
  const next = s.kind === 'unreachable' && s.retryInMs !== undefined ? ` · retrying in ${Math.round(s.retryInMs / 1000)} s (attempt ${s.attempt ?? '?'})` : '';
  return `${s.kind === 'noKubeconfig' ? 'no kubeconfig' : s.kind}${short ? `: ${short}` : ''}${next}`;
}

/** Creates the provider and registers the view once. */
export function registerClusterView(
  service: ClusterService,
  reviews: Reviews,
): { provider: ClusterTreeProvider; view: vscode.TreeView<KrustletNode>; disposables: vscode.Disposable[] } {
  const provider = new ClusterTreeProvider(service, reviews);
  const view = vscode.window.createTreeView(Views.cluster, { treeDataProvider: provider, canSelectMany: true, showCollapseAll: false });
  // The welcome content (viewsWelcome: what to do, with its buttons) is static, and VS Code hides it while the view
  // has a message: what exactly went wrong goes into the view's description (its header) instead, with the next
  // attempt while the API server does not answer; the whole reason is in the log (Show Log).
  // The header is all a single view shows of it (its description is hidden there): while the API server does not
  // answer, the title says when the next attempt is.
  const showState = service.onDidChangeConnection((s) => {
    view.message = undefined;
    view.description = connectionDescription(s);
    // Short: the default side bar cuts the header at about 27 characters ("KRUSTLET: RETRYING IN 8 S").
    view.title = s.kind === 'unreachable' && s.retryInMs !== undefined ? `Retrying in ${Math.round(s.retryInMs / 1000)} s` : VIEW_TITLE;
  });
  return { provider, view, disposables: [provider, showState, view] };
}

