/** `token prune` and `csr prune`: list what goes, then delete exactly that (or only list it, with --dry-run). */
import { formatAge, shortSignerName } from '../core/csr/format';
import { decidedAt, expiredTokensOf, prunableCsrsOf, pruneCsrs, pruneTokens, type PruneResult } from '../core/prune';
import { formatTtl, parseTtl, rfc3339 } from '../core/token';
import { type CliIO, CLUSTER_OPTIONS, connectFrom, parse, printJson, table } from './common';

const PRUNE_OPTIONS = { ...CLUSTER_OPTIONS, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } } as const;

function report(io: CliIO, what: string, r: PruneResult): void {
  if (r.deleted.length) io.stdout(`Deleted ${r.deleted.length} ${what}${r.deleted.length === 1 ? '' : 's'}.\n`);
  for (const k of r.kept) io.stdout(`Kept ${k.name}: ${k.reason}.\n`);
}

export async function tokenPrune(args: string[], io: CliIO, help: string): Promise<number> {
  const { values } = parse(args, PRUNE_OPTIONS, 'token');
  if (values.help) return io.stdout(help), 0;
  const cluster = await connectFrom(values, io);
  const now = new Date();
  const plan = expiredTokensOf(await cluster.listTokens(), now);
  const dry = !!values['dry-run'];
  const result = dry || !plan.length ? { deleted: [], kept: [] } : await pruneTokens(cluster, plan);
  if (values.json) {
    printJson(io, { dryRun: dry, listed: plan.map((t) => ({ id: t.id, expiration: t.expiration ? rfc3339(t.expiration) : null, description: t.description ?? null })), ...result });
    return result.kept.length ? 1 : 0;
  }
  if (!plan.length) {
    io.stdout('No expired bootstrap tokens.\n');
    return 0;
  }
  io.stdout(`${dry ? 'Would delete' : 'Deleting'} ${plan.length} expired bootstrap token${plan.length === 1 ? '' : 's'}:\n`);
  io.stdout(table(['TOKEN', 'EXPIRED', 'DESCRIPTION'], plan.map((t) => [t.id, t.expiration ? `${rfc3339(t.expiration)} (${formatAge(t.expiration, now)} ago)` : '', t.description ?? '<none>'])));
  if (dry) io.stdout('Dry run: nothing deleted.\n');
  else report(io, 'expired bootstrap token', result);
  return result.kept.length ? 1 : 0;
}

export async function csrPrune(args: string[], io: CliIO, help: string): Promise<number> {
  const { values } = parse(args, { ...PRUNE_OPTIONS, 'older-than': { type: 'string' }, 'include-pending': { type: 'boolean' } }, 'csr');
  if (values.help) return io.stdout(help), 0;
  const olderThanSeconds = values['older-than'] === undefined ? 3600 : parseTtl(values['older-than']);
  const cluster = await connectFrom(values, io);
  const now = new Date();
  const plan = prunableCsrsOf((await cluster.listCsrs()).items, { olderThanSeconds, includePending: !!values['include-pending'], now });
  const dry = !!values['dry-run'];
  const result = dry || !plan.length ? { deleted: [], kept: [] } : await pruneCsrs(cluster, plan);
  if (values.json) {
    printJson(io, { dryRun: dry, olderThanSeconds, listed: plan.map((c) => ({ name: c.name, state: c.state, signerName: c.signerName, username: c.username ?? null })), ...result });
    return result.kept.length ? 1 : 0;
  }
  const age = olderThanSeconds ? ` older than ${formatTtl(olderThanSeconds)}` : '';
  if (!plan.length) {
    io.stdout(`No decided or failed CSRs${age}${values['include-pending'] ? ' (nor pending ones)' : ''}.${olderThanSeconds ? ' Pass --older-than 0 for all of them.' : ''}\n`);
    return 0;
  }
  io.stdout(`${dry ? 'Would delete' : 'Deleting'} ${plan.length} CSR${plan.length === 1 ? '' : 's'}${age}:\n`);
  io.stdout(
    table(
      ['NAME', 'STATE', 'SINCE', 'SIGNER', 'REQUESTOR'],
      plan.map((c) => {
        const at = c.state === 'pending' ? c.createdAt : decidedAt(c);
        return [c.name, c.state, at ? `${formatAge(at, now)} ago` : '<unknown>', shortSignerName(c.signerName), c.username ?? '<unknown>'];
      }),
    ),
  );
  if (dry) io.stdout('Dry run: nothing deleted.\n');
  else report(io, 'CSR', result);
  return result.kept.length ? 1 : 0;
}
