/** `krustlet-bootstrap token create|list|delete`: bootstrap tokens at kubeadm's level. */
import type { Cluster } from '../core/cluster';
import { isKrustletError, KrustletError } from '../core/errors';
import { caCertHashesFromData, joinCommand } from '../core/join';
import { formatToken, formatTtl, KUBEADM_TTL_SECONDS, maskToken, parseList, parseTtl, pinnedNodeName, rfc3339, tokenIdOf, tokenIdOfUser } from '../core/token';
import { createToken } from '../core/tokenCreate';
import { tokenPrune } from './prune';
import type { CsrInfo, TokenInfo } from '../core/types';
import { CLUSTER_HELP, CLUSTER_OPTIONS, type CliIO, type CommandGroup, connectFrom, groupHelp, parse, printJson, stderrLogger, table } from './common';

const HELP = `Usage: krustlet-bootstrap token create [--ttl 24h] [--description TEXT] [--usages signing,authentication]
                                      [--groups system:bootstrappers:...] [--node-name NAME]
                                      [--print-join-command | --print-token] [--json] [options]
       krustlet-bootstrap token list [--show-secrets] [--json] [options]
       krustlet-bootstrap token delete ID|TOKEN... [options]
       krustlet-bootstrap token prune [--dry-run] [--json] [options]

create   a bootstrap token (Secret kube-system/bootstrap-token-<id>) with kubeadm's defaults; no file is
         written. The token is not printed unless --print-join-command or --print-token asks.
list     the bootstrap tokens in kube-system with kubeadm's columns, the node a token is pinned to and
         the CSRs made with it (secrets are masked unless --show-secrets)
delete   delete tokens by id (abcdef) or whole token
prune    delete the expired tokens (they stay when the cluster's tokencleaner is off): lists them, then
         deletes exactly those (a token changed since it was listed is kept)

Options:
  --ttl DURATION          create: lifetime, e.g. 1h, 90m, 24h; 0 = never expires (default: 24h)
  --description TEXT      create: stored with the token
  --usages LIST           create: signing, authentication (default: both)
  --groups LIST           create: extra groups, each matching ^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$
                          (default: system:bootstrappers:kubeadm:default-node-token)
  --node-name NAME        create: pin the token to one node (annotation krustlet.dev/node-name)
  --print-join-command    create: print only \`kubeadm join <host:port> --token … --discovery-token-ca-cert-hash sha256:…\`
  --print-token           create: also print the token (it is a credential)
  --show-secrets          list: show whole tokens (they are credentials)
  --dry-run               prune: only list what would be deleted
  --json                  create, list, prune: machine-readable output
${CLUSTER_HELP}
`;

/** Longer descriptions are cut in the table (`--json` has them whole). */
const DESCRIPTION_WIDTH = 40;

function ttlLeft(t: TokenInfo, now: Date): string {
  if (!t.expiration) return '<forever>';
  if (t.expired) return '<expired>';
  return formatTtl(Math.max(1, Math.round((t.expiration.getTime() - now.getTime()) / 1000)));
}

/** The CSRs made with each token (spec.username system:bootstrap:<id>); undefined when CSRs cannot be listed. */
async function csrsByToken(cluster: Cluster, io: CliIO): Promise<Map<string, CsrInfo[]> | undefined> {
  let items: CsrInfo[];
  try {
    items = (await cluster.listCsrs()).items;
  } catch (e) {
    if (!isKrustletError(e, 'forbidden')) throw e;
    io.stderr('warning: This identity may not list certificatesigningrequests: USED shows ?.\n');
    return undefined;
  }
  const by = new Map<string, CsrInfo[]>();
  for (const c of items) {
    const id = tokenIdOfUser(c.username);
    if (id) by.set(id, [...(by.get(id) ?? []), c]);
  }
  return by;
}

function usedText(csrs: CsrInfo[] | undefined, known: boolean): string {
  if (!known) return '?';
  if (!csrs?.length) return 'no';
  return csrs.length === 1 ? '1 CSR' : `${csrs.length} CSRs`;
}

async function list(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { ...CLUSTER_OPTIONS, 'show-secrets': { type: 'boolean' }, json: { type: 'boolean' } }, 'token');
  if (values.help) return io.stdout(HELP), 0;
  const cluster = await connectFrom(values, io);
  const tokens = await cluster.listTokens({ includeSecrets: !!values['show-secrets'] });
  const used = tokens.length ? await csrsByToken(cluster, io) : new Map<string, CsrInfo[]>();
  const now = new Date();
  if (values.json) {
    printJson(
      io,
      tokens.map((t) => ({
        id: t.id,
        ...(values['show-secrets'] ? { token: `${t.id}.${t.secret ?? ''}` } : {}),
        secretName: t.secretName,
        expiration: t.expiration ? rfc3339(t.expiration) : null,
        expired: t.expired,
        usages: t.usages,
        extraGroups: t.extraGroups,
        description: t.description ?? null,
        pinnedNode: t.pinnedNode ?? null,
        createdAt: t.createdAt ? rfc3339(t.createdAt) : null,
        csrs: used ? (used.get(t.id) ?? []).map((c) => ({ name: c.name, signerName: c.signerName, state: c.state })) : null,
      })),
    );
    return 0;
  }
  if (!tokens.length) {
    io.stdout('No bootstrap tokens.\n');
    return 0;
  }
  io.stdout(
    table(
      ['TOKEN', 'TTL', 'EXPIRES', 'USAGES', { header: 'DESCRIPTION', max: DESCRIPTION_WIDTH }, 'EXTRA GROUPS', 'NODE', 'USED'],
      tokens.map((t) => [
        values['show-secrets'] ? `${t.id}.${t.secret ?? ''}` : maskToken(t.id),
        ttlLeft(t, now),
        t.expiration ? rfc3339(t.expiration) : '<never>',
        t.usages.join(',') || '<none>',
        t.description ?? '<none>',
        t.extraGroups.join(',') || '<none>',
        t.pinnedNode ?? '<any>',
        usedText(used?.get(t.id), used !== undefined),
      ]),
    ),
  );
  return 0;
}

async function create(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(
    args,
    {
      ...CLUSTER_OPTIONS,
      ttl: { type: 'string' },
      description: { type: 'string' },
      usages: { type: 'string' },
      groups: { type: 'string' },
      'node-name': { type: 'string' },
      'print-join-command': { type: 'boolean' },
      'print-token': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    'token',
  );
  if (values.help) return io.stdout(HELP), 0;
  // Every input is checked before connecting: a bad one costs no request and creates nothing.
  const ttlSeconds = values.ttl === undefined ? KUBEADM_TTL_SECONDS : parseTtl(values.ttl);
  const usages = values.usages === undefined ? undefined : parseList(values.usages, 'usages');
  const extraGroups = values.groups === undefined ? undefined : parseList(values.groups, 'groups');
  const nodeName = values['node-name'] === undefined ? undefined : pinnedNodeName(values['node-name']);
  const wantJoin = !!values['print-join-command'];
  const logger = stderrLogger(io, !!values.verbose);
  const cluster = await connectFrom(values, io, logger);
  let hashes: string[] = [];
  const r = await createToken({
    cluster,
    ttlSeconds,
    description: values.description,
    usages,
    extraGroups,
    nodeName,
    logger,
    // The join command needs the CA: without one, fail before the Secret exists.
    beforeCreate: () => {
      if (wantJoin) hashes = caCertHashesFromData(cluster.caData);
    },
  });
  const join = wantJoin ? joinCommand({ server: cluster.server, token: r.token, caCertHashes: hashes }) : undefined;
  if (wantJoin && !r.usages.includes('authentication')) logger.warn(`Token ${r.token.id} has no 'authentication' usage: kubeadm join cannot authenticate with it.`);
  if (wantJoin && !r.usages.includes('signing')) logger.warn(`Token ${r.token.id} has no 'signing' usage: cluster-info is not signed for it, so token discovery fails.`);
  if (values.json) {
    printJson(io, {
      tokenId: r.token.id,
      ...(values['print-token'] || wantJoin ? { token: formatToken(r.token) } : {}),
      secretName: `${r.namespace}/${r.secretName}`,
      expiration: r.expiration ? rfc3339(r.expiration) : null,
      usages: r.usages,
      extraGroups: r.extraGroups,
      description: r.description ?? null,
      nodeName: r.nodeName ?? null,
      context: cluster.context.name,
      server: cluster.server,
      ...(join ? { joinCommand: join, caCertHashes: hashes } : {}),
    });
    return 0;
  }
  if (join) {
    // Like kubeadm: stdout is the command alone, so `$(krustlet-bootstrap token create --print-join-command)` works.
    io.stdout(`${join}\n`);
    return 0;
  }
  const expires = r.expiration ? `expires ${rfc3339(r.expiration)} (in ${formatTtl(ttlSeconds)})` : 'never expires';
  io.stdout(`Created bootstrap token ${r.token.id} (Secret ${r.namespace}/${r.secretName}, ${expires}${r.nodeName ? `, pinned to node ${r.nodeName}` : ''}) on ${cluster.server}.\n`);
  if (values['print-token']) io.stdout(`Token: ${formatToken(r.token)}\n`);
  else io.stdout('The token is not shown: --print-token or --print-join-command prints it; `krustlet-bootstrap token list --show-secrets` shows it later.\n');
  return 0;
}

export const tokenCommand: CommandGroup = {
  name: 'token',
  help: HELP,
  async run(args, io) {
    const sub = args[0];
    const helped = groupHelp(sub, HELP, io);
    if (helped !== undefined) return helped;
    if (sub === 'create') return create(args.slice(1), io);
    if (sub === 'list') return list(args.slice(1), io);
    if (sub === 'prune') return tokenPrune(args.slice(1), io, HELP);
    if (sub === 'delete') {
      const { values, positionals } = parse(args.slice(1), { ...CLUSTER_OPTIONS }, 'token', true);
      if (values.help) return io.stdout(HELP), 0;
      if (!positionals.length) throw new KrustletError('invalid-argument', 'token delete needs a token id or token.', 'Run `krustlet-bootstrap token list` to see them.');
      for (const p of positionals) tokenIdOf(p); // every one checked before connecting
      const cluster = await connectFrom(values, io);
      for (const p of positionals) {
        const r = await cluster.deleteToken(p);
        io.stdout(`Deleted bootstrap token ${r.id} (Secret kube-system/${r.secretName}).\n`);
      }
      return 0;
    }
    throw new KrustletError('invalid-argument', `Unknown token command '${sub.slice(0, 40)}'.`, 'Use `token create`, `token list`, `token delete ID` or `token prune`.');
  },
};
