/** `krustlet-bootstrap cluster-info check|create`: kubeadm's token discovery (kube-public/cluster-info and its JWS signatures). */
import { checkDiscovery, createClusterInfoFor, type TokenDiscovery } from '../core/clusterInfo';
import { KrustletError } from '../core/errors';
import { tokenIdOf } from '../core/token';
import { CLUSTER_HELP, CLUSTER_OPTIONS, type CommandGroup, connectFrom, groupHelp, parse, printJson } from './common';

const HELP = `Usage: krustlet-bootstrap cluster-info check [ID|TOKEN...] [--json] [options]
       krustlet-bootstrap cluster-info create [--json] [options]

kubeadm join --token discovers the cluster through ConfigMap kube-public/cluster-info, and trusts it
only when kube-controller-manager's bootstrapsigner has signed it for that token (jws-kubeconfig-<id>).

check    whether cluster-info is there and signed for each token (or the ones named), verifying each
         HS256 signature with its token; says why when not. Exits 1 when a token cannot discover.
create   create cluster-info as kubeadm does: the server and CA of this context, and the Role and
         RoleBinding kubeadm:bootstrap-signer-clusterinfo that let anonymous joiners read it.
         Existing objects are left unchanged.

Options:
  --json               machine-readable output
${CLUSTER_HELP}
`;

/** The fix in this CLI's words: the core's advice plus the command that does it, when there is one. */
function fixLine(t: TokenDiscovery): string | undefined {
  if (t.state === 'no-configmap') return `Run \`krustlet-bootstrap cluster-info create\`. ${t.fix ?? ''}`.trim();
  return t.fix;
}

export const clusterInfoCommand: CommandGroup = {
  name: 'cluster-info',
  help: HELP,
  async run(args, io) {
    const sub = args[0];
    const helped = groupHelp(sub, HELP, io);
    if (helped !== undefined) return helped;
    if (sub === 'check') {
      const { values, positionals } = parse(args.slice(1), { ...CLUSTER_OPTIONS, json: { type: 'boolean' } }, 'cluster-info', true);
      if (values.help) return io.stdout(HELP), 0;
      const ids = positionals.length ? positionals.map(tokenIdOf) : undefined;
      const cluster = await connectFrom(values, io);
      const { read, tokens } = await checkDiscovery(cluster, ids);
      // Without a readable ConfigMap every token gets the same answer: say it once.
      const shown = read.data ? tokens : tokens.slice(0, 1);
      const ok = !!read.data && tokens.every((t) => t.state === 'valid');
      if (values.json) {
        printJson(io, { context: cluster.context.name, configMap: read.error ? 'unreadable' : read.data ? 'present' : 'missing', ok, tokens: tokens.map((t) => ({ ...t, fix: fixLine(t) ?? null })) });
        return ok ? 0 : 1;
      }
      if (!read.data && !tokens.length) {
        io.stdout(read.error ? `Could not read ConfigMap kube-public/cluster-info: ${read.error}\n` : 'There is no ConfigMap kube-public/cluster-info (and no bootstrap token).\n        fix: Run `krustlet-bootstrap cluster-info create`.\n');
        return 1;
      }
      if (!tokens.length) io.stdout('ConfigMap kube-public/cluster-info is there; there is no bootstrap token to check it for.\n');
      for (const t of shown) {
        io.stdout(`  ${t.state === 'valid' ? 'ok  ' : 'FAIL'}  ${t.message}\n`);
        const fix = fixLine(t);
        if (fix && t.state !== 'valid') io.stdout(`        fix: ${fix}\n`);
      }
      return ok ? 0 : 1;
    }
    if (sub === 'create') {
      const { values } = parse(args.slice(1), { ...CLUSTER_OPTIONS, json: { type: 'boolean' } }, 'cluster-info');
      if (values.help) return io.stdout(HELP), 0;
      const cluster = await connectFrom(values, io);
      const r = await createClusterInfoFor(cluster);
      if (values.json) printJson(io, { ...r, server: cluster.server });
      else {
        io.stdout(`configmap kube-public/cluster-info: ${r.configMap === 'created' ? `created (server ${cluster.server}${cluster.caData ? ' and its CA' : ', no CA'})` : 'already present (left unchanged)'}\n`);
        io.stdout(`role kube-public/kubeadm:bootstrap-signer-clusterinfo: ${r.role === 'created' ? 'created' : 'already present'}\n`);
        io.stdout(`rolebinding kube-public/kubeadm:bootstrap-signer-clusterinfo (system:anonymous): ${r.roleBinding === 'created' ? 'created' : 'already present'}\n`);
      }
      return 0;
    }
    throw new KrustletError('invalid-argument', `Unknown cluster-info command '${sub.slice(0, 40)}'.`, 'Use `cluster-info check` or `cluster-info create`.');
  },
};
