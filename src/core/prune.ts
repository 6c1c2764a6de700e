/**
 * Cleanup: expired bootstrap tokens (they stay when the cluster's tokencleaner is off) and decided or
 * failed CSRs (they pile up until kube-controller-manager's csrcleaner runs, and on some clusters never
 * go). A plan is listed first; applying it deletes exactly what it listed: each object is deleted with
 * preconditions (its resourceVersion, and a CSR's uid), so one that changed since is kept and reported.
 * A pending CSR is never in a plan unless asked for.
 */
import { describeError, isKrustletError } from './errors';
import type { Cluster } from './cluster';
import { tokenExpired } from './token';
import type { CsrInfo, TokenInfo } from './types';

export interface CsrPruneOptions {
  /** Only requests decided (or, with includePending, created) at least this long ago; default 0. */
  olderThanSeconds?: number;
  /** Pending requests too (only when the user asks). */
  includePending?: boolean;
  now?: Date;
}

/** Pure: the expired tokens, oldest expiry first. */
export function expiredTokensOf(tokens: readonly TokenInfo[], now: Date = new Date()): TokenInfo[] {
  return tokens.filter((t) => tokenExpired(t, now)).sort((a, b) => (a.expiration?.getTime() ?? 0) - (b.expiration?.getTime() ?? 0));
}

/** When a CSR was decided (its Approved/Denied/Failed condition), else when it was created. */
export function decidedAt(c: CsrInfo): Date | undefined {
  const cond = c.conditions.filter((x) => ['Approved', 'Denied', 'Failed'].includes(x.type) && x.lastUpdateTime).map((x) => x.lastUpdateTime as Date);
  if (cond.length) return new Date(Math.max(...cond.map((d) => d.getTime())));
  return c.createdAt;
}

/** Pure: the CSRs a prune removes — decided (approved, issued, denied) and failed, old enough; pending only when asked. */
export function prunableCsrsOf(csrs: readonly CsrInfo[], o: CsrPruneOptions = {}): CsrInfo[] {
  const now = (o.now ?? new Date()).getTime();
  const min = (o.olderThanSeconds ?? 0) * 1000;
  return csrs
    .filter((c) => c.state !== 'pending' || o.includePending)
    .filter((c) => {
      const at = c.state === 'pending' ? c.createdAt : decidedAt(c);
      return min === 0 || (at !== undefined && now - at.getTime() >= min);
    })
    .sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0) || a.name.localeCompare(b.name));
}

export interface PruneResult {
  deleted: string[];
  /** Listed but not deleted: gone meanwhile, changed since it was listed, or the delete failed. */
  kept: { name: string; reason: string }[];
}

async function each(names: string[], del: (i: number) => Promise<void>): Promise<PruneResult> {
  const r: PruneResult = { deleted: [], kept: [] };
  for (let i = 0; i < names.length; i++) {
    try {
      await del(i);
      r.deleted.push(names[i]);
    } catch (e) {
      if (isKrustletError(e, 'unreachable') || isKrustletError(e, 'timeout') || isKrustletError(e, 'unauthorized')) throw e;
      const reason = isKrustletError(e, 'not-found') ? 'already gone' : isKrustletError(e, 'conflict') ? 'changed since it was listed' : describeError(e);
      r.kept.push({ name: names[i], reason });
    }
  }
  return r;
}

/** Deletes exactly these token Secrets (as listed: each only at its listed resourceVersion). */
export function pruneTokens(cluster: Cluster, tokens: readonly TokenInfo[]): Promise<PruneResult> {
  return each(
    tokens.map((t) => t.id),
    async (i) => void (await cluster.deleteToken(tokens[i].id, tokens[i].resourceVersion)),
  );
}

/** Deletes exactly these CSRs (each only as listed: same uid and resourceVersion). */
export function pruneCsrs(cluster: Cluster, csrs: readonly CsrInfo[]): Promise<PruneResult> {
  return each(
    csrs.map((c) => c.name),
    (i) => cluster.deleteCsr(csrs[i].name, { uid: csrs[i].uid, resourceVersion: csrs[i].resourceVersion }),
  );
}
