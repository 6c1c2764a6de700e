/**
 * Reviews computed once and shared by everyone who shows or acts on a CSR (in the extension: the
 * tree, its tooltips, the review document, approve, the notifier and the agent feature; the CLI may
 * use it the same way). A review depends on two things, and the cache is keyed by both:
 *
 *  - the request: its uid and resourceVersion (one version of one object; a recreated CSR with the
 *    same name has another uid). Without those (a CsrInfo built by hand) a fingerprint of the fields
 *    the review reads stands in;
 *  - the review's context: the settings it reads (expected hostnames, the API server …), as
 *    {@link ReviewContext} with a `version` its owner changes whenever one of those changes; and the
 *    cluster facts this one request's review read (its Node's addresses, its token, the Services'
 *    cluster IPs: {@link contextKeyOf}), compared on every read — so a Node's heartbeat reviews
 *    nothing again, while a change of its addresses reviews exactly the requests that name it.
 *
 * One entry per CSR: a newer version replaces the older one, and {@link forget} / {@link retain}
 * drop the entries of requests that are gone. No vscode import: the cache is plain Node.
 */
import type { CsrInfo, CsrReview } from '../types';
import { contextKeyOf } from './context';
import { reviewCsr, type ReviewOptions } from './review';

/** The facts a review depends on beyond the request itself. */
export interface ReviewContext {
  /** Changes whenever `options` (or anything else a review reads) changes. */
  readonly version: number;
  readonly options: ReviewOptions;
}

export type Reviewer = (csr: CsrInfo, options: ReviewOptions) => CsrReview;

interface Entry {
  version: string;
  contextVersion: number;
  /** The cluster facts the review read (see contextKeyOf). */
  factsKey: string;
  review: CsrReview;
}

/** The key of a CSR's entry: its uid, else its name. */
export function reviewKeyOf(csr: Pick<CsrInfo, 'uid' | 'name'>): string {
  return csr.uid ?? `name:${csr.name}`;
}

/** Which version of the request a review is of. */
function versionOf(csr: CsrInfo): string {
  if (csr.uid !== undefined && csr.resourceVersion !== undefined) return csr.resourceVersion;
  return [csr.signerName, csr.username ?? '', csr.groups.join(','), csr.usages.join(','), csr.expirationSeconds ?? '', csr.requestPem].join('|');
}

function factsKeyOf(csr: CsrInfo, review: CsrReview, ctx: ReviewContext): string {
  return contextKeyOf(csr, review.decoded, ctx.options.cluster, ctx.options.now ?? new Date());
}

export class ReviewCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly context: () => ReviewContext,
    private readonly reviewer: Reviewer = reviewCsr,
  ) {}

  /** The review of this version of the request in the current context, computed now if needed (PKCS#10 decode, signature check, every rule). */
  get(csr: CsrInfo): CsrReview {
    const ctx = this.context();
    const key = reviewKeyOf(csr);
    const version = versionOf(csr);
    const e = this.entries.get(key);
    if (e && this.current(e, csr, ctx)) return e.review;
    const review = this.reviewer(csr, ctx.options);
    this.entries.set(key, { version, contextVersion: ctx.version, factsKey: factsKeyOf(csr, review, ctx), review });
    return review;
  }

  /** The review if it is computed and current; never computes it. */
  peek(csr: CsrInfo): CsrReview | undefined {
    const e = this.entries.get(reviewKeyOf(csr));
    return e && this.current(e, csr, this.context()) ? e.review : undefined;
  }

  private current(e: Entry, csr: CsrInfo, ctx: ReviewContext): boolean {
    return e.version === versionOf(csr) && e.contextVersion === ctx.version && e.factsKey === factsKeyOf(csr, e.review, ctx);
  }

  /** Drops the entry of a request that is gone. */
  forget(csr: Pick<CsrInfo, 'uid' | 'name'>): void {
    this.entries.delete(reviewKeyOf(csr));
  }

  /** Keeps only the entries of these requests (after a relist). */
  retain(csrs: Iterable<Pick<CsrInfo, 'uid' | 'name'>>): void {
    const keep = new Set<string>();
    for (const c of csrs) keep.add(reviewKeyOf(c));
    for (const key of [...this.entries.keys()]) if (!keep.has(key)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
