/** `krustlet-bootstrap bootstrap`: token + Secret + bootstrap.conf. */
import { bootstrap } from '../core/bootstrap';
import { defaultBootstrapPath } from '../core/files';
import { DEFAULT_TTL_SECONDS, formatToken, formatTtl, parseTtl, pinnedNodeName, rfc3339 } from '../core/token';
import { findingFix } from './errors';
import { CLUSTER_HELP, CLUSTER_OPTIONS, connectFrom, parse, printJson, stderrLogger, type CommandGroup } from './common';

export const bootstrapCommand: CommandGroup = {
  name: 'bootstrap',
  help: `Usage: krustlet-bootstrap bootstrap [options]

Creates a bootstrap token (Secret kube-system/bootstrap-token-<id>) and writes a bootstrap
kubeconfig for the agent (krustlet-wasi --bootstrap-file). The token is not printed unless asked.

Options:
  -o, --output PATH    where to write (default: \${CONFIG_DIR:-~/.krustlet/config}/\${FILE_NAME:-bootstrap.conf})
  --ttl DURATION       token lifetime, e.g. 1h, 90m, 24h; 0 = never expires (default: 1h)
  --description TEXT   stored with the token (shown by token list)
  --node-name NAME     pin the token to one node (the agent's --node-name; by default its lowercased
                       hostname): the review fails a request made with it for any other node's identity
  --force              replace an existing output file (the old one is kept as <file>.bak-<time>)
  --print-token        also print the token (it is a credential)
  --json               machine-readable result
${CLUSTER_HELP}
`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        ...CLUSTER_OPTIONS,
        output: { type: 'string', short: 'o' },
        ttl: { type: 'string' },
        description: { type: 'string' },
        'node-name': { type: 'string' },
        force: { type: 'boolean' },
        'print-token': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      'bootstrap',
    );
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    const ttlSeconds = values.ttl === undefined ? DEFAULT_TTL_SECONDS : parseTtl(values.ttl);
    // Checked before connecting, like the TTL: a bad name costs no request.
    const nodeName = values['node-name'] === undefined ? undefined : pinnedNodeName(values['node-name']);
    const outputPath = values.output ?? defaultBootstrapPath(io.env);
    const logger = stderrLogger(io, !!values.verbose);
    const cluster = await connectFrom(values, io, logger);
    const started = Date.now();
    const r = await bootstrap({ cluster, ttlSeconds, description: values.description, nodeName, outputPath, force: values.force, logger, verify: true });
    const ms = Date.now() - started;
    const check = r.tokenCheck;
    if (check) for (const f of check.findings) if (!f.ok) logger.warn(`${f.message} ${findingFix(f)}`.trim());

    if (values.json) {
      printJson(io, {
        tokenId: r.token.id,
        ...(values['print-token'] ? { token: formatToken(r.token) } : {}),
        secretName: `${r.namespace}/${r.secretName}`,
        expiration: r.expiration ? rfc3339(r.expiration) : null,
        nodeName: r.nodeName ?? null,
        path: r.path,
        backupPath: r.backupPath ?? null,
        context: cluster.context.name,
        server: cluster.server,
        tokenAccepted: check?.authenticated ?? null,
        tokenCanCreateCsrs: check?.canCreateCsrs ?? null,
        durationMs: ms,
      });
      return 0;
    }
    const expires = r.expiration ? `expires ${rfc3339(r.expiration)} (in ${formatTtl(ttlSeconds)})` : 'never expires';
    io.stdout(`Created bootstrap token ${r.token.id} (Secret ${r.namespace}/${r.secretName}, ${expires}${r.nodeName ? `, pinned to node ${r.nodeName}` : ''}) on ${cluster.server}.\n`);
    if (r.backupPath) io.stdout(`Kept the previous file as ${r.backupPath}.\n`);
    io.stdout(`Wrote ${r.path} (mode 0600).\n`);
    if (values['print-token']) io.stdout(`Token: ${formatToken(r.token)}\n`);
    io.stdout(`Next: krustlet-wasi --bootstrap-file ${r.path}\n`);
    return 0;
  },
};
