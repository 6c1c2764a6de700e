/**
 * `krustlet-bootstrap agent command` prints the agent's command line (the same one the VS Code task
 * and debug configuration use); `krustlet-bootstrap agent check` runs the pre-start checks.
 */
import { runAgentChecks, formatFindings, problemsOf } from '../core/agent/checks';
import { buildAgentCommandLine, defaultAgentHost, formatCommandLine, parseNodeLabels, type AgentOptions } from '../core/agent/commandLine';
import { KrustletError } from '../core/errors';
import { defaultBootstrapPath } from '../core/files';
import { errorLine } from './errors';
import { type CliIO, CLUSTER_HELP, CLUSTER_OPTIONS, type CommandGroup, connectFrom, groupHelp, parse, printJson } from './common';

const AGENT_OPTIONS = {
  'agent-path': { type: 'string' },
  port: { type: 'string', short: 'p' },
  addr: { type: 'string', short: 'a' },
  hostname: { type: 'string' },
  'node-name': { type: 'string' },
  'node-ip': { type: 'string', short: 'n' },
  'bootstrap-file': { type: 'string' },
  'agent-kubeconfig': { type: 'string' },
  'cert-file': { type: 'string' },
  'private-key-file': { type: 'string' },
  'data-dir': { type: 'string' },
  'node-labels': { type: 'string' },
  'max-pods': { type: 'string' },
  'log-level': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const AGENT_OPTIONS_HELP = `Agent options (krustlet-wasi's flags; unset ones keep the agent's defaults):
  --agent-path PATH         the agent binary (default: krustlet-wasi on PATH)
  -p, --port N              listen port (default 3000)
  -a, --addr IP             listen address (default 0.0.0.0)
  --hostname NAME           default: this machine's hostname; the serving CSR is <hostname>-tls
  --node-name NAME          default: the lowercased hostname; the client CSR is <node-name>
  -n, --node-ip IP          default: DNS lookup of the hostname
  --bootstrap-file PATH     default: ~/.krustlet/config/bootstrap.conf (what \`bootstrap\` writes)
  --agent-kubeconfig PATH   where the agent WRITES its credentials (KUBECONFIG;
                            default <data-dir>/config/kubeconfig; must not exist for bootstrapping)
  --cert-file PATH          default <data-dir>/config/krustlet.crt
  --private-key-file PATH   default <data-dir>/config/krustlet.key
  --data-dir PATH           default ~/.krustlet
  --node-labels K=V,...     extra node labels
  --max-pods N              default 110
  --log-level LEVEL         RUST_LOG, e.g. info or kubelet=debug
  -- ARGS                   anything after -- is passed to the agent as is`;

const HELP = `Usage: krustlet-bootstrap agent command [agent options] [--json] [-- extra agent args]
       krustlet-bootstrap agent check   [agent options] [--offline] [--json] [cluster options]

command  prints the agent's command line (KUBECONFIG=… krustlet-wasi …), exactly as the VS Code
         task and debug configuration run it.
check    the pre-start checks: agent binary, bootstrap config and its token (expiry via the
         cluster), the agent kubeconfig already existing (bootstrap would be skipped), stale
         <node-name> / <hostname>-tls CSRs, the node IP, the data folder, and whether the bootstrap
         config is for the selected context's cluster. Exits 1 when a check finds an error.
         --offline skips the cluster (token expiry and CSRs are then not checked).

${AGENT_OPTIONS_HELP}

Cluster options (check):
${CLUSTER_HELP}
`;

function toNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new KrustletError('invalid-argument', `--${flag} '${v}' is not a number.`, `Run \`krustlet-bootstrap agent --help\`.`);
  return n;
}

type AgentValues = { [K in keyof typeof AGENT_OPTIONS]?: (typeof AGENT_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

export function agentOptionsFrom(values: AgentValues, extraArgs: string[], io: CliIO): AgentOptions {
  return {
    command: values['agent-path'],
    port: toNumber('port', values.port),
    addr: values.addr,
    hostname: values.hostname,
    nodeName: values['node-name'],
    nodeIp: values['node-ip'],
    bootstrapFile: values['bootstrap-file'] ?? defaultBootstrapPath(io.env),
    kubeconfig: values['agent-kubeconfig'],
    certFile: values['cert-file'],
    privateKeyFile: values['private-key-file'],
    dataDir: values['data-dir'],
    nodeLabels: values['node-labels'] ? parseNodeLabels(values['node-labels']) : undefined,
    maxPods: toNumber('max-pods', values['max-pods']),
    logLevel: values['log-level'],
    extraArgs,
  };
}

function split(args: string[]): { own: string[]; extra: string[] } {
  const i = args.indexOf('--');
  return i < 0 ? { own: args, extra: [] } : { own: args.slice(0, i), extra: args.slice(i + 1) };
}

export const agentCommand: CommandGroup = {
  name: 'agent',
  help: HELP,
  async run(args, io) {
    const sub = args[0];
    const helped = groupHelp(sub, HELP, io);
    if (helped !== undefined) return helped;
    const { own, extra } = split(args.slice(1));
    const host = { ...defaultAgentHost(), env: { ...io.env } };
    if (sub === 'command') {
      const { values } = parse(own, { ...AGENT_OPTIONS, help: { type: 'boolean', short: 'h' } }, 'agent');
      if (values.help) return io.stdout(HELP), 0;
      const cl = buildAgentCommandLine(agentOptionsFrom(values, extra, io), host);
      if (values.json) printJson(io, { command: cl.command, args: cl.args, env: cl.env, resolved: cl.resolved });
      else io.stdout(`${formatCommandLine(cl)}\n`);
      return 0;
    }
    if (sub === 'check') {
      const { values } = parse(own, { ...AGENT_OPTIONS, ...CLUSTER_OPTIONS, offline: { type: 'boolean' } }, 'agent');
      if (values.help) return io.stdout(HELP), 0;
      const cl = buildAgentCommandLine(agentOptionsFrom(values, extra, io), host);
      let cluster;
      let clusterNote: string | undefined;
      if (!values.offline) {
        try {
          cluster = await connectFrom(values, io);
        } catch (e) {
          clusterNote = `Not checked against a cluster: ${errorLine(e)}`;
        }
      }
      const findings = await runAgentChecks(cl.resolved, { cluster, pathEnv: io.env.PATH });
      const failed = findings.some((f) => f.severity === 'error');
      if (values.json) printJson(io, { ok: !failed, commandLine: formatCommandLine(cl), cluster: cluster?.contextName, note: clusterNote, findings });
      else {
        io.stdout(`Agent: ${formatCommandLine(cl)}\n`);
        if (clusterNote) io.stdout(`${clusterNote}\n`);
        io.stdout(`${formatFindings(findings)}\n`);
        // The node-IP fix, worded for this command line: which flag, and the likely addresses.
        const nodeIp = findings.find((f) => f.fix?.id === 'pick-node-ip' && f.severity === 'error');
        if (nodeIp?.fix?.choices) io.stdout(`      pass --node-ip ADDRESS, e.g. ${nodeIp.fix.choices.map((c) => `${c.address} (${c.label})`).join(', ')}\n`);
        const problems = problemsOf(findings);
        io.stdout(problems.length ? `${problems.length} problem(s) to look at before starting the agent.\n` : 'Ready to start the agent.\n');
      }
      return failed ? 1 : 0;
    }
    throw new KrustletError('invalid-argument', `Unknown agent command '${sub.slice(0, 40)}'.`, 'Use `krustlet-bootstrap agent command` or `krustlet-bootstrap agent check`.');
  },
};
