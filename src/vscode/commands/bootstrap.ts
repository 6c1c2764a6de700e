import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BootstrapDeclined, KRUSTLET_PROFILE, runBootstrap, type BootstrapQuestions, type PreflightRun } from '../../core/bootstrap';
import { describeError, KrustletError } from '../../core/errors';
import { defaultBootstrapPath } from '../../core/files';
import { listContexts } from '../../core/kubeconfig';
import { runPreflight } from '../../core/preflight';
import { formatTtl, parseTtl } from '../../core/token';
import type { ContextInfo } from '../../core/types';
import { bootstrapConfigPathFor, contextSetting, kubeconfigSetting, tokenTtlSetting } from '../config';
import { connect, type Cluster } from '../../core/cluster';
import { BuiltinCommands, StateKeys } from '../constants';
import type { FeatureCalls, FeatureContext } from '../features';
import { fixButtons } from '../fixes';
import { applyRbacOn } from './cluster';
import { MAX_DETAIL, plainText } from '../text';
import { notify, reportError } from './util';

/**
 * Krustlet: Bootstrap — the pickers that only the extension has (context, lifetime, target folder),
 * then the core's one use case (src/core/bootstrap.ts) with its questions as modal dialogs, its steps
 * in a cancellable progress notification (Cancel rolls back), and VS Code closing mid-way
 * (deactivate → interruptBootstraps) rolling back too.
 */

/**
 * Answers for every question Bootstrap may ask. A field that is set is not asked. Features pass them
 * (Start Agent: `calls.bootstrap({ outputPath, overwrite: true, notify: false })`); through the
 * command only tests may (src/vscode/commands/index.ts).
 */
export interface BootstrapOptions {
  /** Kubeconfig context; default: ask (current first), or the only one. */
  context?: string;
  /** `1h`, `24h`, `90m`, `0`/`never` … */
  ttl?: string;
  /** Workspace folder (name or path) whose `krustlet.bootstrapConfigPath` is the target. */
  folder?: string;
  /** An explicit target path (wins over `folder`). */
  outputPath?: string;
  /** The file exists: true = overwrite (with a backup), false = keep it (and stop). */
  overwrite?: boolean;
  /** The replaced file holds a valid token of this cluster: true = revoke it once the new file is written, false = keep it. */
  revokeReplaced?: boolean;
  /** The preflight finds kubeadm's bootstrap bindings missing: true = create them, false = go on without. */
  applyRbac?: boolean;
  /** Other preflight problems: true = go on anyway, false = stop. */
  proceed?: boolean;
  /** In a git repository where the file is not ignored: true = add it to .gitignore. */
  gitignore?: boolean;
  description?: string;
  /** Show the success message with Open / Copy Path / Start Agent (default true). */
  notify?: boolean;
}

export interface BootstrapCommandResult {
  path: string;
  backupPath?: string;
  tokenId: string;
  secretName: string;
  /** ISO time, or undefined for a token that never expires. */
  expiration?: string;
  context: string;
  server: string;
  addedToGitignore?: boolean;
}

class Cancelled extends Error {}

/** Stops the command quietly (the user said no, or closed a prompt); the log says where. */
const cancel = (why: string): never => {
  throw new Cancelled(why);
};

/** Bootstraps running now: deactivation (VS Code closing) interrupts them and waits for their rollback. */
const running = new Set<{ abort: AbortController; done: Promise<unknown> }>();

/** Interrupts every running Bootstrap and resolves once each has rolled back (extension.ts deactivate()). */
export async function interruptBootstraps(why: string): Promise<void> {
  const all = [...running];
  for (const r of all) r.abort.abort(new Error(why));
  await Promise.all(all.map((r) => r.done.catch(() => undefined)));
}

/**
 * The progress notification, shown while the use case works and closed while it asks a question (a
 * toast must not sit behind a modal dialog); Cancel interrupts the use case (it rolls back).
 */
class StepProgress {
  private current?: { report: (m: string) => void; close: () => Promise<void> };
  constructor(
    private readonly title: string,
    private readonly abort: AbortController,
  ) {}

  step(message: string): void {
    if (!this.current) {
      let report: (m: string) => void = () => undefined;
      let close: () => void = () => undefined;
      let ended: Thenable<void> = Promise.resolve();
      const opened = new Promise<void>((resolve) => {
        ended = vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: this.title, cancellable: true }, (progress, token) => {
          report = (m) => progress.report({ message: m });
          token.onCancellationRequested(() => this.abort.abort(new Error('cancelled in the progress notification')));
          resolve();
          return new Promise<void>((done) => {
            close = done;
          });
        });
      });
      // Closed once withProgress has returned: VS Code has been told to take the notification away (before the
      // question that follows is sent, so the toast never shows behind the dialog).
      this.current = {
        report: (m) => void opened.then(() => report(m)),
        close: () => opened.then(() => {
          close();
          return Promise.resolve(ended).then(() => undefined, () => undefined);
        }),
      };
    }
    this.current.report(message);
  }

  close(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    return c ? c.close() : Promise.resolve();
  }

  /** Runs a question with the notification closed. */
  async asking<T>(question: () => Promise<T>): Promise<T> {
    await this.close();
    return question();
  }
}

async function bootstrapCommand(ctx: FeatureContext, o: BootstrapOptions = {}): Promise<BootstrapCommandResult | undefined> {
  const abort = new AbortController();
  const progress = new StepProgress('Krustlet: Bootstrap', abort);
  const entry = { abort, done: Promise.resolve() as Promise<unknown> };
  running.add(entry);
  const run = (async () => {
    try {
      const { name: contextName, asked } = await pickContext(ctx, o);
      // A step counter only when there are two questions: "(2/2)" after a skipped first step reads as a lost one.
      const ttlSeconds = await pickTtl(ctx, o, asked ? ' (2/2)' : '');
      const target = await pickTarget(ctx, o);
      const base = await clusterFor(ctx, contextName);
      let announced: Promise<boolean | undefined> | undefined;
      const out = (r: { path: string; backupPath?: string; tokenId: string }, expiration?: string): BootstrapCommandResult => ({
        path: r.path,
        backupPath: r.backupPath,
        tokenId: r.tokenId,
        secretName: `bootstrap-token-${r.tokenId}`,
        expiration,
        context: base.context.name,
        server: base.server,
      });
      const result = await runBootstrap(
        {
          cluster: base,
          signal: abort.signal,
          logger: ctx.log,
          onStep: (s) => progress.step(s),
          // The file is in place: the .gitignore offer and the success message need not wait for the token check.
          onWritten: (w) => {
            announced = offerGitignore(ctx, o, w.path);
            if (o.notify !== false) void successMessage(ctx, out(w), ttlSeconds);
          },
          preflight: (cluster, { fresh }) => preflight(ctx, base, cluster, fresh),
          applyRbac: (cluster) => applyRbacOn(ctx, cluster),
          onRightsChanged: (why) => ctx.service.invalidatePreflight(why),
        },
        {
          ttlSeconds,
          description: o.description ?? `Created in VS Code by Krustlet Bootstrap${vscode.workspace.name ? ` (${vscode.workspace.name})` : ''}`,
          outputPath: target.path,
          profile: KRUSTLET_PROFILE,
        },
        questions(ctx, o, progress, base.context.name),
      );
      void progress.close();
      const expiration = result.expiration?.toISOString();
      // Never the secret: id, Secret name, path and expiry only.
      ctx.log.info(
        `Bootstrap: token ${result.token.id} (Secret kube-system/${result.secretName}, ${expiration ? `expires ${expiration}` : 'never expires'}) written to ${result.path}${result.backupPath ? `; previous file kept as ${result.backupPath}` : ''}.`,
      );
      if (result.appliedRbac) ctx.log.info("Bootstrap created kubeadm's bootstrap RBAC bindings.");
      if (result.replaced) ctx.log.info(`Bootstrap: the replaced token ${result.replaced.id} was ${result.replaced.revoked ? 'revoked' : 'kept'}.`);
      const check = result.tokenCheck;
      if (check?.authenticated && !result.warnings.length) ctx.log.info(`After bootstrap: the API server accepts token ${result.token.id}${check.canCreateCsrs ? ', and it may create certificate signing requests' : ''}.`);
      for (const w of result.warnings) ctx.log.warn(`After bootstrap: ${w.message}`);
      const first = result.warnings[0];
      if (first && o.notify !== false) {
        const buttons = fixButtons(ctx.calls, first.fix);
        void ctx.prompter.warning(plainText(first.message, MAX_DETAIL), {}, ...buttons.map((b) => b.label)).then((c) => buttons.find((b) => b.label === c)?.run());
      }
      const r = out({ path: result.path, backupPath: result.backupPath, tokenId: result.token.id }, expiration);
      r.addedToGitignore = await (announced ?? offerGitignore(ctx, o, result.path));
      return r;
    } catch (e) {
      void progress.close();
      if (e instanceof Cancelled || e instanceof BootstrapDeclined) {
        ctx.log.info(`Bootstrap cancelled: ${e instanceof BootstrapDeclined ? e.reason : e.message}.`);
        return undefined;
      }
      // Cancelled in the progress notification, or VS Code is closing: rolled back completely (what is left, if anything, is an error with its fix).
      if (abort.signal.aborted && e instanceof KrustletError && e.code === 'cancelled' && !e.fix) {
        ctx.log.info(`Bootstrap cancelled: ${e.message}`);
        notify(ctx, e.message);
        return undefined;
      }
      reportError(ctx, 'Bootstrap failed', e, () => ctx.calls.bootstrap(o));
      return undefined;
    }
  })();
  entry.done = run;
  try {
    return await run;
  } finally {
    running.delete(entry);
  }
}

/** The use case's questions as modal dialogs; an answer given in the options is not asked. */
function questions(ctx: FeatureContext, o: BootstrapOptions, progress: StepProgress, contextName: string): BootstrapQuestions {
  return {
    overwrite: (path) =>
      progress.asking(async () => {
        if (o.overwrite !== undefined) return o.overwrite;
        const choice = await ctx.prompter.warning(
          `${path} already exists.`,
          { modal: true, detail: 'Overwrite it with a new token (the current file is kept as a backup next to it), or keep it and stop.' },
          'Overwrite (keep a backup)',
          'Keep Existing',
        );
        return choice === 'Overwrite (keep a backup)';
      }),
    revokeReplaced: (t, path) =>
      progress.asking(async () => {
        if (o.revokeReplaced !== undefined) return o.revokeReplaced;
        const exp = t.expiration ? `it expires ${t.expiration.toLocaleString()}` : 'it never expires';
        const choice = await ctx.prompter.warning(
          `${path} holds bootstrap token ${t.id}, still valid (${exp}).`,
          { modal: true, detail: 'Revoke it once the new file is written (recommended: nothing else should hold it), or keep it valid.' },
          'Revoke Old Token',
          'Keep It Valid',
        );
        return choice === 'Keep It Valid' ? false : choice === 'Revoke Old Token' ? true : cancel('the question about the replaced token was dismissed');
      }),
    applyRbac: (missing) =>
      progress.asking(async () => {
        if (o.applyRbac !== undefined) return o.applyRbac;
        const choice = await ctx.prompter.warning(
          `${contextName} lacks the bootstrap RBAC bindings a joining node needs.`,
          {
            modal: true,
            detail: `${missing.map((f) => `• ${plainText(f.message, MAX_DETAIL)}`).join('\n')}\n\nWithout them the agent's "cannot create certificatesigningrequests" error follows. Apply RBAC creates kubeadm's three bindings.`,
          },
          'Apply RBAC',
          'Continue Without',
        );
        return choice === undefined ? undefined : choice === 'Apply RBAC';
      }),
    proceed: (other) =>
      progress.asking(async () => {
        if (o.proceed !== undefined) return o.proceed;
        const choice = await ctx.prompter.warning(
          `The preflight found ${other.length === 1 ? 'a problem' : `${other.length} problems`} on ${contextName}.`,
          { modal: true, detail: other.map((f) => `• ${plainText(f.message, MAX_DETAIL)}${f.fix ? `\n  ${plainText(f.fix, MAX_DETAIL)}` : ''}`).join('\n') },
          'Bootstrap Anyway',
        );
        return choice === 'Bootstrap Anyway';
      }),
  };
}

async function pickContext(ctx: FeatureContext, o: BootstrapOptions): Promise<{ name: string; asked: boolean }> {
  if (o.context) return { name: o.context, asked: false };
  const contexts: ContextInfo[] = listContexts({ kubeconfigPath: kubeconfigSetting() });
  if (!contexts.length) throw new KrustletError('context-unknown', 'The kubeconfig defines no contexts.', 'Add one (kubectl config set-context), or use another kubeconfig.', { fix: { kind: 'set-kubeconfig' } });
  if (contexts.length === 1) return { name: contexts[0].name, asked: false };
  // Current (or the one selected for the view) first.
  const preferred = contextSetting() ?? contexts.find((c) => c.current)?.name;
  const sorted = [...contexts].sort((a, b) => Number(b.name === preferred) - Number(a.name === preferred));
  const picked = await ctx.prompter.quickPick(
    sorted.map((c) => ({
      label: c.name,
      description: [c.current ? 'current' : undefined, c.name === contextSetting() ? 'selected for the view' : undefined].filter(Boolean).join(', '),
      detail: c.server,
      value: c.name,
    })),
    { title: 'Krustlet: Bootstrap (1/2) — cluster', placeHolder: 'The context whose cluster the new node joins' },
  );
  return { name: picked ?? cancel('no context chosen'), asked: true };
}

async function pickTtl(ctx: FeatureContext, o: BootstrapOptions, counter: string): Promise<number> {
  if (o.ttl !== undefined) return o.ttl === 'never' ? 0 : parseTtl(o.ttl);
  const fromSetting = tokenTtlSetting();
  let settingSeconds: number | undefined;
  try {
    settingSeconds = parseTtl(fromSetting);
  } catch {
    ctx.log.warn(`Setting krustlet.tokenTtl '${fromSetting}' is not a duration; using 1h.`);
  }
  type Choice = number | 'custom';
  const items: { label: string; description?: string; value: Choice }[] = [
    { label: '1 hour', description: "like Krustlet's bootstrap script", value: 3600 },
    { label: '24 hours', description: "like kubeadm's default", value: 86400 },
    { label: 'Custom…', description: 'e.g. 30m, 2h, 7d', value: 'custom' },
    { label: 'Never expires', description: 'not recommended: the token stays valid until revoked', value: 0 },
  ];
  if (settingSeconds !== undefined) {
    const same = items.find((i) => i.value === settingSeconds);
    if (same) {
      items.splice(items.indexOf(same), 1);
      items.unshift({ ...same, description: `default (krustlet.tokenTtl)${same.description ? `, ${same.description}` : ''}` });
    } else items.unshift({ label: formatTtl(settingSeconds), description: 'default (krustlet.tokenTtl)', value: settingSeconds });
  }
  const picked = await ctx.prompter.quickPick(items, { title: `Krustlet: Bootstrap${counter} — token lifetime`, placeHolder: 'How long the new node may use the token to join' });
  if (picked === undefined) return cancel('no token lifetime chosen');
  if (picked !== 'custom') return picked;
  const text = await ctx.prompter.inputBox({
    title: 'Krustlet: Bootstrap — custom token lifetime',
    prompt: 'A duration like 30m, 2h, 1h30m or 7d; 0 for never',
    value: '2h',
    validate: (v) => {
      try {
        parseTtl(v);
        return undefined;
      } catch (e) {
        return describeError(e);
      }
    },
  });
  return text === undefined ? cancel('no custom lifetime entered') : parseTtl(text);
}

interface Target {
  path: string;
  folder?: vscode.WorkspaceFolder;
}

async function pickTarget(ctx: FeatureContext, o: BootstrapOptions): Promise<Target> {
  if (o.outputPath) return { path: path.resolve(o.outputPath) };
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (o.folder) {
    const f = folders.find((w) => w.name === o.folder || w.uri.fsPath === path.resolve(o.folder ?? ''));
    if (f) return { path: bootstrapConfigPathFor(f), folder: f };
    if (!folders.length) return { path: path.join(path.resolve(o.folder), '.krustlet', 'bootstrap.conf') };
    throw new KrustletError('invalid-argument', `'${o.folder}' is not a folder of this workspace.`, `Use one of: ${folders.map((f) => f.name).join(', ')}.`, { fix: { kind: 'fix-input', data: { input: 'folder' } } });
  }
  if (folders.length === 1) return { path: bootstrapConfigPathFor(folders[0]), folder: folders[0] };
  if (folders.length > 1) {
    const f = await ctx.prompter.pickWorkspaceFolder('The workspace folder to write the bootstrap config into');
    return f ? { path: bootstrapConfigPathFor(f), folder: f } : cancel('no workspace folder chosen');
  }
  const home = defaultBootstrapPath();
  const shown = home.startsWith(os.homedir()) ? `~${home.slice(os.homedir().length)}` : home;
  const useHome = `Use ${shown}`;
  const choice = await ctx.prompter.warning(
    'No folder is open. Where should the bootstrap config go?',
    { modal: true, detail: `Krustlet's own default is ${shown}. Opening a folder writes it to that folder's ${'.krustlet/bootstrap.conf'} instead.` },
    useHome,
    'Open Folder…',
  );
  if (choice === useHome) return { path: home };
  if (choice === 'Open Folder…') void vscode.commands.executeCommand(BuiltinCommands.openFolder);
  return cancel(choice ? 'opening a folder first' : 'no target chosen');
}

async function clusterFor(ctx: FeatureContext, contextName: string): Promise<Cluster> {
  const current = ctx.service.cluster;
  if (current && current.context.name === contextName) return current;
  return connect({ kubeconfigPath: kubeconfigSetting(), context: contextName, logger: ctx.log });
}

/** The preflight for the use case: a recent clean result of the connected cluster is reused (see ClusterService.cleanPreflight). */
async function preflight(ctx: FeatureContext, base: Cluster, cluster: Cluster, fresh: boolean): Promise<PreflightRun> {
  const kept = fresh ? undefined : ctx.service.cleanPreflight(base);
  if (kept) {
    ctx.log.info(`Preflight of ${base.context.name}: reusing the clean result from ${Math.round(kept.ageMs / 1000)} s ago.`);
    return { findings: kept.findings, reused: true };
  }
  const findings = await runPreflight(cluster);
  ctx.log.info(`Preflight of ${base.context.name}: ran ${findings.length} checks, ${findings.filter((f) => !f.ok).length} failing.`);
  ctx.service.rememberPreflight(base, findings);
  return { findings };
}

function git(args: string[], cwd: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 5000 }, (err, stdout) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 128) : 0;
      resolve({ code, stdout: String(stdout) });
    });
  });
}

/** In a git repository where the file is not ignored: offer once per path to add it to .gitignore. */
async function offerGitignore(ctx: FeatureContext, o: BootstrapOptions, file: string): Promise<boolean | undefined> {
  const dir = path.dirname(file);
  const top = await git(['rev-parse', '--show-toplevel'], dir);
  if (top.code !== 0) return undefined;
  const root = top.stdout.trim();
  const ignored = await git(['check-ignore', '-q', file], dir);
  if (ignored.code === 0) return undefined;
  const offered = ctx.extension.workspaceState.get<string[]>(StateKeys.gitignoreOffered, []);
  let add = o.gitignore;
  if (add === undefined) {
    if (offered.includes(file)) return undefined;
    await ctx.extension.workspaceState.update(StateKeys.gitignoreOffered, [...offered, file]);
    const choice = await ctx.prompter.warning(
      `${path.relative(root, file)} holds a credential and is not ignored by git. Add it to .gitignore?`,
      // Modal: Bootstrap waits on the answer, and a notification would hide itself after a few seconds.
      { modal: true },
      'Add to .gitignore',
      'Not Now',
    );
    add = choice === 'Add to .gitignore';
  }
  if (!add) return false;
  const rel = `/${path.relative(root, file).split(path.sep).join('/')}`;
  const gitignore = path.join(root, '.gitignore');
  let text = '';
  try {
    text = await fs.readFile(gitignore, 'utf8');
  } catch {
    // no .gitignore yet
  }
  if (!text.split(/\r?\n/).includes(rel)) {
    await fs.writeFile(gitignore, `${text}${text && !text.endsWith('\n') ? '\n' : ''}# Krustlet bootstrap config (holds a bootstrap token)\n${rel}\n`);
    ctx.log.info(`Added ${rel} to ${gitignore}.`);
  }
  return true;
}

async function successMessage(ctx: FeatureContext, r: BootstrapCommandResult, ttlSeconds: number): Promise<void> {
  const choice = await ctx.prompter.info(
    `Bootstrap config written to ${r.path} (token ${r.tokenId}, ${ttlSeconds ? `valid for ${formatTtl(ttlSeconds)}` : 'never expires'}).`,
    {},
    'Open',
    'Copy Path',
    'Start Agent',
  );
  if (choice === 'Open') await vscode.window.showTextDocument(vscode.Uri.file(r.path));
  else if (choice === 'Copy Path') await vscode.env.clipboard.writeText(r.path);
  else if (choice === 'Start Agent') await ctx.calls.startAgent({ bootstrapFile: r.path });
}

export function bootstrapCalls(ctx: FeatureContext): Pick<FeatureCalls, 'bootstrap'> {
  return { bootstrap: (o) => bootstrapCommand(ctx, o) };
}
