/**
 * Debug type `krustlet` (request `launch`): resolves into a native debugger configuration for a
 * krustlet-wasi built from source — CodeLLDB (`lldb`) when installed, else the C/C++ extension
 * (`cppdbg`) — with the same args and env as the task (one command-line module). Neither installed:
 * a message naming both, and the launch is aborted (undefined).
 */
import * as vscode from 'vscode';
import { findExecutable } from '../../core/agent/checks';
import { buildAgentCommandLine, type AgentCommandLine } from '../../core/agent/commandLine';
import { describeError } from '../../core/errors';
import { agentPathSetting } from '../config';
import { BuiltinCommands, DEBUG_TYPE } from '../constants';
import type { FeatureCalls } from '../features';
import type { Prompter } from '../prompter';
import { agentHost, agentOptionsFor, pickAgentSettings, type AgentSettings } from './definition';
import { agentNotFound } from './tasks';

const CODELLDB_ID = 'vadimcn.vscode-lldb';
const CPPTOOLS_ID = 'ms-vscode.cpptools';

/** launch.json attributes of a `krustlet` configuration. */
export interface KrustletDebugConfiguration extends vscode.DebugConfiguration, AgentSettings {
  /** The krustlet-wasi binary (debug build); default: the `krustlet.agentPath` setting. */
  program?: string;
  /** Run Krustlet: Bootstrap first (new token and bootstrap config at bootstrapFile). */
  preLaunchBootstrap?: boolean;
  cwd?: string;
  /** Stop at the program's entry (cppdbg `stopAtEntry`; CodeLLDB ignores it). */
  stopAtEntry?: boolean;
}

/** Marks the resolved native configuration, so the join progress can follow the debug session. */
export const AGENT_MARKER = 'krustletAgent';

export interface AgentMarker {
  nodeName: string;
  hostname: string;
  bootstrapFile: string;
  kubeconfig: string;
  certFile: string;
  privateKeyFile: string;
  settings: AgentSettings;
  folder?: string;
}

const INITIAL_CONFIGURATION: KrustletDebugConfiguration = {
  type: DEBUG_TYPE,
  request: 'launch',
  name: 'Debug krustlet-wasi',
  program: '${workspaceFolder}/target/debug/krustlet-wasi',
  bootstrapFile: '${workspaceFolder}/.krustlet/bootstrap.conf',
  port: 3000,
  preLaunchBootstrap: false,
};

export interface DebugProviderDeps {
  prompter: Prompter;
  /** Which debugger extensions are installed (tests inject this; default vscode.extensions.getExtension). */
  getExtension?: (id: string) => unknown;
  findExecutable?: (command: string) => Promise<string | undefined>;
  /** Runs Bootstrap for `preLaunchBootstrap`. */
  bootstrap: FeatureCalls['bootstrap'];
}

type NativeDebugger = 'lldb' | 'cppdbg';

export class KrustletDebugConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly deps: DebugProviderDeps) {}

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [{ ...INITIAL_CONFIGURATION }];
  }

  /** The native debugger to use: CodeLLDB first, then cppdbg; undefined when neither is installed. */
  pickDebugger(): NativeDebugger | undefined {
    const get = this.deps.getExtension ?? ((id: string) => vscode.extensions.getExtension(id));
    if (get(CODELLDB_ID)) return 'lldb';
    if (get(CPPTOOLS_ID)) return 'cppdbg';
    return undefined;
  }

  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    // F5 without a launch.json: the initial configuration.
    const c: KrustletDebugConfiguration = !config.type && !config.request && !config.name ? { ...INITIAL_CONFIGURATION } : config;
    folder ??= vscode.workspace.workspaceFolders?.[0];
    const debuggerType = this.pickDebugger();
    if (!debuggerType) {
      const choice = await this.deps.prompter.error(
        'Debugging krustlet-wasi needs a native debugger: install CodeLLDB (vadimcn.vscode-lldb) or C/C++ (ms-vscode.cpptools).',
        'Install CodeLLDB',
        'Install C/C++',
      );
      if (choice) await vscode.commands.executeCommand(BuiltinCommands.searchExtensions, choice === 'Install CodeLLDB' ? CODELLDB_ID : CPPTOOLS_ID);
      return undefined;
    }
    const settings = pickAgentSettings(c);
    // resolveDebugConfiguration sees launch.json before variable substitution: the core expands
    // ${workspaceFolder}, ${userHome} and ~ in the program and every path.
    const program = c.program?.trim() || agentPathSetting();
    let cl: AgentCommandLine;
    try {
      cl = buildAgentCommandLine(agentOptionsFor(folder, settings, program), agentHost(folder));
    } catch (e) {
      void this.deps.prompter.error(`The krustlet debug configuration '${c.name}' is invalid: ${describeError(e)}`);
      return undefined;
    }
    const found = await (this.deps.findExecutable ?? findExecutable)(cl.command);
    if (!found) {
      void agentNotFound(this.deps.prompter, cl.command);
      return undefined;
    }
    if (c.preLaunchBootstrap) {
      const r = await this.deps.bootstrap({ outputPath: cl.resolved.bootstrapFile, notify: false });
      if (!r) return undefined;
    }
    const marker: AgentMarker = {
      nodeName: cl.resolved.nodeName,
      hostname: cl.resolved.hostname,
      bootstrapFile: cl.resolved.bootstrapFile,
      kubeconfig: cl.resolved.kubeconfig,
      certFile: cl.resolved.certFile,
      privateKeyFile: cl.resolved.privateKeyFile,
      settings,
      folder: folder?.uri.fsPath,
    };
    return nativeConfiguration(debuggerType, c, found, cl, folder, marker);
  }
}

/** The lldb / cppdbg configuration for an agent command line. */
function nativeConfiguration(
  type: NativeDebugger,
  c: KrustletDebugConfiguration,
  program: string,
  cl: AgentCommandLine,
  folder: vscode.WorkspaceFolder | undefined,
  marker: AgentMarker,
): vscode.DebugConfiguration {
  const cwd = c.cwd ?? folder?.uri.fsPath;
  if (type === 'lldb') {
    return {
      type: 'lldb',
      request: 'launch',
      name: c.name,
      program,
      args: cl.args,
      env: cl.env,
      cwd,
      sourceLanguages: ['rust'],
      terminal: 'integrated',
      [AGENT_MARKER]: marker,
    };
  }
  return {
    type: 'cppdbg',
    request: 'launch',
    name: c.name,
    program,
    args: cl.args,
    environment: Object.entries(cl.env).map(([name, value]) => ({ name, value })),
    cwd,
    stopAtEntry: c.stopAtEntry ?? false,
    externalConsole: false,
    MIMode: process.platform === 'darwin' ? 'lldb' : 'gdb',
    [AGENT_MARKER]: marker,
  };
}

export function registerAgentDebug(deps: DebugProviderDeps): { provider: KrustletDebugConfigurationProvider; disposable: vscode.Disposable } {
  const provider = new KrustletDebugConfigurationProvider(deps);
  return { provider, disposable: vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider) };
}
