/**
 * `krustlet-bootstrap bootstrap`: a thin wrapper over the core's one Bootstrap use case
 * (src/core/bootstrap.ts). Its questions are answered by flags (--force, --apply-rbac, --yes,
 * --revoke-replaced/--keep-replaced), else by a prompt when stdin and stderr are a terminal, else
 * by a refusal that names the flag (the replaced token's default, Revoke, needs no answer).
 * Ctrl-C / SIGTERM abort the use case: it rolls back, then the command exits 130 / 143.
 */
import { BootstrapDeclined, KRUSTLET_PROFILE, runBootstrap, type BootstrapQuestions } from '../core/bootstrap';
import { KrustletError } from '../core/errors';
import { defaultBootstrapPath } from '../core/files';
import { DEFAULT_TTL_SECONDS, formatToken, formatTtl, parseTtl, pinnedNodeName, rfc3339 } from '../core/token';
import type { PreflightFinding } from '../core/types';
import { cliFix, errorLine, findingFix } from './errors';
import { CLUSTER_HELP, CLUSTER_OPTIONS, connectFrom, parse, printJson, SIGNAL_EXIT, stderrLogger, type CliIO, type CommandGroup } from './common';

const OPTIONS = {
  ...CLUSTER_OPTIONS,
  output: { type: 'string', short: 'o' },
  ttl: { type: 'string' },
  description: { type: 'string' },
  'node-name': { type: 'string' },
  force: { type: 'boolean' },
  'apply-rbac': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'revoke-replaced': { type: 'boolean' },
  'keep-replaced': { type: 'boolean' },
  'print-token': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

interface Flags {
  force?: boolean;
  'apply-rbac'?: boolean;
  yes?: boolean;
  'revoke-replaced'?: boolean;
  'keep-replaced'?: boolean;
}

const yes = (answer: string | undefined, dflt: boolean): boolean | undefined => {
  if (answer === undefined) return undefined;
  const a = answer.trim().toLowerCase();
  return a === '' ? dflt : a === 'y' || a === 'yes';
};

const bullets = (fs: PreflightFinding[]) => fs.map((f) => `  - ${f.message} ${findingFix(f)}`.trimEnd()).join('\n');

/** The questions, answered the CLI's way (see the file comment). */
export function cliQuestions(flags: Flags, io: CliIO, signal?: AbortSignal): BootstrapQuestions {
  const ask = io.prompt?.bind(io);
  const stopped = (what: string): never => {
    throw new BootstrapDeclined(what);
  };
  return {
    async overwrite(path) {
      if (flags.force) return true;
      if (!ask) throw new KrustletError('output-exists', `${path} already exists.`, undefined, { fix: { kind: 'force', data: { path } } });
      const a = yes(await ask(`${path} already exists. Replace it (the current file is kept as a backup)? [y/N] `, signal), false);
      return a ?? stopped('no answer');
    },
    async revokeReplaced(t, path) {
      if (flags['keep-replaced']) return false;
      if (flags['revoke-replaced'] || !ask) return true;
      const exp = t.expiration ? `expires ${rfc3339(t.expiration)}` : 'never expires';
      const a = yes(await ask(`${path} holds bootstrap token ${t.id} (still valid, ${exp}). Revoke it once the new file is written? [Y/n] `, signal), true);
      return a ?? stopped('no answer');
    },
    async applyRbac(missing) {
      if (flags['apply-rbac']) return true;
      const text = `The cluster lacks kubeadm's bootstrap RBAC bindings; without them the agent cannot ask for its certificate:\n${missing.map((f) => `  - ${f.message}`).join('\n')}\n`;
      if (!ask) {
        io.stderr(`warning: The cluster lacks kubeadm's bootstrap RBAC bindings (${missing.length} of 3 missing): the agent will not be able to ask for its certificate. Pass --apply-rbac, or run \`krustlet-bootstrap rbac apply\`.\n`);
        return false;
      }
      io.stderr(text);
      return yes(await ask("Create kubeadm's three bootstrap bindings now? [y/N] ", signal), false);
    },
    async proceed(problems) {
      if (flags.yes) {
        for (const f of problems) io.stderr(`warning: ${f.message} ${findingFix(f)}`.trimEnd() + '\n');
        return true;
      }
      const n = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
      if (!ask) {
        throw new KrustletError('preflight-failed', `The preflight found ${n}: ${problems.map((f) => f.message).join(' ')}`, 'Pass --yes to bootstrap anyway; `krustlet-bootstrap preflight` shows each with its fix.');
      }
      io.stderr(`The preflight found ${n}:\n${bullets(problems)}\n`);
      return yes(await ask('Bootstrap anyway? [y/N] ', signal), false) ?? stopped('no answer');
    },
  };
}

export const bootstrapCommand: CommandGroup = {
  name: 'bootstrap',
  help: `Usage: krustlet-bootstrap bootstrap [options]

Checks your permissions and the cluster's bootstrap RBAC, creates a bootstrap token (Secret
kube-system/bootstrap-token-<id>) and writes a bootstrap kubeconfig for the agent
(krustlet-wasi --bootstrap-file), then checks that the API server accepts the token.
The token is not printed unless asked.

Options:
  -o, --output PATH    where to write (default: \${CONFIG_DIR:-~/.krustlet/config}/\${FILE_NAME:-${KRUSTLET_PROFILE.fileName}})
  --ttl DURATION       token lifetime, e.g. 1h, 90m, 24h; 0 = never expires (default: 1h)
  --description TEXT   stored with the token (shown by token list)
  --node-name NAME     pin the token to one node (the agent's --node-name; by default its lowercased
                       hostname): the review fails a request made with it for any other node's identity
  --force              replace an existing output file (the old one is kept as <file>.bak-<time>)
  --revoke-replaced    when replacing a file that holds a valid token of this cluster, revoke that
                       token once the new file is written (the default)
  --keep-replaced      ... keep it valid instead
  --apply-rbac         create kubeadm's bootstrap RBAC bindings if the preflight finds them missing
                       (without it: asked on a terminal, otherwise a warning and no change)
  -y, --yes            bootstrap even if the preflight finds other problems (without it: asked on a
                       terminal, otherwise refused)
  --print-token        also print the token (it is a credential)
  --json               machine-readable result

Without --force an existing file is asked about on a terminal, otherwise refused.
Interrupted (Ctrl-C, SIGTERM), it rolls back what it made (the Secret, the file: the previous one is
restored) and exits 130 / 143; if the rollback fails, it names what remains and how to remove it.
${CLUSTER_HELP}
`,
  async run(args, io) {
    const { values } = parse(args, OPTIONS, 'bootstrap');
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    if (values['revoke-replaced'] && values['keep-replaced']) {
      throw new KrustletError('invalid-argument', '--revoke-replaced and --keep-replaced contradict each other.', 'Pass one of them.');
    }
    const ttlSeconds = values.ttl === undefined ? DEFAULT_TTL_SECONDS : parseTtl(values.ttl);
    // Checked before connecting, like the TTL: a bad name costs no request.
    const nodeName = values['node-name'] === undefined ? undefined : pinnedNodeName(values['node-name']);
    const outputPath = values.output ?? defaultBootstrapPath(io.env);
    const logger = stderrLogger(io, !!values.verbose);
    const cluster = await connectFrom(values, io, logger);

    const abort = new AbortController();
    let received: 'SIGINT' | 'SIGTERM' | undefined;
    const release = io.onInterrupt?.(
      (sig) => {
        received = sig;
        io.stderr(`Interrupted (${sig}): rolling back…\n`);
        abort.abort();
      },
      () => 'Run `krustlet-bootstrap token list` to see what remains.',
    );
    const started = Date.now();
    let r;
    try {
      r = await runBootstrap(
        { cluster, logger, signal: abort.signal },
        { ttlSeconds, description: values.description, nodeName, outputPath, profile: KRUSTLET_PROFILE },
        cliQuestions(values, io, abort.signal),
      );
    } catch (e) {
      if (!received) throw e;
      io.stderr(`error: ${errorLine(e)}\n`);
      return SIGNAL_EXIT[received];
    } finally {
      release?.();
    }
    const ms = Date.now() - started;
    const check = r.tokenCheck;
    for (const w of r.warnings) io.stderr(`warning: ${[w.message, cliFix(w.fix)].filter(Boolean).join(' ')}\n`);

    if (values.json) {
      printJson(io, {
        tokenId: r.token.id,
        ...(values['print-token'] ? { token: formatToken(r.token) } : {}),
        secretName: `${r.namespace}/${r.secretName}`,
        expiration: r.expiration ? rfc3339(r.expiration) : null,
        nodeName: r.nodeName ?? null,
        path: r.path,
        backupPath: r.backupPath ?? null,
        replacedTokenId: r.replaced?.id ?? null,
        replacedTokenRevoked: r.replaced?.revoked ?? null,
        appliedRbac: r.appliedRbac,
        context: cluster.context.name,
        server: cluster.server,
        tokenAccepted: check?.authenticated ?? null,
        tokenCanCreateCsrs: check?.canCreateCsrs ?? null,
        warnings: r.warnings.map((w) => w.message),
        durationMs: ms,
      });
      return 0;
    }
    const expires = r.expiration ? `expires ${rfc3339(r.expiration)} (in ${formatTtl(ttlSeconds)})` : 'never expires';
    if (r.appliedRbac) io.stdout("Created kubeadm's bootstrap RBAC bindings.\n");
    io.stdout(`Created bootstrap token ${r.token.id} (Secret ${r.namespace}/${r.secretName}, ${expires}${r.nodeName ? `, pinned to node ${r.nodeName}` : ''}) on ${cluster.server}.\n`);
    if (r.backupPath) io.stdout(`Kept the previous file as ${r.backupPath}.\n`);
    io.stdout(`Wrote ${r.path} (mode 0600).\n`);
    if (r.replaced?.revoked) io.stdout(`Revoked the replaced token ${r.replaced.id}.\n`);
    else if (r.replaced) io.stdout(`Kept the replaced token ${r.replaced.id} (still valid).\n`);
    if (values['print-token']) io.stdout(`Token: ${formatToken(r.token)}\n`);
    io.stdout(`Next: ${r.profile.nextStep(r.path)}\n`);
    return 0;
  },
};
