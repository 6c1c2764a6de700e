/** `krustlet-bootstrap preflight` and `krustlet-bootstrap rbac apply`. */
import { readFileSync } from 'node:fs';
import { CLUSTER_INFO_MISSING, discoveryFindings } from '../core/clusterInfo';
import { KrustletError } from '../core/errors';
import { tokenFromBootstrapKubeconfig } from '../core/kubeconfig';
import { applyBootstrapRbac, runPreflight, verifyTokenAuth } from '../core/preflight';
import { parseToken } from '../core/token';
import type { PreflightFinding } from '../core/types';
import { findingFix } from './errors';
import { CLUSTER_HELP, CLUSTER_OPTIONS, type CommandGroup, connectFrom, groupHelp, parse, printJson } from './common';

const PREFLIGHT_HELP = `Usage: krustlet-bootstrap preflight [--bootstrap-file PATH] [--join] [--json] [options]

Checks that your identity may create bootstrap tokens and review CSRs, and that the cluster has
the RBAC bindings bootstrapping needs. With --bootstrap-file, also checks that the API server
accepts the token in that file. With --join, also checks kubeadm join's token discovery: that
kube-public/cluster-info is there, names this server and CA, and is signed for each token (each
signature verified with its token). Exits 1 when a check fails.

Options:
  --bootstrap-file PATH  also verify the token in this bootstrap.conf
  --join                 also check cluster-info discovery for kubeadm join (kubelet nodes)
  --json                 machine-readable findings
${CLUSTER_HELP}
`;

export const preflightCommand: CommandGroup = {
  name: 'preflight',
  help: PREFLIGHT_HELP,
  async run(args, io) {
    const { values } = parse(args, { ...CLUSTER_OPTIONS, 'bootstrap-file': { type: 'string' }, join: { type: 'boolean' }, json: { type: 'boolean' } }, 'preflight');
    if (values.help) return io.stdout(PREFLIGHT_HELP), 0;
    let token;
    if (values['bootstrap-file']) {
      let text: string;
      try {
        text = readFileSync(values['bootstrap-file'], 'utf8');
      } catch {
        throw new KrustletError('invalid-argument', `Cannot read ${values['bootstrap-file']}.`, 'Pass --bootstrap-file with the path of a bootstrap.conf.');
      }
      token = parseToken(tokenFromBootstrapKubeconfig(text) ?? '');
    }
    const cluster = await connectFrom(values, io);
    const findings: PreflightFinding[] = await runPreflight(cluster);
    if (token) findings.push(...(await verifyTokenAuth(cluster, token)).findings);
    if (values.join) findings.push(...(await discoveryFindings(cluster)));
    const ok = findings.every((f) => f.ok);
    if (values.json) printJson(io, { context: cluster.context.name, server: cluster.server, ok, findings });
    else {
      io.stdout(`Preflight for context '${cluster.context.name}' (${cluster.server}):\n`);
      for (const f of findings) {
        io.stdout(`  ${f.ok ? 'ok  ' : 'FAIL'}  ${f.message}\n`);
        if (!f.ok && f.id === CLUSTER_INFO_MISSING) io.stdout(`        fix: Run \`krustlet-bootstrap cluster-info create\`. ${findingFix(f)}\n`);
        else if (!f.ok && (f.fix || f.action)) io.stdout(`        fix: ${findingFix(f)}\n`);
      }
      io.stdout(ok ? 'All checks passed.\n' : `${findings.filter((f) => !f.ok).length} check(s) failed.\n`);
    }
    return ok ? 0 : 1;
  },
};

const RBAC_HELP = `Usage: krustlet-bootstrap rbac apply [--json] [options]

Creates kubeadm's three ClusterRoleBindings that bootstrapping needs (existing ones are left alone):
  kubeadm:kubelet-bootstrap                      system:node-bootstrapper → system:bootstrappers:kubeadm:default-node-token
  kubeadm:node-autoapprove-bootstrap             ...:nodeclient → system:bootstrappers:kubeadm:default-node-token
  kubeadm:node-autoapprove-certificate-rotation  ...:selfnodeclient → system:nodes

Options:
  --json               machine-readable result
${CLUSTER_HELP}
`;

export const rbacCommand: CommandGroup = {
  name: 'rbac',
  help: RBAC_HELP,
  async run(args, io) {
    const sub = args[0];
    const helped = groupHelp(sub, RBAC_HELP, io);
    if (helped !== undefined) return helped;
    if (sub !== 'apply') throw new KrustletError('invalid-argument', `Unknown rbac command '${sub}'.`, 'Use `krustlet-bootstrap rbac apply`.');
    const { values } = parse(args.slice(1), { ...CLUSTER_OPTIONS, json: { type: 'boolean' } }, 'rbac');
    if (values.help) return io.stdout(RBAC_HELP), 0;
    const cluster = await connectFrom(values, io);
    const results = await applyBootstrapRbac(cluster);
    if (values.json) printJson(io, results);
    else for (const r of results) io.stdout(`clusterrolebinding ${r.name}: ${r.result === 'created' ? 'created' : 'already present'}\n`);
    return 0;
  },
};
