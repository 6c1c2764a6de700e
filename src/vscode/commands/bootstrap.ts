import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bootstrap } from '../../core/bootstrap';
import { describeError, isKrustletError, KrustletError } from '../../core/errors';
import { defaultBootstrapPath } from '../../core/files';
import { listContexts } from '../../core/kubeconfig';
import { runPreflight, verifyTokenAuth } from '../../core/preflight';
import { formatTtl, parseTtl } from '../../core/token';
import type { BootstrapToken, ContextInfo } from '../../core/types';
import { bootstrapConfigPathFor, contextSetting, kubeconfigSetting, tokenTtlSetting } from '../config';
import { connect, type Cluster } from '../../core/cluster';
import { BuiltinCommands, StateKeys } from '../constants';
import type { FeatureCalls, FeatureContext } from '../features';
import { isRbacFinding } from './cluster';
import { MAX_DETAIL, plainText } from '../text';
import { reportError } from './util';

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

async function bootstrapCommand(ctx: FeatureContext, o: BootstrapOptions = {}): Promise<BootstrapCommandResult | undefined> {
  try {
    const contextName = await pickContext(ctx, o);
    const ttlSeconds = await pickTtl(ctx, o);
    const target = await pickTarget(ctx, o);
    const force = await checkExisting(ctx, o, target);

    const cluster = await clusterFor(ctx, contextName);
    let checked = await preflight(ctx, o, cluster);

    const run = () =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Krustlet: Bootstrap', cancellable: false }, async (progress) => {
        progress.report({ message: `creating a bootstrap token on ${cluster.context.name}…` });
        return bootstrap({
          cluster,
          ttlSeconds,
          description: o.description ?? `Created in VS Code by Krustlet Bootstrap${vscode.workspace.name ? ` (${vscode.workspace.name})` : ''}`,
          outputPath: target.path,
          force,
          logger: ctx.log,
          onStep: (step) => progress.report({ message: step }),
          // The token check runs below, once the file is written: it does not hold up the file.
          verify: false,
        });
      });
    let result;
    try {
      result = await run();
    } catch (e) {
      if (!isKrustletError(e, 'forbidden') && !isKrustletError(e, 'unauthorized')) throw e;
      // Our rights changed: no preflight result is trusted any more. If this one was reused, run it
      // again for real (showing what it finds) and try once more; nothing was created (401/403 on the POST).
      ctx.service.invalidatePreflight(`bootstrap got ${e.code}`);
      if (checked !== 'reused') throw e;
      ctx.log.info(`Bootstrap got ${e.code} although a recent preflight was clean; running the preflight again.`);
      checked = await preflight(ctx, o, cluster, { fresh: true });
      result = await run();
    }
    const expiration = result.expiration?.toISOString();
    // Never the secret: id, Secret name, path and expiry only.
    ctx.log.info(
      `Bootstrap: token ${result.token.id} (Secret kube-system/${result.secretName}, ${expiration ? `expires ${expiration}` : 'never expires'}) written to ${result.path}${result.backupPath ? `; previous file kept as ${result.backupPath}` : ''}.`,
    );
    const out: BootstrapCommandResult = {
      path: result.path,
      backupPath: result.backupPath,
      tokenId: result.token.id,
      secretName: result.secretName,
      expiration,
      context: cluster.context.name,
      server: cluster.server,
    };
    // The file is written: the token check starts now, beside the .gitignore offer and the success
    // message, and the command returns once it has reported (so callers see its findings in the log).
    const tokenChecked = checkToken(ctx, o, cluster, result.token);
    out.addedToGitignore = await offerGitignore(ctx, o, result.path);
    if (o.notify !== false) void successMessage(ctx, out, ttlSeconds);
    await tokenChecked;
    return out;
  } catch (e) {
    if (e instanceof Cancelled) {
      ctx.log.info(`Bootstrap cancelled: ${e.message}.`);
      return undefined;
    }
    reportError(ctx, 'Bootstrap failed', e, () => ctx.calls.bootstrap(o));
    return undefined;
  }
}

async function pickContext(ctx: FeatureContext, o: BootstrapOptions): Promise<string> {
  if (o.context) return o.context;
  const contexts: ContextInfo[] = listContexts({ kubeconfigPath: kubeconfigSetting() });
  if (!contexts.length) throw new KrustletError('context-unknown', 'The kubeconfig defines no contexts.', 'Add one (kubectl config set-context), or use another kubeconfig.', { fix: { kind: 'set-kubeconfig' } });
  if (contexts.length === 1) return contexts[0].name;
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
  return picked ?? cancel('no context chosen');
}

async function pickTtl(ctx: FeatureContext, o: BootstrapOptions): Promise<number> {
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
  const picked = await ctx.prompter.quickPick(items, { title: 'Krustlet: Bootstrap (2/2) — token lifetime', placeHolder: 'How long the new node may use the token to join' });
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

async function checkExisting(ctx: FeatureContext, o: BootstrapOptions, target: Target): Promise<boolean> {
  try {
    await fs.access(target.path);
  } catch {
    return false;
  }
  let overwrite = o.overwrite;
  if (overwrite === undefined) {
    const choice = await ctx.prompter.warning(
      `${target.path} already exists.`,
      { modal: true, detail: 'Overwrite it with a new token (the current file is kept as a backup next to it), or keep it and stop.' },
      'Overwrite (keep a backup)',
      'Keep Existing',
    );
    overwrite = choice === 'Overwrite (keep a backup)';
  }
  if (!overwrite) {
    return cancel(`kept the existing ${target.path}`);
  }
  return true;
}

async function clusterFor(ctx: FeatureContext, contextName: string): Promise<Cluster> {
  const current = ctx.service.cluster;
  if (current && current.context.name === contextName) return current;
  return connect({ kubeconfigPath: kubeconfigSetting(), context: contextName, logger: ctx.log });
}

/**
 * The token-acceptance check (the API server authenticates the new token, and it may create CSRs),
 * after the file is written: its findings go to the log and, when something is wrong, to a warning,
 * as before; it no longer delays the result. Never throws.
 */
async function checkToken(ctx: FeatureContext, o: BootstrapOptions, cluster: Cluster, token: BootstrapToken): Promise<void> {
  try {
    const check = await verifyTokenAuth(cluster, token);
    const problems = check.findings.filter((f) => !f.ok);
    for (const f of problems) ctx.log.warn(`After bootstrap: ${f.message}${f.fix ? ` Fix: ${f.fix}` : ''}`);
    if (!problems.length) ctx.log.info(`After bootstrap: the API server accepts token ${token.id}${check.canCreateCsrs ? ', and it may create certificate signing requests' : ''}.`);
    // Something changed since a clean preflight (e.g. the bindings were removed): run it fully next time.
    if (problems.length) ctx.service.invalidatePreflight('the token check found a problem');
    if (problems.length && o.notify !== false) void ctx.prompter.warning(plainText(`${problems[0].message}${problems[0].fix ? ` ${problems[0].fix}` : ''}`, MAX_DETAIL), {});
  } catch (e) {
    ctx.log.warn(`After bootstrap: could not check that the API server accepts token ${token.id}: ${describeError(e)}`);
  }
}

/** Runs the preflight (or reuses a recent clean one of the connected cluster) and handles what it finds. */
async function preflight(ctx: FeatureContext, o: BootstrapOptions, cluster: Cluster, opts: { fresh?: boolean } = {}): Promise<'reused' | 'ran'> {
  const kept = opts.fresh ? undefined : ctx.service.cleanPreflight(cluster);
  if (kept) {
    ctx.log.info(`Preflight of ${cluster.context.name}: reusing the clean result from ${Math.round(kept.ageMs / 1000)} s ago.`);
    return 'reused';
  }
  const findings = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Krustlet: checking ${cluster.context.name}…` },
    () => runPreflight(cluster),
  );
  ctx.log.info(`Preflight of ${cluster.context.name}: ran ${findings.length} checks, ${findings.filter((f) => !f.ok).length} failing.`);
  ctx.service.rememberPreflight(cluster, findings);
  for (const f of findings) ctx.log[f.ok ? 'debug' : 'warn'](`Preflight ${f.ok ? 'ok' : 'FAIL'}: ${f.message}${!f.ok && f.fix ? ` Fix: ${f.fix}` : ''}`);
  const bad = findings.filter((f) => !f.ok);
  const rbac = bad.filter(isRbacFinding);
  if (rbac.length) {
    let apply = o.applyRbac;
    if (apply === undefined) {
      const choice = await ctx.prompter.warning(
        `${cluster.context.name} lacks the bootstrap RBAC bindings a joining node needs.`,
        {
          modal: true,
          detail: `${rbac.map((f) => `• ${plainText(f.message, MAX_DETAIL)}`).join('\n')}\n\nWithout them the agent's "cannot create certificatesigningrequests" error follows. Apply RBAC creates kubeadm's three bindings.`,
        },
        'Apply RBAC',
        'Continue Without',
      );
      if (choice === undefined) return cancel('the RBAC question was dismissed');
      apply = choice === 'Apply RBAC';
    }
    // The user just chose Apply RBAC: that is its confirmation.
    if (apply && !(await ctx.calls.applyRbac({ confirm: true }))) return cancel('applying the RBAC bindings failed');
    ctx.service.invalidatePreflight('Apply RBAC');
  }
  const other = bad.filter((f) => !isRbacFinding(f));
  if (other.length && o.proceed !== true) {
    if (o.proceed === false) return cancel('the preflight found problems');
    const choice = await ctx.prompter.warning(
      `The preflight found ${other.length === 1 ? 'a problem' : `${other.length} problems`} on ${cluster.context.name}.`,
      { modal: true, detail: other.map((f) => `• ${plainText(f.message, MAX_DETAIL)}${f.fix ? `\n  ${plainText(f.fix, MAX_DETAIL)}` : ''}`).join('\n') },
      'Bootstrap Anyway',
    );
    if (choice !== 'Bootstrap Anyway') return cancel('the preflight found problems');
  }
  return 'ran';
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
      {},
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
