/** `krustlet-bootstrap token list|delete`. */
import { KrustletError } from '../core/errors';
import { formatTtl, maskToken, rfc3339 } from '../core/token';
import type { TokenInfo } from '../core/types';
import { CLUSTER_HELP, CLUSTER_OPTIONS, type CommandGroup, connectFrom, groupHelp, parse, printJson, table } from './common';

const HELP = `Usage: krustlet-bootstrap token list [--show-secrets] [--json] [options]
       krustlet-bootstrap token delete ID|TOKEN... [options]

list     the bootstrap tokens in kube-system (secrets are masked unless --show-secrets)
delete   delete tokens by id (abcdef) or whole token

Options:
  --show-secrets       list: show whole tokens (they are credentials)
  --json               list: machine-readable output
${CLUSTER_HELP}
`;

/** Longer descriptions are cut in the table (`--json` has them whole). */
const DESCRIPTION_WIDTH = 40;

function ttlLeft(t: TokenInfo, now: Date): string {
  if (!t.expiration) return '<forever>';
  if (t.expired) return '<expired>';
  return formatTtl(Math.max(1, Math.round((t.expiration.getTime() - now.getTime()) / 1000)));
}

export const tokenCommand: CommandGroup = {
  name: 'token',
  help: HELP,
  async run(args, io) {
    const sub = args[0];
    const helped = groupHelp(sub, HELP, io);
    if (helped !== undefined) return helped;
    if (sub === 'list') {
      const { values } = parse(args.slice(1), { ...CLUSTER_OPTIONS, 'show-secrets': { type: 'boolean' }, json: { type: 'boolean' } }, 'token');
      if (values.help) return io.stdout(HELP), 0;
      const cluster = await connectFrom(values, io);
      const tokens = await cluster.listTokens({ includeSecrets: !!values['show-secrets'] });
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
            createdAt: t.createdAt ? rfc3339(t.createdAt) : null,
          })),
        );
        return 0;
      }
      if (!tokens.length) {
        io.stdout('No bootstrap tokens.\n');
        return 0;
      }
      const now = new Date();
      io.stdout(
        table(
          ['TOKEN', 'TTL', 'EXPIRES', 'USAGES', { header: 'DESCRIPTION', max: DESCRIPTION_WIDTH }, 'EXTRA GROUPS'],
          tokens.map((t) => [
            values['show-secrets'] ? `${t.id}.${t.secret ?? ''}` : maskToken(t.id),
            ttlLeft(t, now),
            t.expiration ? rfc3339(t.expiration) : '<never>',
            t.usages.join(',') || '<none>',
            t.description ?? '<none>',
            t.extraGroups.join(',') || '<none>',
          ]),
        ),
      );
      return 0;
    }
    if (sub === 'delete') {
      const { values, positionals } = parse(args.slice(1), { ...CLUSTER_OPTIONS }, 'token', true);
      if (values.help) return io.stdout(HELP), 0;
      if (!positionals.length) throw new KrustletError('invalid-argument', 'token delete needs a token id or token.', 'Run `krustlet-bootstrap token list` to see them.');
      const cluster = await connectFrom(values, io);
      for (const p of positionals) {
        const r = await cluster.deleteToken(p);
        io.stdout(`Deleted bootstrap token ${r.id} (Secret kube-system/${r.secretName}).\n`);
      }
      return 0;
    }
    throw new KrustletError('invalid-argument', `Unknown token command '${sub}'.`, 'Use `token list` or `token delete ID`.');
  },
};
