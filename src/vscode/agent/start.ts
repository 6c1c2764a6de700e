/**
 * "Krustlet: Start Agent": pre-start checks, each problem with its fix offered (new Bootstrap, move
 * the agent kubeconfig aside, delete a stale CSR, pick a node IP, create the data folder …), then the
 * agent in a terminal task whose output and exit feed the join progress.
 *
 * Every question can be answered up front (Bootstrap's "Start Agent" button passes the bootstrap file;
 * tests pass the rest): calls.startAgent({ folder, nodeIp, dataDir, fixes: { 'delete-csr': true }, proceed: false })
 */
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { problemsOf, runAgentChecks, type AgentCheckFinding, type AgentFix, type AgentFixId } from '../../core/agent/checks';
import { buildAgentCommandLine, resolveAgentOptions, type ResolvedAgentOptions } from '../../core/agent/commandLine';
import { describeError } from '../../core/errors';
import { moveAside } from '../../core/files';
import { bootstrapConfigPathFor, folderContaining } from '../config';
import type { Cluster } from '../../core/cluster';
import { StateKeys, TASK_NAME, TASK_SOURCE, TASK_TYPE } from '../constants';
import type { FeatureContext } from '../features';
import type { PickItem, Prompter } from '../prompter';
import { agentHost, agentOptionsFor, pickAgentSettings, type AgentSettings, type KrustletTaskDefinition } from './definition';
import type { AgentRun, AgentRuns } from './run';
import { agentNotFound, agentPtyExecution, isKrustletDefinition } from './tasks';

export interface StartAgentOptions extends AgentSettings {
  /** Workspace folder (name or path); default: the one with a bootstrap config, else ask. */
  folder?: string;
  /**
   * Answers for the fixes, by fix id: true = apply, false = don't; `pick-node-ip` takes the address,
   * `choose-data-dir` the folder.
   */
  fixes?: Partial<Record<AgentFixId, boolean | string>>;
  /** A problem is left unfixed: true = start anyway, false = stop. Default: ask. */
  proceed?: boolean;
  /** Only run the checks (and fixes); do not start. */
  checksOnly?: boolean;
  /** An agent of this window is running: true = stop it and start again, false = keep it. Default: ask. */
  restart?: boolean;
}

export interface StartAgentResult {
  started: boolean;
  /** The last round of checks. */
  findings: AgentCheckFinding[];
  /** Fixes applied, e.g. "delete-csr Box-tls". */
  fixed: string[];
  run?: AgentRun;
  /** Why it did not start. */
  reason?: string;
  /** The status bar item that shows the join progress. */
  statusBarItem?: vscode.StatusBarItem;
}

function findFolder(name: string | undefined): vscode.WorkspaceFolder | undefined {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (name) return folders.find((f) => f.name === name || f.uri.fsPath === name);
  return undefined;
}

async function chooseFolder(ask: Prompter, o: StartAgentOptions): Promise<vscode.WorkspaceFolder | undefined | 'cancel'> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (o.folder) return findFolder(o.folder) ?? 'cancel';
  if (o.bootstrapFile) {
    const f = folderContaining(o.bootstrapFile, folders);
    if (f) return f;
  }
  const withConfig: vscode.WorkspaceFolder[] = [];
  for (const f of folders) {
    if (await fs.stat(bootstrapConfigPathFor(f)).then(() => true, () => false)) withConfig.push(f);
  }
  if (withConfig.length === 1) return withConfig[0];
  if (folders.length <= 1) return folders[0];
  return (await ask.pickWorkspaceFolder('Start the Krustlet agent for which folder?')) ?? 'cancel';
}

/** A tasks.json `krustlet` task of the folder, if the user configured one: its settings are the base. */
async function configuredSettings(folder: vscode.WorkspaceFolder | undefined): Promise<AgentSettings> {
  try {
    const tasks = await vscode.tasks.fetchTasks({ type: TASK_TYPE });
    const mine = tasks.find(
      (t) => isKrustletDefinition(t.definition) && t.source !== TASK_SOURCE && (!folder || (typeof t.scope === 'object' && t.scope.uri.toString() === folder.uri.toString())),
    );
    return pickAgentSettings(mine?.definition);
  } catch {
    return {};
  }
}

export class StartAgent {
  /**
   * The questions Start Agent waits on: while one is open the status bar (and the view's Agent row) say
   * "Start Agent — waiting for your answer", so a question hidden behind another window is not a silent wait.
   */
  private readonly ask: Prompter;

  constructor(
    private readonly ctx: FeatureContext,
    private readonly runs: AgentRuns,
  ) {
    this.ask = runs.waitingPrompter(ctx.prompter, 'Start Agent');
  }

  private overrides(folder: vscode.WorkspaceFolder | undefined): AgentSettings {
    const all = this.ctx.extension.workspaceState.get<Record<string, AgentSettings>>(StateKeys.agentOverrides, {});
    return all[folder?.uri.toString() ?? ''] ?? {};
  }

  private async remember(folder: vscode.WorkspaceFolder | undefined, s: AgentSettings): Promise<void> {
    const all = this.ctx.extension.workspaceState.get<Record<string, AgentSettings>>(StateKeys.agentOverrides, {});
    const key = folder?.uri.toString() ?? '';
    await this.ctx.extension.workspaceState.update(StateKeys.agentOverrides, { ...all, [key]: { ...(all[key] ?? {}), ...s } });
  }

  async run(o: StartAgentOptions = {}): Promise<StartAgentResult> {
    const result: StartAgentResult = { started: false, findings: [], fixed: [] };
    const stop = (reason: string): StartAgentResult => {
      result.reason = reason;
      this.ctx.log.info(`Start Agent: ${reason}`);
      return result;
    };

    const current = this.runs.current;
    if (current?.running && !o.checksOnly) {
      const restart = o.restart ?? (await this.ask.warning('A Krustlet agent is already running in this window.', { modal: true }, 'Stop It and Start Again')) !== undefined;
      if (!restart) return stop('an agent is already running');
      await current.stop();
      await current.whenPhase('stopped', 'failed', 'ready').catch(() => undefined);
    }

    const folder = await chooseFolder(this.ask, o);
    if (folder === 'cancel') return stop('no workspace folder chosen');
    const settings: AgentSettings = { ...(await configuredSettings(folder)), ...this.overrides(folder), ...pickAgentSettings(o) };
    const host = agentHost(folder);

    let resolved: ResolvedAgentOptions;
    const resolve = () => resolveAgentOptions(agentOptionsFor(folder, settings), host);
    try {
      resolved = resolve();
    } catch (e) {
      void this.ctx.prompter.error(`Krustlet agent settings are invalid: ${describeError(e)}`);
      return stop(describeError(e));
    }

    let cluster: Cluster | undefined;
    try {
      cluster = await this.ctx.service.requireCluster();
    } catch (e) {
      this.ctx.log.warn(`Pre-start checks without the cluster (token expiry and CSRs not checked): ${describeError(e)}`);
    }

    for (let round = 0; round < 6; round++) {
      const findings = await runAgentChecks(resolved, { cluster });
      result.findings = findings;
      this.ctx.log.info(`Pre-start checks: ${findings.map((f) => `${f.id}=${f.severity}`).join(', ')}`);
      const problems = problemsOf(findings);
      let changed = false;
      for (const f of problems) {
        if (f.id === 'agent-binary') {
          void agentNotFound(this.ctx.prompter, resolved.command);
          return stop(f.message);
        }
        const outcome = await this.offerFix(f, o, settings, resolved, cluster);
        if (outcome === 'cancel') return stop(`not started: ${f.message}`);
        if (outcome === 'fixed') {
          result.fixed.push(`${f.fix?.id}${f.fix?.target ? ` ${f.fix.target}` : ''}`);
          changed = true;
          break; // re-check everything after a fix
        }
      }
      if (!changed) break;
      try {
        resolved = resolve();
      } catch (e) {
        return stop(describeError(e));
      }
    }
    if (o.checksOnly) return result;

    const cl = buildAgentCommandLine(agentOptionsFor(folder, settings), host);
    const run = this.runs.begin(cl.resolved, 'task');
    result.run = run;
    const def: KrustletTaskDefinition = { type: TASK_TYPE, ...settings };
    const task = new vscode.Task(
      def,
      folder ?? vscode.TaskScope.Workspace,
      TASK_NAME,
      TASK_SOURCE,
      agentPtyExecution(cl, folder?.uri.fsPath, {
        onStart: (pid) => run.apply({ type: 'agentStarted', pid, at: new Date() }),
        onLine: (line) => run.apply({ type: 'agentOutput', line }),
        onExit: (code, signal) => run.apply({ type: 'agentExited', exitCode: code, signal }),
        onStopRequested: () => run.apply({ type: 'agentStopRequested' }),
      }),
    );
    task.isBackground = true;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
    try {
      run.execution = await vscode.tasks.executeTask(task);
    } catch (e) {
      void this.ctx.prompter.error(`Cannot start the Krustlet agent task: ${describeError(e)}`);
      return stop(describeError(e));
    }
    result.started = true;
    this.ctx.log.info(`Started the Krustlet agent for node ${cl.resolved.nodeName} (serving CSR ${cl.resolved.servingCsrName}).`);
    return result;
  }

  /** Offers one finding's fix; 'fixed' when something changed, 'continue' to go on, 'cancel' to stop. */
  private async offerFix(
    f: AgentCheckFinding,
    o: StartAgentOptions,
    settings: AgentSettings,
    resolved: ResolvedAgentOptions,
    cluster: Cluster | undefined,
  ): Promise<'fixed' | 'continue' | 'cancel'> {
    const fix: AgentFix | undefined = f.fix;
    const scripted = o.fixes !== undefined || o.proceed !== undefined;
    const answer = fix ? o.fixes?.[fix.id] : undefined;
    let apply = false;
    if (answer !== undefined) apply = answer !== false;
    else if (!scripted) {
      const goOn = f.severity === 'error' ? 'Start Anyway' : 'Continue';
      // Modal for warnings too: a notification hides itself after a few seconds while the command waits on it.
      const choice = await this.ask.warning(f.message, { modal: true }, ...(fix ? [fix.label] : []), goOn);
      if (choice === undefined) return 'cancel';
      if (choice === goOn) return 'continue';
      apply = true;
    }
    if (!apply || !fix) {
      if (o.proceed !== undefined) return o.proceed ? 'continue' : 'cancel';
      return f.severity === 'error' ? 'cancel' : 'continue';
    }
    try {
      switch (fix.id) {
        case 'new-bootstrap': {
          // The user chose "new Bootstrap" for this very file: that answers Bootstrap's overwrite question.
          const r = await this.ctx.calls.bootstrap({ outputPath: resolved.bootstrapFile, overwrite: true, notify: false });
          return r ? 'fixed' : 'cancel';
        }
        case 'move-kubeconfig-aside': {
          const to = await moveAside(resolved.kubeconfig);
          this.ctx.log.info(`Moved the agent kubeconfig aside: ${resolved.kubeconfig} → ${to}`);
          return 'fixed';
        }
        case 'delete-csr': {
          if (!cluster || !fix.target) return 'cancel';
          await cluster.deleteCsr(fix.target);
          this.ctx.log.info(`Deleted the stale certificate signing request ${fix.target}.`);
          return 'fixed';
        }
        case 'pick-node-ip': {
          let ip = typeof answer === 'string' ? answer : undefined;
          if (!ip) {
            const items: PickItem<string>[] = (fix.choices ?? []).map((c) => ({ label: c.address, description: c.label, value: c.address }));
            items.push({ label: 'Other…', description: 'type an address', value: '' });
            ip = await this.ask.quickPick(items, { title: 'Node IP: the address the cluster reaches this machine on' });
            if (ip === '') ip = await this.ask.inputBox({ title: 'Node IP', prompt: 'An IPv4 or IPv6 address of this machine', validate: (v) => (/^[0-9a-fA-F.:]+$/.test(v.trim()) ? undefined : 'Not an IP address') });
          }
          if (!ip) return 'cancel';
          settings.nodeIp = ip.trim();
          await this.remember(folderFor(resolved), { nodeIp: settings.nodeIp });
          return 'fixed';
        }
        case 'create-data-dir': {
          if (!fix.target) return 'cancel';
          // The data folder and its config/ subfolder in one go: one offer, not one per folder.
          for (const dir of fix.folders ?? [fix.target]) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
          return 'fixed';
        }
        case 'choose-data-dir': {
          const dir = typeof answer === 'string' ? answer : await this.ask.pickFolder('Data folder for the Krustlet agent');
          if (!dir) return 'cancel';
          settings.dataDir = dir;
          await this.remember(folderFor(resolved), { dataDir: dir });
          return 'fixed';
        }
        case 'select-context': {
          const ctxName = await this.ctx.calls.selectContext();
          return ctxName ? 'fixed' : 'continue';
        }
        case 'set-agent-path':
          return 'cancel';
      }
    } catch (e) {
      void this.ctx.prompter.error(`${fix.label} failed: ${describeError(e)}`);
      return 'cancel';
    }
    return 'continue';
  }
}

function folderFor(r: ResolvedAgentOptions): vscode.WorkspaceFolder | undefined {
  return folderContaining(r.bootstrapFile);
}
