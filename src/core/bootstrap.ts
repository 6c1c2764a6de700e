/**
 * Bootstrap: the one use case behind the CLI's `bootstrap` and the extension's Krustlet: Bootstrap.
 *
 *   output path (overwrite? → the token the replaced file holds: revoke it?) → preflight (apply RBAC?
 *   go on despite findings?) → token + Secret → bootstrap.conf (0600, atomic, backup) → token check
 *   → revoke the replaced token
 *
 * Each question is a callback ({@link BootstrapQuestions}) that each front end answers its own way (CLI:
 * flags, a prompt on a terminal; the extension: modal dialogs). Every failure path ends consistent:
 *
 *  - success, with {@link BootstrapResult.warnings} for what could not be checked or done (the token
 *    check failed to run; the replaced token could not be revoked), or
 *  - everything rolled back: the Secret deleted again (the tool knows the name it asked for, so a
 *    POST whose answer was late or lost is checked too), the file restored from its backup or removed.
 *    When the rollback itself fails, the error names exactly what remains and how to remove it.
 *
 * `deps.signal` interrupts the use case at any point (Ctrl-C, SIGTERM, a cancelled progress, VS Code
 * closing): the running request stops at once, then the rollback runs (with the connection's own
 * bounded time, not the aborted signal), and the error is a KrustletError('cancelled').
 * Once the new file and token are in place and checked, the result is committed: an interrupt during
 * the final revocation of the replaced token only leaves that token (a warning says so).
 */
import { promises as fs } from 'node:fs';
import { describeError, KrustletError, isKrustletError, type Fix } from './errors';
import type { Cluster } from './cluster';
import { checkWritable, writeFileSafely } from './files';
import { buildBootstrapKubeconfig, tokenFromBootstrapKubeconfig } from './kubeconfig';
import { silentLogger, type Logger } from './log';
import { applyBootstrapRbac, isRbacFinding, runPreflight, verifyTokenAuth, type TokenCheck } from './preflight';
import { generateToken, parseToken, PINNED_NODE_ANNOTATION, secretNameFor, tokenSecretManifest, TOKEN_NAMESPACE } from './token';
import type { BootstrapToken, PreflightFinding } from './types';

/**
 * What the written file is for: its default name and the follow-up text. Today only Krustlet's agent;
 * a kubelet profile (`--for kubelet|krustlet`) adds another value here, nothing else changes.
 */
export interface OutputProfile {
  readonly id: string;
  /** The file's default name (in the default folder, or a workspace folder's .krustlet/). */
  readonly fileName: string;
  /** What runs next with the written file: one line any front end can show. */
  nextStep(path: string): string;
}

export const KRUSTLET_PROFILE: OutputProfile = {
  id: 'krustlet',
  fileName: 'bootstrap.conf',
  nextStep: (path) => `krustlet-wasi --bootstrap-file ${path}`,
};

/** What to create. Nothing here asks the user anything: see {@link BootstrapQuestions}. */
export interface BootstrapOptions {
  /** Seconds; 0 = never expires. */
  ttlSeconds: number;
  description?: string;
  extraGroups?: string[];
  usages?: string[];
  /** The node the token is for: recorded on its Secret (PINNED_NODE_ANNOTATION); the review fails its use for another node. */
  nodeName?: string;
  outputPath: string;
  /** Default {@link KRUSTLET_PROFILE}. */
  profile?: OutputProfile;
  /** Check that the API server accepts the new token (see verifyTokenAuth); default true. */
  verifyToken?: boolean;
}

/** The token a file that is about to be replaced holds: a live bootstrap token of this cluster. */
export interface ReplacedToken {
  id: string;
  secretName: string;
  /** Undefined = never expires. */
  expiration?: Date;
  description?: string;
}

/**
 * The questions Bootstrap may ask, in the order it asks them; each is asked only when it applies.
 * A callback may also throw (a KrustletError that says which flag or button answers it): the use case
 * stops there, with nothing created.
 */
export interface BootstrapQuestions {
  /** `path` exists: replace it (a backup is kept)? false stops, nothing created. */
  overwrite(path: string): Promise<boolean>;
  /** The replaced file holds live token `token` of this cluster: revoke it once the new file is in place (the default answer) or keep it? */
  revokeReplaced(token: ReplacedToken, path: string): Promise<boolean>;
  /** kubeadm's bootstrap bindings are missing: create them (true), go on without (false), or stop (undefined)? */
  applyRbac(missing: PreflightFinding[]): Promise<boolean | undefined>;
  /** The preflight found other problems: go on anyway? */
  proceed(problems: PreflightFinding[]): Promise<boolean>;
}

/** Fixed answers (tests, scripted callers): `overwrite` false, `revokeReplaced` true, `applyRbac` false, `proceed` true unless given. */
export function fixedAnswers(a: { overwrite?: boolean; revokeReplaced?: boolean; applyRbac?: boolean; proceed?: boolean } = {}): BootstrapQuestions {
  return {
    overwrite: () => Promise.resolve(a.overwrite ?? false),
    revokeReplaced: () => Promise.resolve(a.revokeReplaced ?? true),
    applyRbac: () => Promise.resolve(a.applyRbac ?? false),
    proceed: () => Promise.resolve(a.proceed ?? true),
  };
}

export interface PreflightRun {
  findings: PreflightFinding[];
  /** A recent clean result was reused instead of asking the API server (the extension keeps one). */
  reused?: boolean;
}

export interface BootstrapDeps {
  cluster: Cluster;
  /** Interrupts the use case; what exists is rolled back (see the file comment). */
  signal?: AbortSignal;
  logger?: Logger;
  /** Progress, for a notification or a spinner. Never contains the token secret. */
  onStep?(step: string): void;
  /** The file is in place (before the token check): a front end may announce it already. */
  onWritten?(written: { path: string; backupPath?: string; tokenId: string }): void;
  /** The preflight; default runPreflight. `fresh`: do not reuse a kept result. */
  preflight?(cluster: Cluster, o: { fresh: boolean }): Promise<PreflightRun>;
  /** Creates kubeadm's bindings; default applyBootstrapRbac. */
  applyRbac?(cluster: Cluster): Promise<void>;
  /** Our rights may have changed (a 401/403, Apply RBAC, a token check that found a problem): a kept preflight result is stale. */
  onRightsChanged?(why: string): void;
  now?: () => Date;
  /** Token source; default {@link generateToken} (tests inject a taken id to exercise the 409 retry). */
  generate?: () => BootstrapToken;
}

/** Something that could not be checked or done, though the bootstrap itself succeeded. */
export interface BootstrapWarning {
  message: string;
  fix?: Fix;
}

export interface BootstrapResult {
  /** Holds the secret: show it only when the user asked. */
  token: BootstrapToken;
  secretName: string;
  namespace: string;
  path: string;
  backupPath?: string;
  /** Undefined = never expires. */
  expiration?: Date;
  /** The node the token is pinned to (normalised: lowercased), if one was given. */
  nodeName?: string;
  insecureSkipTlsVerify: boolean;
  tokenCheck?: TokenCheck;
  /** The token the replaced file held, and whether it was revoked. */
  replaced?: { id: string; revoked: boolean };
  /** How the preflight went: ran, reused a kept clean result. */
  preflight: 'ran' | 'reused';
  /** RBAC bindings created on the way (Apply RBAC answered yes). */
  appliedRbac: boolean;
  warnings: BootstrapWarning[];
  profile: OutputProfile;
}

/** The user answered no (kept the file, dismissed a question, declined despite findings): nothing was created. */
export class BootstrapDeclined extends KrustletError {
  constructor(readonly reason: string) {
    super('cancelled', `Bootstrap stopped: ${reason}.`);
  }
}

const MAX_ID_ATTEMPTS = 5;
/** A bootstrap.conf is a few KiB; anything much larger at the output path is not one of ours. */
const MAX_REPLACED_BYTES = 256 * 1024;

/** A request the API server answered with a definite no: the Secret was not created by it. */
function definitelyNotCreated(e: unknown): boolean {
  return isKrustletError(e, 'conflict') || isKrustletError(e, 'forbidden') || isKrustletError(e, 'unauthorized') || isKrustletError(e, 'not-found');
}

/** What exists so far, and how to undo it. */
class Undo {
  /** 'maybe': the POST was sent and its answer is unknown (late, lost, interrupted). */
  secret?: { id: string; state: 'maybe' | 'created' };
  file?: { path: string; backupPath?: string; content: string };

  constructor(
    private readonly cluster: Cluster,
    private readonly log: Logger,
  ) {}

  get pending(): boolean {
    return !!this.secret || !!this.file;
  }

  /** Undoes everything; returns what it did and what remains (sentences), and whether the Secret may remain. */
  async run(): Promise<{ done: string[]; remains: string[]; secretRemains?: string }> {
    const done: string[] = [];
    const remains: string[] = [];
    let secretRemains: string | undefined;
    if (this.file) {
      const { path, backupPath, content } = this.file;
      try {
        const now = await fs.readFile(path, 'utf8').catch(() => undefined);
        if (now !== undefined && now !== content) {
          remains.push(`${path} changed meanwhile, so it was left as it is${backupPath ? ` (the previous file is ${backupPath})` : ''}.`);
        } else if (backupPath) {
          await fs.rename(backupPath, path);
          done.push(`${path} was restored from its backup`);
        } else {
          await fs.rm(path, { force: true });
          done.push(`${path} was removed again`);
        }
      } catch (e) {
        remains.push(
          backupPath
            ? `${path} still holds the new token (restoring it failed: ${why(e)}); the previous file is ${backupPath}: \`mv ${backupPath} ${path}\` puts it back.`
            : `${path} still holds the new token (removing it failed: ${why(e)}): delete it.`,
        );
      }
    }
    if (this.secret) {
      const { id, state } = this.secret;
      const name = `${TOKEN_NAMESPACE}/${secretNameFor(id)}`;
      try {
        await this.cluster.deleteToken(id);
        done.push(state === 'maybe' ? `the Secret ${name} had been created; it was deleted again` : `the Secret ${name} was deleted again`);
      } catch (e) {
        if (isKrustletError(e, 'not-found')) done.push(state === 'maybe' ? `the Secret ${name} was not created` : `the Secret ${name} was already gone`);
        else {
          secretRemains = id;
          remains.push(
            `The Secret ${name} ${state === 'maybe' ? 'may remain' : 'remains'} (deleting it failed: ${why(e)}): \`kubectl -n ${TOKEN_NAMESPACE} delete secret ${secretNameFor(id)}\` removes it.`,
          );
        }
      }
    }
    for (const d of done) this.log.info(`Rollback: ${d}.`);
    for (const r of remains) this.log.info(`Rollback incomplete: ${r}`);
    this.secret = undefined;
    this.file = undefined;
    return { done, remains, secretRemains };
  }
}

/** What went wrong, without the advice (the rollback's sentences say what to do). */
const why = (e: unknown): string => (e instanceof Error ? e.message : String(e)).replace(/\.$/, '');

const sentence = (s: string) => (s ? `${s[0].toUpperCase()}${s.slice(1)}` : s);

/** The failure `e`, with what the rollback did and what remains; its fix removes a remaining Secret. */
function rolledBack(e: unknown, r: { done: string[]; remains: string[]; secretRemains?: string }, interrupted: boolean): KrustletError {
  const what = interrupted ? 'Bootstrap was interrupted.' : describeError(e).replace(/\s*$/, '');
  const parts = [what.endsWith('.') ? what : `${what}.`];
  if (r.done.length) parts.push(`Rolled back: ${r.done.join('; ')}.`);
  parts.push(...r.remains.map(sentence));
  const base = e instanceof KrustletError ? e : undefined;
  const fix: Fix | undefined = r.secretRemains ? { kind: 'delete-token', data: { id: r.secretRemains } } : interrupted ? undefined : base?.fix;
  return new KrustletError(interrupted ? 'cancelled' : (base?.code ?? 'api-error'), parts.join(' '), undefined, { cause: e, ...(fix ? { fix } : {}) });
}

function interruptedError(): KrustletError {
  return new KrustletError('cancelled', 'Bootstrap was interrupted; nothing was created.');
}

/**
 * The token `path` holds, if it is a live bootstrap token of this cluster (its Secret exists with the
 * same secret). Never throws: a file we cannot read or parse simply holds no token we could revoke.
 */
async function tokenOfFile(cluster: Cluster, path: string, log: Logger): Promise<ReplacedToken | undefined> {
  let token: BootstrapToken;
  try {
    const st = await fs.lstat(path);
    if (!st.isFile() || st.size > MAX_REPLACED_BYTES) return undefined;
    const raw = tokenFromBootstrapKubeconfig(await fs.readFile(path, 'utf8'));
    if (!raw) return undefined;
    token = parseToken(raw);
  } catch {
    return undefined;
  }
  try {
    const live = (await cluster.listTokens({ includeSecrets: true })).find((t) => t.id === token.id && t.secret === token.secret);
    if (!live || live.expired) return undefined;
    const r: ReplacedToken = { id: live.id, secretName: live.secretName };
    if (live.expiration) r.expiration = live.expiration;
    if (live.description) r.description = live.description;
    return r;
  } catch (e) {
    if (isKrustletError(e, 'cancelled')) throw e;
    log.warn(`Could not check whether the token in ${path} is still valid: ${describeError(e)}`);
    return undefined;
  }
}

export async function runBootstrap(deps: BootstrapDeps, o: BootstrapOptions, q: BootstrapQuestions): Promise<BootstrapResult> {
  const log = deps.logger ?? silentLogger;
  const step = (s: string) => {
    log.info(s);
    deps.onStep?.(s);
  };
  const signal = deps.signal;
  const base = deps.cluster;
  // Every forward request stops when the signal aborts; the rollback uses `base` (its own bounded time).
  const cluster = signal ? base.withSignal(signal) : base;
  const profile = o.profile ?? KRUSTLET_PROFILE;
  const undo = new Undo(base, log);
  const aborted = () => signal?.aborted === true;
  const checkpoint = () => {
    if (aborted()) throw interruptedError();
  };

  try {
    // Validates TTL, groups, usages, description and node name before anything is asked or created.
    tokenSecretManifest(generateToken(), o);

    // The output path: refused here if it can never be written; asked about if it exists.
    step(`Checking that ${o.outputPath} can be written`);
    let path = await checkWritable(o.outputPath, { force: true });
    const existing = await fs.lstat(path).then(
      () => true,
      () => false,
    );
    let replaced: ReplacedToken | undefined;
    let revoke = false;
    if (existing) {
      if (!(await q.overwrite(path))) throw new BootstrapDeclined(`kept the existing ${path}`);
      checkpoint();
      replaced = await tokenOfFile(cluster, path, log);
      if (replaced) {
        revoke = await q.revokeReplaced(replaced, path);
        checkpoint();
        log.info(`The replaced file holds token ${replaced.id}: ${revoke ? 'it is revoked once the new file is in place' : 'it stays valid'}.`);
      }
    }
    path = await checkWritable(path, { force: existing });

    // Preflight, and its questions.
    let appliedRbac = false;
    const preflight = async (fresh: boolean): Promise<'ran' | 'reused'> => {
      step(`Checking permissions and RBAC on ${cluster.contextName}`);
      const run = deps.preflight ? await deps.preflight(cluster, { fresh }) : { findings: await runPreflight(cluster) };
      checkpoint();
      const bad = run.findings.filter((f) => !f.ok);
      for (const f of run.findings) log[f.ok ? 'debug' : 'info'](`Preflight ${f.ok ? 'ok' : 'FAIL'}: ${f.message}${!f.ok && f.fix ? ` Fix: ${f.fix}` : ''}`);
      // Without create on Secrets nothing can work: the POST's own 403 says so, no question first.
      if (bad.some((f) => f.id === 'create-secrets')) return run.reused ? 'reused' : 'ran';
      const rbac = bad.filter(isRbacFinding);
      if (rbac.length) {
        const apply = await q.applyRbac(rbac);
        checkpoint();
        if (apply === undefined) throw new BootstrapDeclined('the RBAC question was dismissed');
        if (apply) {
          step("Creating kubeadm's bootstrap RBAC bindings");
          await (deps.applyRbac ? deps.applyRbac(cluster) : applyBootstrapRbac(cluster).then(() => undefined));
          appliedRbac = true;
          deps.onRightsChanged?.('Apply RBAC');
        }
      }
      const other = bad.filter((f) => !isRbacFinding(f));
      if (other.length) {
        if (!(await q.proceed(other))) throw new BootstrapDeclined('the preflight found problems');
        checkpoint();
      }
      return run.reused ? 'reused' : 'ran';
    };
    let checked = await preflight(false);

    // The token and its Secret.
    const generate = deps.generate ?? generateToken;
    let token: BootstrapToken;
    let manifest;
    for (let attempt = 1; ; attempt++) {
      checkpoint();
      token = generate();
      manifest = tokenSecretManifest(token, { ...o, now: deps.now?.() ?? new Date() });
      step(`Creating bootstrap token ${token.id} (Secret ${TOKEN_NAMESPACE}/${secretNameFor(token.id)})`);
      undo.secret = { id: token.id, state: 'maybe' };
      try {
        await cluster.createTokenSecret(manifest);
        undo.secret.state = 'created';
        break;
      } catch (e) {
        if (!definitelyNotCreated(e)) throw e; // late, lost or interrupted: the rollback checks the name
        undo.secret = undefined;
        if (isKrustletError(e, 'conflict') && attempt < MAX_ID_ATTEMPTS) {
          log.debug(`Token id ${token.id} is taken; trying another.`);
          continue;
        }
        if ((isKrustletError(e, 'forbidden') || isKrustletError(e, 'unauthorized')) && !aborted()) {
          deps.onRightsChanged?.(`bootstrap got ${e.code}`);
          // A kept preflight result said yes: run it again for real (asking what it finds) and try once more.
          if (checked === 'reused') {
            log.info(`Bootstrap got ${e.code} although a recent preflight was clean; running the preflight again.`);
            checked = await preflight(true);
            attempt = 0;
            continue;
          }
        }
        throw e;
      }
    }
    const secretName = secretNameFor(token.id);
    const expiration = manifest.stringData.expiration ? new Date(manifest.stringData.expiration) : undefined;

    const insecure = base.insecureSkipTlsVerify;
    // krustlet-wasi needs a CA in the bootstrap config (bootstrapping/mod.rs bootstrap_auth): without one it stops
    // before its first CSR with "Unable to find certificate authority information in bootstrap config".
    const noCa = !base.caData
      ? `Cluster '${base.clusterName}' ${insecure ? 'uses insecure-skip-tls-verify and ' : ''}names no CA, so the written file has none: krustlet-wasi will fail at once ("Unable to find certificate authority information in bootstrap config") — a kubelet${insecure ? ' would skip verification too' : ' would use the system’s trusted CAs'}. Put the cluster's CA (certificate-authority-data) in your kubeconfig and run Bootstrap again.`
      : undefined;
    if (noCa) log.warn(noCa);

    // The file.
    checkpoint();
    step(`Writing ${path}`);
    const text = buildBootstrapKubeconfig(
      { clusterName: base.clusterName, server: base.server, caData: base.caData, insecureSkipTlsVerify: insecure, tlsServerName: base.tlsServerName },
      token,
    );
    const written = await writeFileSafely(path, text, { force: existing });
    undo.file = { path: written.path, backupPath: written.backupPath, content: text };
    checkpoint();
    deps.onWritten?.({ path: written.path, backupPath: written.backupPath, tokenId: token.id });

    const warnings: BootstrapWarning[] = noCa ? [{ message: noCa }] : [];
    const result: BootstrapResult = {
      token,
      secretName,
      namespace: TOKEN_NAMESPACE,
      path: written.path,
      expiration,
      insecureSkipTlsVerify: insecure,
      preflight: checked,
      appliedRbac,
      warnings,
      profile,
    };
    if (written.backupPath) result.backupPath = written.backupPath;
    const pinned = manifest.metadata.annotations?.[PINNED_NODE_ANNOTATION];
    if (pinned) result.nodeName = pinned;

    // The token check: what it finds, or that it could not run, is a warning; the bootstrap stands.
    if (o.verifyToken !== false) {
      step('Checking that the API server accepts the token');
      try {
        result.tokenCheck = await verifyTokenAuth(cluster, token);
        const problems = result.tokenCheck.findings.filter((f) => !f.ok);
        for (const f of problems) warnings.push({ message: `${f.message}${f.fix ? ` ${f.fix}` : ''}`, ...(f.action ? { fix: f.action } : {}) });
        if (problems.length) deps.onRightsChanged?.('the token check found a problem');
      } catch (e) {
        if (aborted()) throw e;
        warnings.push({
          message: `Could not check that the API server accepts token ${token.id} (${describeError(e).replace(/\.$/, '')}). The token and ${written.path} are in place; the preflight checks them again.`,
        });
      }
    }
    checkpoint();
    // Committed: from here on nothing is rolled back.
    undo.secret = undefined;
    undo.file = undefined;

    if (replaced) {
      if (revoke) {
        step(`Revoking the replaced token ${replaced.id}`);
        try {
          await base.deleteToken(replaced.id);
          result.replaced = { id: replaced.id, revoked: true };
        } catch (e) {
          if (isKrustletError(e, 'not-found')) result.replaced = { id: replaced.id, revoked: true };
          else {
            result.replaced = { id: replaced.id, revoked: false };
            warnings.push({
              message: `Could not revoke the replaced token ${replaced.id} (${describeError(e).replace(/\.$/, '')}): it stays valid until it expires; \`kubectl -n ${TOKEN_NAMESPACE} delete secret ${replaced.secretName}\` removes it.`,
              fix: { kind: 'delete-token', data: { id: replaced.id } },
            });
          }
        }
      } else result.replaced = { id: replaced.id, revoked: false };
    }
    return result;
  } catch (e) {
    // Nothing exists yet: an interrupt (a prompt it cut short included) says so; anything else as it is.
    if (!undo.pending) throw aborted() ? interruptedError() : e;
    step('Rolling back');
    throw rolledBack(e, await undo.run(), aborted());
  }
}
