/**
 * One agent run and its join progress. The facts come only from events: the agent's files (fs.watch),
 * the CSRs and tokens of the ClusterService's informers, the Node (an informer on that one node), and
 * the agent process (start, output lines, exit). The status bar and the tree's "Agent <hostname>" node
 * show the current step, "Approve" while the serving CSR waits, and where/why on failure.
 */
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ResolvedAgentOptions } from '../../core/agent/commandLine';
import { failureNotice, failureText, phaseIcon, progressMarkdown, statusBarText, stepPickItems, summaryText, waitingText } from '../../core/agent/present';
import { JoinProgressModel, type JoinEvent, type JoinPhase, type JoinProgress } from '../../core/agent/progress';
import { watchFiles, watchNode } from '../../core/agent/watch';
import { describeError } from '../../core/errors';
import { tokenFromBootstrapKubeconfig } from '../../core/kubeconfig';
import { parseToken, tokenExpired } from '../../core/token';
import { AGENT_STATUS_BAR_ID, BuiltinCommands, Commands } from '../constants';
import type { FeatureContext } from '../features';
import type { Prompter } from '../prompter';

export type RunKind = 'task' | 'debug';

export class AgentRun implements vscode.Disposable {
  readonly model: JoinProgressModel;
  private readonly changed = new vscode.EventEmitter<JoinProgress>();
  /** Fires after every change of the progress. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private nodeWatch?: { dispose(): void };
  private tokenId?: string;
  execution?: vscode.TaskExecution;
  debugSession?: vscode.DebugSession;
  private notifiedFailure = false;
  /** The phase of the last progress event (the log says "Ready" once per time it gets there). */
  private loggedPhase?: JoinPhase;

  constructor(
    private readonly ctx: FeatureContext,
    readonly resolved: ResolvedAgentOptions,
    readonly kind: RunKind,
  ) {
    this.model = new JoinProgressModel(resolved);
    this.disposables.push(this.changed);
    const sub = this.model.onChange((p) => this.onProgress(p));
    this.disposables.push({ dispose: () => sub.dispose() });
    try {
      const t = tokenFromBootstrapKubeconfig(readFileSync(resolved.bootstrapFile, 'utf8'));
      if (t) this.tokenId = parseToken(t).id;
    } catch {
      // no readable bootstrap config: the token step stays unknown (the file watcher reports the file)
    }
    const fileOf: Record<string, 'bootstrapConfig' | 'kubeconfig' | 'certFile' | 'privateKeyFile'> = {
      [resolved.bootstrapFile]: 'bootstrapConfig',
      [resolved.kubeconfig]: 'kubeconfig',
      [resolved.certFile]: 'certFile',
      [resolved.privateKeyFile]: 'privateKeyFile',
    };
    const files = watchFiles(Object.keys(fileOf), (p, exists) => this.apply({ type: 'file', file: fileOf[p], exists }), { log: ctx.log });
    this.disposables.push({ dispose: () => files.dispose() });
    this.disposables.push(
      ctx.service.onDidChangeConnection(() => this.syncFromService()),
      ctx.service.csrs.onDidChange((c) => {
        if (c.type === 'reset') this.syncFromService();
        else if (c.type === 'status') this.syncApiServer();
        else if (c.key === resolved.clientCsrName || c.key === resolved.servingCsrName) {
          this.apply({ type: 'csr', csr: c.item, deleted: c.type === 'deleted' });
        }
      }),
      ctx.service.tokens.onDidChange((c) => {
        if (c.type === 'reset') this.syncFromService();
        else if (c.type !== 'status' && c.key === this.tokenId) this.syncToken();
      }),
    );
    this.syncFromService();
  }

  get progress(): JoinProgress {
    return this.model.progress;
  }

  apply(e: JoinEvent): void {
    this.model.apply(e);
  }

  /** Resolves when the phase is one of `phases` (now or later). */
  whenPhase(...phases: JoinPhase[]): Promise<JoinProgress> {
    const now = this.progress;
    if (phases.includes(now.phase)) return Promise.resolve(now);
    return new Promise((resolve) => {
      const sub = this.onDidChange((p) => {
        if (phases.includes(p.phase)) {
          sub.dispose();
          resolve(p);
        }
      });
    });
  }

  /**
   * Whether the API server answers, as the connection sees it: unreachable (the view's error state), or a watch
   * reconnecting after it dropped. The node's state is then unknown (the presenter says so instead of a stale Ready).
   */
  private syncApiServer(): void {
    const service = this.ctx.service;
    const w = service.csrs.status;
    if (service.state.kind === 'unreachable') this.apply({ type: 'apiServer', reachable: false, message: firstSentence(service.state.message) });
    else if (service.state.kind === 'connected' && w.state === 'reconnecting' && !w.forbidden) this.apply({ type: 'apiServer', reachable: false, message: firstSentence(w.message) });
    else if (service.state.kind === 'connected') this.apply({ type: 'apiServer', reachable: true });
  }

  private syncFromService(): void {
    this.syncApiServer();
    const r = this.resolved;
    for (const name of [r.clientCsrName, r.servingCsrName]) {
      const info = this.ctx.service.csrs.get(name);
      if (info) this.apply({ type: 'csr', csr: info });
    }
    this.syncToken();
    // The Node: watched through the connected cluster (restarted on reconnect).
    const cluster = this.ctx.service.cluster;
    if (cluster && !this.nodeWatch) {
      this.nodeWatch = watchNode(cluster, r.nodeName, (e) => this.apply(e), this.ctx.log);
    } else if (!cluster && this.nodeWatch) {
      this.nodeWatch.dispose();
      this.nodeWatch = undefined;
    }
  }

  private syncToken(): void {
    if (!this.tokenId) return;
    const t = this.ctx.service.tokens.get(this.tokenId);
    if (t) this.apply({ type: 'token', state: tokenExpired(t) ? 'expired' : 'created' });
    else if (this.ctx.service.tokens.status.state === 'live') this.apply({ type: 'token', state: 'missing' });
  }

  private onProgress(p: JoinProgress): void {
    this.changed.fire(p);
    if (p.phase === 'failed' && !this.notifiedFailure) {
      this.notifiedFailure = true;
      const f = p.failure;
      this.ctx.log.error(failureText(p) ?? '');
      if (f?.tail?.length) this.ctx.log.info(`Last agent output:\n${f.tail.join('\n')}`);
      const buttons = [...(f?.offerStop ? ['Stop Agent'] : []), 'Show Progress'];
      void this.ctx.prompter.error(failureNotice(p) ?? 'Krustlet agent: failed', ...buttons).then((choice) => {
        if (choice === 'Stop Agent') void this.stop();
        else if (choice === 'Show Progress') void this.ctx.calls.showAgentProgress();
      });
    }
    if (p.phase === 'ready' && this.loggedPhase !== 'ready') this.ctx.log.info(`Node ${this.resolved.nodeName} is Ready.`);
    this.loggedPhase = p.phase;
  }

  get running(): boolean {
    return this.model.facts.agent.state === 'running';
  }

  /** Stops the agent (terminates the task or the debug session). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.apply({ type: 'agentStopRequested' });
    if (this.execution) this.execution.terminate();
    else if (this.debugSession) await vscode.debug.stopDebugging(this.debugSession);
  }

  dispose(): void {
    this.nodeWatch?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** "connect ECONNREFUSED 127.0.0.1:6443. Retrying in 4 s" → its first sentence, without the final dot. */
function firstSentence(message: string | undefined): string | undefined {
  if (!message) return undefined;
  const m = /^(.*?[^.\d])\.(\s|$)/.exec(message);
  return (m ? m[1] : message).trim();
}

/** The status bar item that follows the current run, or says which command waits for an answer. */
class AgentStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private sub?: vscode.Disposable;
  private run?: AgentRun;
  /** A command waiting on a question of the user ("Start Agent"): shown instead of the run's progress. */
  private waitingFor?: string;

  constructor() {
    this.item = vscode.window.createStatusBarItem(AGENT_STATUS_BAR_ID, vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Krustlet Agent';
  }

  follow(run: AgentRun): void {
    this.sub?.dispose();
    this.run = run;
    this.sub = run.onDidChange(() => this.render());
    this.render();
  }

  waiting(command: string | undefined): void {
    this.waitingFor = command;
    this.render();
  }

  render(): void {
    const it = this.item;
    const run = this.run;
    if (this.waitingFor) {
      it.text = waitingText(this.waitingFor);
      it.command = undefined;
      it.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      it.tooltip = `Krustlet: ${this.waitingFor} waits for your answer to its question (a dialog or a picker).`;
      it.accessibilityInformation = { label: `Krustlet: ${this.waitingFor} is waiting for your answer` };
      it.show();
      return;
    }
    if (!run) {
      it.hide();
      return;
    }
    const p = run.progress;
    it.text = statusBarText(p, run.resolved);
    // Clicking Approve approves (the CSR item's own command: same review and confirmation); anything else shows the steps.
    const approve = p.phase === 'awaiting-approval' ? p.approve : undefined;
    it.command = approve ? { title: 'Approve', command: Commands.approveCsr, arguments: [approve.csrName] } : Commands.showAgentProgress;
    const background = p.phase === 'failed' ? 'statusBarItem.errorBackground' : approve ? 'statusBarItem.warningBackground' : undefined;
    it.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
    it.tooltip = new vscode.MarkdownString(progressMarkdown(p, run.resolved), true);
    it.accessibilityInformation = { label: `Krustlet agent: ${summaryText(p, run.resolved)}` };
    it.show();
  }

  dispose(): void {
    this.sub?.dispose();
    this.item.dispose();
  }
}

/** Keeps the current run, its status bar, and the Stop / Show Progress commands. */
export class AgentRuns implements vscode.Disposable {
  current?: AgentRun;
  readonly statusBar = new AgentStatusBar();
  private readonly changed = new vscode.EventEmitter<AgentRun>();
  readonly onDidStartRun = this.changed.event;
  private readonly waitingEmitter = new vscode.EventEmitter<string | undefined>();
  /** A command of the agent feature waits (or no longer waits: undefined) on a question of the user. */
  readonly onDidChangeWaiting = this.waitingEmitter.event;
  private openQuestions = 0;
  private waitingCommand?: string;

  constructor(private readonly ctx: FeatureContext) {}

  /** The command that waits on the user's answer right now, if any. */
  get waitingFor(): string | undefined {
    return this.waitingCommand;
  }

  /**
   * `prompter`, except that while one of its questions is open the status bar item and the view's Agent row
   * say "<command> — waiting for your answer" (the questions that do not wait — error and info notices — pass through).
   */
  waitingPrompter(prompter: Prompter, command: string): Prompter {
    const asking = async <T>(question: () => Promise<T>): Promise<T> => {
      if (this.openQuestions++ === 0) this.setWaiting(command);
      try {
        return await question();
      } finally {
        if (--this.openQuestions === 0) this.setWaiting(undefined);
      }
    };
    return {
      quickPick: (items, options) => asking(() => prompter.quickPick(items, options)),
      inputBox: (options) => asking(() => prompter.inputBox(options)),
      warning: (message, options, ...items) => asking(() => prompter.warning(message, options, ...items)),
      info: (message, options, ...items) => prompter.info(message, options, ...items),
      error: (message, ...items) => prompter.error(message, ...items),
      notice: (message, actions, until) => prompter.notice(message, actions, until),
      pickWorkspaceFolder: (placeHolder) => asking(() => prompter.pickWorkspaceFolder(placeHolder)),
      pickFolder: (title) => asking(() => prompter.pickFolder(title)),
    };
  }

  private setWaiting(command: string | undefined): void {
    this.waitingCommand = command;
    this.statusBar.waiting(command);
    this.waitingEmitter.fire(command);
  }

  begin(resolved: ResolvedAgentOptions, kind: RunKind): AgentRun {
    this.current?.dispose();
    const run = new AgentRun(this.ctx, resolved, kind);
    this.current = run;
    // The same progress event drives the status bar and (through onDidStartRun) the tree's "Agent <hostname>" node.
    this.statusBar.follow(run);
    void this.ctx.service.rememberHostname(resolved.hostname);
    void this.ctx.service.ensureStarted().catch((e: unknown) => this.ctx.log.warn(`Join progress without the cluster: ${describeError(e)}`));
    this.changed.fire(run);
    return run;
  }

  async showProgress(): Promise<void> {
    const run = this.current;
    if (!run) {
      void this.ctx.prompter.info('No Krustlet agent has been started in this window.', {}, 'Start Agent').then((c) => {
        if (c) void this.ctx.calls.startAgent();
      });
      return;
    }
    const p = run.progress;
    type Action = 'approve' | 'stop' | 'log' | 'terminal' | undefined;
    const items: { label: string; description?: string; detail?: string; value: Action }[] = stepPickItems(p).map((i) => ({ ...i, value: undefined }));
    if (p.approve) items.unshift({ label: `$(check) Approve ${p.approve.csrName}`, value: 'approve' });
    if (p.failure) items.unshift({ label: `$(${phaseIcon(p).id}) ${p.failure.reason}`, detail: [p.failure.hint, p.failure.tail?.slice(-3).join(' ⏎ ')].filter(Boolean).join(' — '), value: 'log' });
    if (run.running) items.push({ label: '$(debug-stop) Stop Agent', value: 'stop' });
    if (run.execution) items.push({ label: '$(terminal) Show Agent Terminal', value: 'terminal' });
    items.push({ label: '$(output) Show Log', value: 'log' });
    const choice = await this.ctx.prompter.quickPick(items, { title: `Krustlet agent — ${summaryText(p, run.resolved)}` });
    if (choice === 'approve' && p.approve) await this.ctx.calls.approveCsrs([p.approve.csrName]);
    else if (choice === 'stop') await run.stop();
    else if (choice === 'log') this.ctx.log.show();
    else if (choice === 'terminal') await vscode.commands.executeCommand(BuiltinCommands.focusTerminal);
  }

  dispose(): void {
    this.current?.dispose();
    this.statusBar.dispose();
    this.changed.dispose();
    this.waitingEmitter.dispose();
  }
}
