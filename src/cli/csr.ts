/** `krustlet-bootstrap csr list|review|approve|deny`: the same careful review as the extension's tree. */
import { loadReviewFacts } from '../core/cluster/reviewFacts';
import type { ClusterFacts } from '../core/csr/context';
import { reviewCsr, type ReviewOptions } from '../core/csr/review';
import { formatAge, shortSignerName } from '../core/csr/format';
import { findingText, reviewReasons, summarizeRequest } from '../core/csr/summary';
import { objectSegment, type Cluster } from '../core/cluster';
import { describeError, KrustletError } from '../core/errors';
import { APPROVE_CONCURRENCY, mapLimit } from '../core/limit';
import type { CsrInfo, CsrReview } from '../core/types';
import { csrPrune } from './prune';
import { type CliIO, type ClusterValues, CLUSTER_HELP, CLUSTER_OPTIONS, type CommandGroup, connectFrom, groupHelp, parse, printJson, table } from './common';

const HELP = `Usage: krustlet-bootstrap csr list [--json] [review options] [options]
       krustlet-bootstrap csr review NAME [--json] [review options] [options]
       krustlet-bootstrap csr approve NAME... [--force] [review options] [options]
       krustlet-bootstrap csr approve --all-passing | --renewals [--json] [review options] [options]
       krustlet-bootstrap csr deny NAME... [--message TEXT] [options]
       krustlet-bootstrap csr prune [--older-than 1h] [--include-pending] [--dry-run] [--json] [options]

list     the CertificateSigningRequests, pending first, with each one's review verdict
review   decode a CSR's request and check it as a careful approver would (pass / warn / fail, with reasons),
         in the cluster's context: the requesting Node's addresses, the Services' cluster IPs, the
         bootstrap token that asked (read once per command: one list of Nodes, tokens and Services)
approve  approve after the review; a request whose review fails is refused unless --force.
         --all-passing: every pending request whose review passes (not only warns);
         --renewals: every pending kubelet-serving request that renews an identical certificate
         (same subject and SANs as the node's current one) and does not fail its review, of the nodes
         named by --expect-hostname (all nodes without it). Both approve several at once and say
         what they skipped and why
deny     deny (the requester must create a new CSR)
prune    delete decided (approved, issued, denied) and failed CSRs decided at least --older-than ago
         (default 1h, as the cluster's csrcleaner; 0 = all); pending ones only with --include-pending.
         Lists them, then deletes exactly those (one changed since it was listed is kept)

Review options:
  --expect-hostname NAME    a hostname you are joining (repeatable); others are flagged
  --allowed-ip-range CIDR   where node IPs should be, e.g. 10.0.0.0/8 (repeatable)
  --max-duration DURATION   longest certificate lifetime to accept (e.g. 30d, 8760h; default 365d)

Options:
  --json               list, review, approve: machine-readable output
  --force              approve: approve even when the review fails
  --message TEXT       approve, deny: the message recorded on the condition
  --older-than DURATION, --include-pending, --dry-run   prune (see above)
${CLUSTER_HELP}
`;

const REVIEW_OPTIONS = {
  'expect-hostname': { type: 'string', multiple: true },
  'allowed-ip-range': { type: 'string', multiple: true },
  'max-duration': { type: 'string' },
} as const;

const STATE_ORDER: Record<CsrInfo['state'], number> = { pending: 0, approved: 1, issued: 2, denied: 3, failed: 4 };

function reviewOptions(values: { 'expect-hostname'?: string[]; 'allowed-ip-range'?: string[]; 'max-duration'?: string }): ReviewOptions {
  const opts: ReviewOptions = {};
  const hosts = (values['expect-hostname'] ?? []).flatMap((h) => h.split(',')).map((h) => h.trim()).filter(Boolean);
  if (hosts.length) opts.expectedHostnames = hosts;
  const ranges = (values['allowed-ip-range'] ?? []).flatMap((h) => h.split(',')).map((h) => h.trim()).filter(Boolean);
  if (ranges.length) opts.allowedIpRanges = ranges;
  if (values['max-duration'] !== undefined) opts.maxDurationSeconds = parseDuration(values['max-duration']);
  return opts;
}

/** `90s`, `30m`, `24h`, `30d`, `1y` → seconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+)(s|m|h|d|y)$/.exec(s.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0)) throw new KrustletError('invalid-argument', `--max-duration '${s}' is not a duration.`, 'Use e.g. 30d, 8760h or 1y.');
  return n * { s: 1, m: 60, h: 3600, d: 86400, y: 365 * 86400 }[m[2] as 's' | 'm' | 'h' | 'd' | 'y'];
}

/** kubectl's CONDITION column. */
function condition(c: CsrInfo): string {
  switch (c.state) {
    case 'pending': return 'Pending';
    case 'approved': return 'Approved';
    case 'issued': return 'Approved,Issued';
    case 'denied': return 'Denied';
    case 'failed': return 'Failed';
  }
}

function iso(d: Date | undefined): string | null {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}

/** The review options for this cluster: the flags, the API server, and the cluster's facts (one list of each collection). */
async function contextFor(cluster: Cluster, values: Parameters<typeof reviewOptions>[0], csrs?: Promise<CsrInfo[]>): Promise<ReviewOptions> {
  return { ...reviewOptions(values), apiServer: cluster.server, cluster: await loadReviewFacts(cluster, csrs) };
}

/** Which of the cluster's facts could be read, for --json: "ready", or why not. */
function contextJson(facts: ClusterFacts | undefined) {
  const one = (s: { ready: boolean; reason?: string }) => (s.ready ? 'ready' : (s.reason ?? 'not available'));
  return facts ? { nodes: one(facts.nodes.state), tokens: one(facts.tokens.state), services: one(facts.services.state) } : null;
}

function reviewJson(c: CsrInfo, r: CsrReview) {
  return {
    name: c.name,
    state: c.state,
    signerName: c.signerName,
    signer: shortSignerName(c.signerName),
    username: c.username ?? null,
    groups: c.groups,
    usages: c.usages,
    expirationSeconds: c.expirationSeconds ?? null,
    createdAt: iso(c.createdAt),
    verdict: r.verdict,
    reasons: reviewReasons(r).map(findingText),
    findings: r.findings,
    request: r.decoded ?? null,
  };
}

function names(positionals: string[], sub: string): string[] {
  if (!positionals.length) throw new KrustletError('invalid-argument', `csr ${sub} needs a CSR name.`, 'Run `krustlet-bootstrap csr list` to see them.');
  // Every name checked before connecting: nothing happens for a bad one.
  for (const p of positionals) objectSegment('CertificateSigningRequest', p);
  return positionals;
}

/** Why a pending request is not approved by --all-passing / --renewals (undefined: approve it). */
function skipReason(c: CsrInfo, r: CsrReview, mode: 'all-passing' | 'renewals', hosts: Set<string>): string | undefined {
  if (mode === 'all-passing') {
    if (r.verdict === 'fail') return `its review fails: ${reviewReasons(r).filter((f) => f.verdict === 'fail').map(findingText)[0] ?? ''}`;
    if (r.verdict === 'warn') return `its review has warnings (approve it by name after reading them): ${reviewReasons(r).map(findingText)[0] ?? ''}`;
    return undefined;
  }
  if (c.signerName !== 'kubernetes.io/kubelet-serving') return 'not a kubelet-serving request';
  const node = c.username?.startsWith('system:node:') ? c.username.slice('system:node:'.length) : undefined;
  if (hosts.size && !(node && hosts.has(node.toLowerCase()))) return `node '${node ?? c.username ?? '?'}' is not one of --expect-hostname`;
  if (!r.renewal) return "no current serving certificate of the node is known (no issued serving CSR of it is listed): not a renewal that can be compared";
  if (!r.renewal.identical) return `not an identical renewal (${[...r.renewal.added.map((s) => `+${s}`), ...r.renewal.removed.map((s) => `−${s}`), ...r.renewal.subject].join(', ')})`;
  if (r.verdict === 'fail') return `its review fails: ${reviewReasons(r).filter((f) => f.verdict === 'fail').map(findingText)[0] ?? ''}`;
  return undefined;
}

/** `csr approve --all-passing | --renewals`: one list, one review each, approvals side by side, a summary of what was skipped and why. */
async function approveSelected(values: Parameters<typeof reviewOptions>[0] & ClusterValues & { json?: boolean; message?: string }, mode: 'all-passing' | 'renewals', io: CliIO): Promise<number> {
  const cluster = await connectFrom(values, io);
  const listing = cluster.listCsrs();
  const [opts, listed] = await Promise.all([contextFor(cluster, values, listing.then((l) => l.items)), listing]);
  const hosts = new Set((opts.expectedHostnames ?? []).map((h) => h.toLowerCase()));
  const pending = listed.items.filter((c) => c.state === 'pending').sort((a, b) => a.name.localeCompare(b.name));
  const chosen: { c: CsrInfo; r: CsrReview }[] = [];
  const skipped: { name: string; why: string }[] = [];
  for (const c of pending) {
    const r = reviewCsr(c, opts);
    const why = skipReason(c, r, mode, hosts);
    if (why) skipped.push({ name: c.name, why });
    else chosen.push({ c, r });
  }
  const what = mode === 'renewals' ? 'identical renewal' : 'review passes';
  const settled = await mapLimit(chosen, APPROVE_CONCURRENCY, ({ c, r }) =>
    cluster.approveCsr(c.name, mode === 'renewals' ? 'KrustletIdenticalRenewal' : 'KrustletBootstrapApprove', values.message ?? `Approved with krustlet-bootstrap csr approve --${mode}: ${what}${r.renewal ? ` (${r.renewal.from})` : ''}.`, c),
  );
  const approved: string[] = [];
  const failed: { name: string; error: string }[] = [];
  settled.forEach((s, i) => (s.status === 'fulfilled' ? approved.push(chosen[i].c.name) : failed.push({ name: chosen[i].c.name, error: describeError(s.reason) })));
  if (values.json) printJson(io, { context: contextJson(opts.cluster), approved, skipped, failed });
  else {
    for (const n of approved) io.stdout(`Approved CSR ${n} (${what}).\n`);
    io.stdout(`${approved.length} approved, ${skipped.length} skipped, ${failed.length} failed (of ${pending.length} pending).\n`);
    for (const s of skipped) io.stdout(`  skipped ${s.name}: ${s.why}\n`);
    for (const f of failed) io.stderr(`error: approving ${f.name} failed: ${f.error}\n`);
  }
  return failed.length ? 1 : 0;
}

async function approve(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(
    args,
    { ...CLUSTER_OPTIONS, ...REVIEW_OPTIONS, force: { type: 'boolean' }, message: { type: 'string' }, json: { type: 'boolean' }, 'all-passing': { type: 'boolean' }, renewals: { type: 'boolean' } },
    'csr',
    true,
  );
  if (values.help) return io.stdout(HELP), 0;
  const mode = values['all-passing'] ? 'all-passing' : values.renewals ? 'renewals' : undefined;
  if (mode) {
    if (values['all-passing'] && values.renewals) throw new KrustletError('invalid-argument', '--all-passing and --renewals cannot be combined.', 'Use one of them.');
    if (positionals.length || values.force) throw new KrustletError('invalid-argument', `--${mode} chooses the requests itself: it takes no CSR names and no --force.`, 'Approve named requests without it.');
    return approveSelected(values, mode, io);
  }
  const list = names(positionals, 'approve');
  const cluster = await connectFrom(values, io);
  const opts = await contextFor(cluster, values);
  const results: object[] = [];
  const out = (text: string) => !values.json && io.stdout(text);
  let code = 0;
  for (const name of list) {
    const csr = await cluster.getCsr(name);
    if (csr.state === 'approved' || csr.state === 'issued') {
      out(`CSR ${name} is already approved.\n`);
      results.push({ name, result: 'already-approved' });
      continue;
    }
    if (csr.state === 'denied' || csr.state === 'failed') {
      throw new KrustletError('conflict', `CSR '${name}' is already ${csr.state}.`, 'A decided CSR cannot be changed; the requester must create a new one.');
    }
    const review = reviewCsr(csr, opts);
    const reasons = reviewReasons(review);
    if (review.verdict === 'fail' && !values.force) {
      io.stderr(`error: Refusing to approve CSR '${name}': its review fails. Check what it asks for with \`krustlet-bootstrap csr review ${name}\`; approve anyway with --force.\n`);
      for (const f of reasons) io.stderr(`  ${f.verdict === 'fail' ? 'FAIL' : 'WARN'} ${findingText(f)}\n`);
      results.push({ ...reviewJson(csr, review), result: 'refused' });
      code = 1;
      continue;
    }
    for (const f of reasons) io.stderr(`warning: ${findingText(f)}\n`);
    const forced = review.verdict === 'fail' ? ' (forced despite a failing review)' : '';
    await cluster.approveCsr(name, 'KrustletBootstrapApprove', values.message ?? `Approved with krustlet-bootstrap after review: ${review.verdict}${forced}.`, csr);
    out(`Approved CSR ${name} (${shortSignerName(csr.signerName)}, review: ${review.verdict}${forced}).\n`);
    results.push({ ...reviewJson(csr, review), result: forced ? 'approved-forced' : 'approved' });
  }
  if (values.json) printJson(io, { context: contextJson(opts.cluster), results });
  return code;
}

export const csrCommand: CommandGroup = {
  name: 'csr',
  help: HELP,
  async run(args, io) {
    const sub = args[0];
    const helped = groupHelp(sub, HELP, io);
    if (helped !== undefined) return helped;
    const rest = args.slice(1);
    if (sub === 'list') {
      const { values } = parse(rest, { ...CLUSTER_OPTIONS, ...REVIEW_OPTIONS, json: { type: 'boolean' } }, 'csr');
      if (values.help) return io.stdout(HELP), 0;
      const cluster = await connectFrom(values, io);
      const listing = cluster.listCsrs();
      const [opts, listed] = await Promise.all([contextFor(cluster, values, listing.then((l) => l.items)), listing]);
      const csrs = listed.items.sort(
        (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0) || a.name.localeCompare(b.name),
      );
      const reviewed = csrs.map((c) => ({ c, r: reviewCsr(c, opts) }));
      if (values.json) {
        printJson(io, reviewed.map(({ c, r }) => reviewJson(c, r)));
        return 0;
      }
      if (!csrs.length) {
        io.stdout('No CertificateSigningRequests.\n');
        return 0;
      }
      const now = new Date();
      io.stdout(
        table(
          ['NAME', 'AGE', 'SIGNER', 'REQUESTOR', 'CONDITION', 'REVIEW'],
          reviewed.map(({ c, r }) => [c.name, c.createdAt ? formatAge(c.createdAt, now) : '<unknown>', shortSignerName(c.signerName), c.username ?? '<unknown>', condition(c), r.verdict]),
        ),
      );
      return 0;
    }
    if (sub === 'review') {
      const { values, positionals } = parse(rest, { ...CLUSTER_OPTIONS, ...REVIEW_OPTIONS, json: { type: 'boolean' } }, 'csr', true);
      if (values.help) return io.stdout(HELP), 0;
      const [name, ...extra] = names(positionals, 'review');
      if (extra.length) throw new KrustletError('invalid-argument', 'csr review takes one CSR name.', 'Review them one at a time, or use `csr list` for every verdict.');
      const cluster = await connectFrom(values, io);
      const [opts, csr] = await Promise.all([contextFor(cluster, values), cluster.getCsr(name)]);
      const review = reviewCsr(csr, opts);
      if (values.json) printJson(io, { ...reviewJson(csr, review), context: contextJson(opts.cluster) });
      else io.stdout(`${summarizeRequest(csr, review).lines.join('\n')}\n`);
      return 0;
    }
    if (sub === 'approve') return approve(rest, io);
    if (sub === 'prune') return csrPrune(rest, io, HELP);
    if (sub === 'deny') {
      const { values, positionals } = parse(rest, { ...CLUSTER_OPTIONS, message: { type: 'string' } }, 'csr', true);
      if (values.help) return io.stdout(HELP), 0;
      const list = names(positionals, 'deny');
      const cluster = await connectFrom(values, io);
      for (const name of list) {
        await cluster.denyCsr(name, 'KrustletBootstrapDeny', values.message ?? 'Denied with krustlet-bootstrap.');
        io.stdout(`Denied CSR ${name}.\n`);
      }
      return 0;
    }
    throw new KrustletError('invalid-argument', `Unknown csr command '${sub.slice(0, 40)}'.`, 'Use `csr list`, `csr review NAME`, `csr approve NAME`, `csr deny NAME` or `csr prune`.');
  },
};
