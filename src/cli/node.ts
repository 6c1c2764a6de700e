/** `krustlet-bootstrap node list`: every Node, Ready, addresses, the token and CSRs it came from, its serving certificate. */
import { KrustletError } from '../core/errors';
import { addressText, certificateDetails, csrsByNode, DEFAULT_EXPIRY_WARNING_DAYS, expiryText, readyText, summarizeNode } from '../core/nodes';
import { mapLimit } from '../core/limit';
import { kubeletEndpoint, readServingCertificate, SELF_SIGNED_FIX, TLS_PROBE_TIMEOUT_MS } from '../core/tlsProbe';
import { type CliIO, CLUSTER_HELP, CLUSTER_OPTIONS, type CommandGroup, connectFrom, groupHelp, parse, printJson, table } from './common';

const HELP = `Usage: krustlet-bootstrap node list [--json] [--warn-days N] [--no-tls] [options]

list     every Node (Krustlet or kubelet): Ready, addresses, kubelet port, the bootstrap token and CSRs it
         came from, and its serving certificate (issuer, SANs, expiry) as issued through its newest serving
         CSR — or, when no such CSR is listed any more, as its kubelet endpoint presents it (a TLS handshake,
         ${TLS_PROBE_TIMEOUT_MS / 1000} s at most each, nothing sent); a self-signed one is named as such, with the fix

Options:
  --json               machine-readable output
  --warn-days N        flag serving certificates that expire within N days (default ${DEFAULT_EXPIRY_WARNING_DAYS})
  --no-tls             do not connect to kubelet endpoints (CSRs only)
${CLUSTER_HELP}
`;

function iso(d: Date | undefined): string | null {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}

async function list(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { ...CLUSTER_OPTIONS, json: { type: 'boolean' }, 'warn-days': { type: 'string' }, 'no-tls': { type: 'boolean' } }, 'node');
  if (values.help) return io.stdout(HELP), 0;
  const warnDays = values['warn-days'] === undefined ? DEFAULT_EXPIRY_WARNING_DAYS : Number(values['warn-days']);
  if (!Number.isInteger(warnDays) || warnDays < 0) throw new KrustletError('invalid-argument', `--warn-days '${values['warn-days']}' is not a whole number of days.`, 'Use e.g. --warn-days 30.');
  const cluster = await connectFrom(values, io);
  // Three lists side by side; the tokens are optional (a limited identity may not read Secrets).
  const [nodes, csrs, tokens] = await Promise.all([cluster.listNodes(), cluster.listCsrs(), cluster.listTokens().catch(() => undefined)]);
  const index = csrsByNode(csrs.items);
  const byId = new Map((tokens ?? []).map((t) => [t.id, t]));
  const now = new Date();
  const base = nodes
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((n) => {
      const s = summarizeNode(n, index, (id) => byId.get(id));
      const cert = s.serving?.csr.certificatePem ? certificateDetails(s.serving.csr.certificatePem, { kind: 'csr', csrName: s.serving.csr.name }) : undefined;
      return { s, cert, tlsError: undefined as string | undefined };
    });
  // No issued serving CSR listed: ask the kubelet endpoint (a few at a time, bounded).
  if (!values['no-tls']) {
    const probe = base.filter((r) => !r.cert && kubeletEndpoint(r.s.node));
    await mapLimit(probe, 8, async (r) => {
      const ep = kubeletEndpoint(r.s.node)!;
      const got = await readServingCertificate(ep.host, ep.port);
      if ('details' in got) r.cert = got.details;
      else r.tlsError = got.error;
    });
  }
  const rows = base.map((r) => ({ ...r, expiry: r.cert ? expiryText(r.cert.notAfter, now, warnDays) : undefined }));
  if (values.json) {
    printJson(
      io,
      rows.map(({ s, cert, expiry, tlsError }) => ({
        name: s.node.name,
        ready: s.node.ready,
        readyReason: s.node.readyReason ?? null,
        addresses: s.node.addresses,
        kubeletPort: s.node.kubeletPort ?? null,
        token: s.token ? { id: s.token.id, description: s.token.info?.description ?? null, present: tokens ? !!s.token.info : null } : null,
        csrs: { client: s.csrs.client.map((c) => c.name), serving: s.csrs.serving.map((c) => c.name) },
        servingCertificate: cert
          ? {
              from: cert.source.kind === 'csr' ? `CSR ${cert.source.csrName}` : `TLS ${cert.source.endpoint}`,
              csr: cert.source.kind === 'csr' ? cert.source.csrName : null,
              subject: cert.subject,
              issuer: cert.issuer,
              sans: cert.sans,
              notBefore: iso(cert.notBefore),
              notAfter: iso(cert.notAfter),
              selfSigned: cert.selfSigned,
              fix: cert.selfSigned ? SELF_SIGNED_FIX : null,
              expires: expiry?.text,
              warning: (expiry?.warn ?? false) || cert.selfSigned,
            }
          : null,
        servingCertificateError: tlsError ?? null,
      })),
    );
    return 0;
  }
  if (!rows.length) {
    io.stdout('No Nodes.\n');
    return 0;
  }
  io.stdout(
    table(
      ['NAME', 'STATUS', 'ADDRESSES', 'PORT', 'TOKEN', 'CSRS', { header: 'SERVING CERT', max: 40 }, { header: 'ISSUER', max: 40 }],
      rows.map(({ s, cert, expiry }) => [
        s.node.name,
        readyText(s.node),
        addressText(s.node) || '<none>',
        s.node.kubeletPort ? String(s.node.kubeletPort) : '<none>',
        s.token ? `${s.token.id}${tokens && !s.token.info ? ' (gone)' : ''}` : '<none>',
        String(s.csrs.client.length + s.csrs.serving.length),
        cert && expiry ? `${cert.selfSigned ? 'SELF-SIGNED, ' : ''}${expiry.expired ? '' : 'expires '}${expiry.text}${expiry.warn && !expiry.expired ? ' (!)' : ''}${cert.source.kind === 'tls' ? ' (TLS)' : ''}` : '<unknown>',
        cert ? cert.issuer : '',
      ]),
    ),
  );
  const selfSigned = rows.filter((r) => r.cert?.selfSigned);
  if (selfSigned.length) io.stdout(`\n${selfSigned.map((r) => r.s.node.name).join(', ')}: ${SELF_SIGNED_FIX}\n`);
  return 0;
}

export const nodeCommand: CommandGroup = {
  name: 'node',
  help: HELP,
  async run(args, io) {
    const sub = args[0];
    const helped = groupHelp(sub, HELP, io);
    if (helped !== undefined) return helped;
    if (sub === 'list') return list(args.slice(1), io);
    throw new KrustletError('invalid-argument', `Unknown node command '${sub.slice(0, 40)}'.`, 'Use `node list`.');
  },
};
