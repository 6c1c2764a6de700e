/**
 * The extension's reviews: one core ReviewCache for the tree, its tooltips, the review document,
 * approve, the notifier and the agent feature, with the review context (expected hostnames, the API
 * server) kept current from the ClusterService, and the background reviewing that keeps the first
 * render of thousands of requests fast.
 */
import * as vscode from 'vscode';
import { liveFactSource, liveServiceFacts, type LiveSource } from '../core/cluster/reviewFacts';
import { nodeKey, nodeNameOf, type ClusterFacts } from '../core/csr/context';
import { loadX509 } from '../core/csr/decode';
import { ReviewCache, type ReviewContext } from '../core/csr/reviewCache';
import { certificatesFromCsrs, csrsByNode, type NodeCsrs } from '../core/nodes';
import { SIGNER_KUBELET_SERVING } from '../core/csr/format';
import type { CsrInfo, CsrReview } from '../core/types';
import type { ClusterService } from './clusterService';
import type { LiveCollection } from './collection';

/** A live collection as the core's fact sources read it. */
function liveSource<T>(c: LiveCollection<T>): LiveSource<T> {
  return {
    get synced() {
      return c.synced;
    },
    get error() {
      return c.lastError;
    },
    get: (key) => c.get(key),
    list: () => c.list(),
  };
}

/** Longest run of background reviews before yielding to the extension host's other work. */
const REVIEW_SLICE_MS = 8;

export class Reviews implements vscode.Disposable {
  private context: ReviewContext;
  private readonly cache: ReviewCache;
  private readonly contextEmitter = new vscode.EventEmitter<void>();
  /** The review context changed: every review may read differently now. */
  readonly onDidChangeContext = this.contextEmitter.event;
  private readonly reviewedEmitter = new vscode.EventEmitter<readonly string[]>();
  /** Background reviews finished, by CSR name. */
  readonly onDidReview = this.reviewedEmitter.event;

  /**
   * Reviews (PKCS#10 decode + signature check + rules, ~1 ms each) the render path may compute
   * synchronously per macrotask ({@link forRender}). A few new requests are reviewed before they are
   * first shown; beyond that (a first list of thousands) they are reviewed in the background in small
   * time slices and {@link onDidReview} says which. Approving, the review document and the notifier
   * always get the full review ({@link get}), so a failing request always gets its modal.
   */
  syncReviewsPerTick = 32;
  private syncReviewsLeft = -1;
  /** Names waiting for a background review (the CSR is read again when its turn comes). */
  private readonly queue = new Set<string>();
  private timer?: NodeJS.Timeout;
  private x509Warmed = false;
  private readonly disposables: vscode.Disposable[];

  /** The cluster's facts the reviews read (Nodes, Services, token Secrets), straight from the live collections. */
  readonly facts: ClusterFacts;
  /** What each Node's reviews read last (uid + addresses), to refresh only the requests of a Node whose addresses changed. */
  private readonly seenNodes = new Map<string, string>();
  /** Every CSR by node (core csrsByNode), rebuilt on first use after a CSR change. */
  private index?: Map<string, NodeCsrs>;

  constructor(private readonly service: ClusterService) {
    const services = liveServiceFacts(liveSource(service.services));
    this.facts = {
      nodes: liveFactSource('Nodes', liveSource(service.nodes)),
      tokens: liveFactSource('bootstrap token Secrets', liveSource(service.tokens)),
      services,
      certificates: certificatesFromCsrs(() => this.csrIndex()),
    };
    this.context = this.readContext(0);
    this.cache = new ReviewCache(() => this.context);
    this.disposables = [
      this.contextEmitter,
      this.reviewedEmitter,
      service.onDidChangeExpectedHostnames(() => this.contextChanged()),
      service.onDidChangeConnection((s) => {
        this.queue.clear();
        if (s.kind === 'connecting' && !this.x509Warmed) {
          // The CSR list is on its way: load the review's x509 stack (~100 ms, once) before it lands.
          this.x509Warmed = true;
          setTimeout(loadX509, 0);
        }
        if (s.kind === 'connected' && this.context.options.apiServer !== service.cluster?.server) this.contextChanged();
      }),
      service.csrs.onDidChange((c) => {
        this.index = undefined;
        if (c.type === 'deleted') this.cache.forget(c.item);
        else if (c.type === 'reset') this.cache.retain(service.csrs.list());
        // An issued (or removed) serving certificate is its node's current one: its pending serving requests compare with it.
        if ((c.type === 'modified' || c.type === 'deleted') && c.item.signerName === SIGNER_KUBELET_SERVING && c.item.state === 'issued') {
          const node = nodeNameOf(c.item.username);
          if (node) this.factsChanged((csr) => csr.state === 'pending' && csr.name !== c.item.name && nodeNameOf(csr.username)?.toLowerCase() === node.toLowerCase());
        }
      }),
      // The cache notices stale facts by itself (each entry is keyed by the facts it read); these
      // only say which requests' items to draw again.
      service.nodes.onDidChange((c) => {
        if (c.type === 'reset' || c.type === 'status') {
          this.seenNodes.clear();
          return this.factsChanged();
        }
        const key = c.type === 'deleted' ? nodeKey(undefined) : nodeKey(c.item);
        if (this.seenNodes.get(c.key) === key) return; // a heartbeat: nothing the review reads
        this.seenNodes.set(c.key, key);
        this.factsChanged((csr) => nodeNameOf(csr.username)?.toLowerCase() === c.key.toLowerCase(), c.key);
      }),
      service.tokens.onDidChange((c) => {
        if (c.type === 'reset' || c.type === 'status') return this.factsChanged();
        this.factsChanged((csr) => csr.username === `system:bootstrap:${c.key}`);
      }),
      service.services.onDidChange(() => {
        services.changed();
        this.factsChanged();
      }),
    ];
  }

  /** Every CSR by (lowercased) node name: the Nodes group and the renewal comparison read it. */
  csrIndex(): Map<string, NodeCsrs> {
    return (this.index ??= csrsByNode(this.service.csrs.list()));
  }

  /**
   * Facts changed: the items of the requests they concern are drawn again (`which`: those; a node
   * name also takes the client requests whose subject is that node), or every item.
   */
  private factsChanged(which?: (csr: CsrInfo) => boolean, node?: string): void {
    if (!which) {
      this.contextEmitter.fire();
      return;
    }
    const names = this.service.csrs.list().filter(which).map((c) => c.name);
    if (node !== undefined) for (const c of csrsByNode(this.service.csrs.list()).get(node.toLowerCase())?.client ?? []) names.push(c.name);
    if (names.length) this.reviewedEmitter.fire([...new Set(names)]);
  }

  private readContext(version: number): ReviewContext {
    return { version, options: { expectedHostnames: this.service.expectedHostnames(), apiServer: this.service.cluster?.server, cluster: this.facts } };
  }

  private contextChanged(): void {
    this.context = this.readContext(this.context.version + 1);
    this.contextEmitter.fire();
  }

  /** The full review of this version of the request, computed now if needed. */
  get(csr: CsrInfo): CsrReview {
    return this.cache.get(csr);
  }

  /** The review if it is computed and current; never computes it. */
  peek(csr: CsrInfo): CsrReview | undefined {
    return this.cache.peek(csr);
  }

  /**
   * For the render path: the review when it is ready or fits this macrotask's budget; otherwise
   * undefined, and the request is reviewed in the background ({@link onDidReview} follows).
   */
  forRender(csr: CsrInfo): CsrReview | undefined {
    const ready = this.cache.peek(csr);
    if (ready) return ready;
    if (this.takeSyncReview()) return this.cache.get(csr);
    this.queue.add(csr.name);
    this.timer ??= setTimeout(() => this.slice(), 0);
    return undefined;
  }

  /** Drops one request's review (tests: to render a request as not reviewed yet). */
  forget(csr: CsrInfo): void {
    this.cache.forget(csr);
  }

  private takeSyncReview(): boolean {
    if (this.syncReviewsLeft < 0) {
      this.syncReviewsLeft = this.syncReviewsPerTick;
      setImmediate(() => (this.syncReviewsLeft = -1));
    }
    if (this.syncReviewsLeft <= 0 || this.syncReviewsPerTick <= 0) return false;
    this.syncReviewsLeft--;
    return true;
  }

  /** Reviews queued requests for up to REVIEW_SLICE_MS, reports them, and pauses before the next slice. */
  private slice(): void {
    this.timer = undefined;
    const start = performance.now();
    const done: string[] = [];
    for (const name of this.queue) {
      this.queue.delete(name);
      // Gone or no longer pending: its item does not show a review.
      const csr = this.service.csrs.get(name);
      if (!csr || csr.state !== 'pending') continue;
      this.cache.get(csr);
      done.push(name);
      if (performance.now() - start >= REVIEW_SLICE_MS) break;
    }
    if (done.length) this.reviewedEmitter.fire(done);
    // A pause as long as the slice: background reviews take at most about half of the extension host.
    if (this.queue.size) this.timer = setTimeout(() => this.slice(), REVIEW_SLICE_MS);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.queue.clear();
    for (const d of this.disposables) d.dispose();
  }
}
