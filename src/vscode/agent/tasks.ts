/**
 * The `krustlet` task type. The TaskProvider offers "run krustlet-wasi" for each workspace folder that
 * has a bootstrap config, as a ProcessExecution (no shell quoting); resolveTask keeps the definition
 * object of a tasks.json entry. "Krustlet: Start Agent" runs the same command line through
 * {@link agentPtyExecution}, a terminal that also hands every output line and the exit code to the
 * join progress (a ProcessExecution's output is not readable by extensions).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { findExecutable } from '../../core/agent/checks';
import { buildAgentCommandLine, formatCommandLine, type AgentCommandLine } from '../../core/agent/commandLine';
import { describeError } from '../../core/errors';
import { bootstrapConfigPathFor, bootstrapConfigSetting, openSetting } from '../config';
import { Settings, TASK_NAME, TASK_SOURCE, TASK_TYPE } from '../constants';
import type { ExtensionLog } from '../log';
import type { Prompter } from '../prompter';
import { agentHost, agentOptionsFor, pickAgentSettings, type KrustletTaskDefinition } from './definition';

export function isKrustletDefinition(d: vscode.TaskDefinition | undefined): d is KrustletTaskDefinition {
  return d?.type === TASK_TYPE;
}

function folderOf(scope: vscode.Task['scope']): vscode.WorkspaceFolder | undefined {
  if (scope && typeof scope === 'object' && 'uri' in scope) return scope;
  return vscode.workspace.workspaceFolders?.[0];
}

/** The command line of a task definition in a folder (throws KrustletError on invalid settings). */
function commandLineFor(folder: vscode.WorkspaceFolder | undefined, def: KrustletTaskDefinition): AgentCommandLine {
  return buildAgentCommandLine(agentOptionsFor(folder, pickAgentSettings(def)), agentHost(folder));
}

function processExecution(folder: vscode.WorkspaceFolder | undefined, cl: AgentCommandLine): vscode.ProcessExecution {
  return new vscode.ProcessExecution(cl.command, cl.args, { env: cl.env, cwd: folder?.uri.fsPath });
}

function presentTask(task: vscode.Task): vscode.Task {
  task.isBackground = true;
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, echo: true };
  task.detail = 'Krustlet agent (krustlet.agentPath) with the bootstrap config of this folder';
  return task;
}

export interface AgentTaskProviderDeps {
  log: ExtensionLog;
  prompter: Prompter;
  /** Finds the agent binary; injectable for tests. */
  findExecutable?: (command: string) => Promise<string | undefined>;
}

export class KrustletTaskProvider implements vscode.TaskProvider {
  private warnedMissing = new Set<string>();
  constructor(private readonly deps: AgentTaskProviderDeps) {}

  /** One "run krustlet-wasi" per workspace folder that has a bootstrap config. */
  provideTasks(): vscode.Task[] {
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (!existsSync(bootstrapConfigPathFor(folder))) continue;
      const def: KrustletTaskDefinition = { type: TASK_TYPE, bootstrapFile: bootstrapConfigSetting(folder) };
      try {
        const cl = commandLineFor(folder, def);
        tasks.push(presentTask(new vscode.Task(def, folder, TASK_NAME, TASK_SOURCE, processExecution(folder, cl))));
      } catch (e) {
        this.deps.log.warn(`No krustlet task for ${folder.name}: ${describeError(e)}`);
      }
    }
    return tasks;
  }

  /** A tasks.json entry of type krustlet: the same definition object, with its execution. */
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition;
    if (!isKrustletDefinition(def)) return undefined;
    const folder = folderOf(task.scope);
    let cl: AgentCommandLine;
    try {
      cl = commandLineFor(folder, def);
    } catch (e) {
      void this.deps.prompter.error(`The krustlet task '${task.name}' is invalid: ${describeError(e)}`);
      return undefined;
    }
    void this.warnIfMissing(cl.command);
    const scope = task.scope ?? folder ?? vscode.TaskScope.Workspace;
    return presentTask(new vscode.Task(def, scope, task.name, TASK_SOURCE, processExecution(folder, cl)));
  }

  /** A clear message with a button to the setting, once per binary, when the agent is not found. */
  async warnIfMissing(command: string): Promise<boolean> {
    const found = await (this.deps.findExecutable ?? findExecutable)(command);
    if (found) return false;
    if (this.warnedMissing.has(command)) return true;
    this.warnedMissing.add(command);
    await agentNotFound(this.deps.prompter, command);
    return true;
  }
}

/** The "agent binary not found" message with a button opening `krustlet.agentPath`. */
export async function agentNotFound(prompter: Prompter, command: string): Promise<void> {
  const choice = await prompter.error(
    `The Krustlet agent '${command}' was not found${command.includes('/') ? '' : ' on PATH'}. Build it (cargo build --bin krustlet-wasi in Krustlet's sources) and set krustlet.agentPath to it.`,
    'Open Setting',
  );
  if (choice === 'Open Setting') await openSetting(Settings.agentPath);
}

/** What the pseudoterminal reports to the join progress. */
export interface AgentProcessEvents {
  onStart(pid: number | undefined): void;
  onLine(line: string): void;
  onExit(code: number | undefined, signal: string | undefined): void;
  /** The user closed the terminal or terminated the task. */
  onStopRequested(): void;
}

/**
 * A task execution that runs the agent as a child process (no shell) in a terminal and reports its
 * output lines and exit. Ctrl+C in the terminal, closing the terminal and terminating the task send SIGINT
 * (then SIGTERM if it has not ended after STOP_GRACE_MS).
 */
export function agentPtyExecution(cl: AgentCommandLine, cwd: string | undefined, events: AgentProcessEvents): vscode.CustomExecution {
  return new vscode.CustomExecution(() => Promise.resolve(new AgentPty(cl, cwd, events)));
}

/** How long a stopped agent may take to evict its pods and exit before it gets SIGTERM. */
export const STOP_GRACE_MS = 10_000;

class AgentPty implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly done = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.done.event;
  private child?: ChildProcess;
  private exited = false;

  constructor(
    private readonly cl: AgentCommandLine,
    private readonly cwd: string | undefined,
    private readonly events: AgentProcessEvents,
  ) {}

  open(): void {
    this.write.fire(`\x1b[2m$ ${formatCommandLine(this.cl).replace(/\n/g, ' ')}\x1b[0m\r\n`);
    let child: ChildProcess;
    try {
      child = spawn(this.cl.command, this.cl.args, { cwd: this.cwd, env: { ...process.env, ...this.cl.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      this.finish(127, undefined, `Cannot start ${this.cl.command}: ${describeError(e)}`);
      return;
    }
    this.child = child;
    child.on('error', (e) => this.finish(127, undefined, `Cannot start ${this.cl.command}: ${describeError(e)}`));
    child.on('spawn', () => this.events.onStart(child.pid));
    const lines = () => {
      let buf = '';
      return (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        this.write.fire(text.replace(/\r?\n/g, '\r\n'));
        buf += text;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.events.onLine(buf.slice(0, i).replace(/\r$/, ''));
          buf = buf.slice(i + 1);
        }
      };
    };
    child.stdout?.on('data', lines());
    child.stderr?.on('data', lines());
    child.on('close', (code, signal) => this.finish(code ?? undefined, signal ?? undefined));
  }

  private finish(code: number | undefined, signal: string | undefined, message?: string): void {
    if (this.exited) return;
    this.exited = true;
    if (message) {
      this.write.fire(`${message}\r\n`);
      this.events.onLine(message);
    }
    this.write.fire(`\r\n\x1b[2m[krustlet-wasi exited with ${code !== undefined ? `code ${code}` : `signal ${signal ?? '?'}`}]\x1b[0m\r\n`);
    this.events.onExit(code, signal);
    this.done.fire(code ?? 1);
  }

  handleInput(data: string): void {
    if (data === '\x03' && this.child && !this.exited) {
      this.events.onStopRequested();
      this.child.kill('SIGINT');
    }
  }

  /**
   * Stop: SIGINT, the one signal krustlet-wasi handles (kubelet.rs `start_signal_task`: once its node runs it
   * evicts the node's pods and exits 0; before that SIGINT ends it at once). SIGTERM only if it is still
   * running after STOP_GRACE_MS (its pod eviction waits on the cluster).
   */
  close(): void {
    const child = this.child;
    if (child && !this.exited) {
      this.events.onStopRequested();
      child.kill('SIGINT');
      setTimeout(() => {
        if (!this.exited) child.kill('SIGTERM');
      }, STOP_GRACE_MS).unref();
    }
  }
}

export function registerAgentTasks(deps: AgentTaskProviderDeps): { provider: KrustletTaskProvider; disposable: vscode.Disposable } {
  const provider = new KrustletTaskProvider(deps);
  return { provider, disposable: vscode.tasks.registerTaskProvider(TASK_TYPE, provider) };
}
