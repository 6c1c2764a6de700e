/**
 * The agent feature: the `krustlet` task type and provider, the `krustlet` debug type, "Krustlet:
 * Start Agent" with its pre-start checks, and the join progress in the status bar and the tree's
 * "Agent <hostname>" node — for runs started by Start Agent, by Tasks: Run Task (a tasks.json
 * `krustlet` task) and by a `krustlet` debug session.
 */
import * as vscode from 'vscode';
import { buildAgentCommandLine } from '../../core/agent/commandLine';
import { describeError } from '../../core/errors';
import type { FeatureCalls, FeatureContext } from '../features';
import { AGENT_MARKER, registerAgentDebug, type AgentMarker } from './debug';
import { agentHost, agentOptionsFor, pickAgentSettings } from './definition';
import { AgentRuns } from './run';
import { StartAgent } from './start';
import { isKrustletDefinition, registerAgentTasks } from './tasks';

export type { StartAgentOptions, StartAgentResult } from './start';

export function registerAgentFeature(ctx: FeatureContext): {
  calls: Pick<FeatureCalls, 'startAgent' | 'stopAgent' | 'showAgentProgress' | 'approveAgentServingCsr'>;
  /** The runs, for the view to follow (only view code holds the tree). */
  runs: AgentRuns;
  disposables: vscode.Disposable[];
} {
  const runs = new AgentRuns(ctx);
  const start = new StartAgent(ctx, runs);
  const tasks = registerAgentTasks({ log: ctx.log, prompter: ctx.prompter });
  const debug = registerAgentDebug({ prompter: ctx.prompter, bootstrap: (o) => ctx.calls.bootstrap(o) });

  // A tasks.json `krustlet` task (ProcessExecution) run from the Tasks menu: follow it too (exit code only:
  // a process task's output is not readable by extensions).
  const processRuns = new Map<vscode.TaskExecution, ReturnType<AgentRuns['begin']>>();
  const onTaskStart = vscode.tasks.onDidStartTaskProcess((e) => {
    const def = e.execution.task.definition;
    // Start Agent's own task (a CustomExecution) is followed by Start Agent itself.
    if (!isKrustletDefinition(def) || !(e.execution.task.execution instanceof vscode.ProcessExecution)) return;
    const folder = typeof e.execution.task.scope === 'object' ? e.execution.task.scope : undefined;
    try {
      const cl = buildAgentCommandLine(agentOptionsFor(folder, pickAgentSettings(def)), agentHost(folder));
      const run = runs.begin(cl.resolved, 'task');
      run.execution = e.execution;
      run.apply({ type: 'agentStarted', pid: e.processId, at: new Date() });
      processRuns.set(e.execution, run);
    } catch (err) {
      ctx.log.warn(`Not following the krustlet task: ${describeError(err)}`);
    }
  });
  const onTaskEnd = vscode.tasks.onDidEndTaskProcess((e) => {
    const run = processRuns.get(e.execution);
    if (!run) return;
    processRuns.delete(e.execution);
    run.apply({ type: 'agentOutput', line: '(the output of this task is in its terminal)' });
    run.apply({ type: 'agentExited', exitCode: e.exitCode });
  });

  // A `krustlet` debug configuration resolved into lldb/cppdbg carries a marker: follow that session.
  const debugRuns = new Map<string, ReturnType<AgentRuns['begin']>>();
  const onDebugStart = vscode.debug.onDidStartDebugSession((s) => {
    const marker = (s.configuration as Record<string, unknown>)[AGENT_MARKER] as AgentMarker | undefined;
    if (!marker) return;
    const folder = s.workspaceFolder;
    try {
      const cl = buildAgentCommandLine(agentOptionsFor(folder, marker.settings), agentHost(folder));
      const run = runs.begin(cl.resolved, 'debug');
      run.debugSession = s;
      run.apply({ type: 'agentStarted', at: new Date() });
      debugRuns.set(s.id, run);
    } catch (err) {
      ctx.log.warn(`Not following the krustlet debug session: ${describeError(err)}`);
    }
  });
  const onDebugEnd = vscode.debug.onDidTerminateDebugSession((s) => {
    const run = debugRuns.get(s.id);
    if (!run) return;
    debugRuns.delete(s.id);
    // The debugger does not tell us the exit code: a finished session is a stop, not a failure.
    run.apply({ type: 'agentStopRequested' });
    run.apply({ type: 'agentExited', signal: 'debug session ended' });
  });

  return {
    runs,
    calls: {
      startAgent: async (o) => ({ ...(await start.run(o ?? {})), statusBarItem: runs.statusBar.item }),
      stopAgent: async () => {
        if (!runs.current?.running) {
          void ctx.prompter.info('No Krustlet agent is running in this window.', {});
          return false;
        }
        await runs.current.stop();
        return true;
      },
      showAgentProgress: () => runs.showProgress(),
      // The agent node's inline Approve: Approve with the run's serving CSR, so the same review and confirmation apply.
      approveAgentServingCsr: async () => {
        const name = runs.current?.progress.approve?.csrName;
        if (!name) {
          void ctx.prompter.info('No serving certificate signing request of the Krustlet agent awaits approval.', {});
          return undefined;
        }
        return ctx.calls.approveCsrs([name]);
      },
    },
    disposables: [runs, tasks.disposable, debug.disposable, onTaskStart, onTaskEnd, onDebugStart, onDebugEnd],
  };
}
