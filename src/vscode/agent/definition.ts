/**
 * The `krustlet` task definition (package.json `taskDefinitions`) and debug configuration share these
 * properties; both map onto the core's AgentOptions, so the task, the debug configuration and the CLI
 * build the same command line (src/core/agent/commandLine.ts).
 */
import * as path from 'node:path';
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { AgentHost, AgentOptions } from '../../core/agent/commandLine';
import { agentPathSetting, bootstrapConfigPathFor, expandHome } from '../config';
import { TASK_TYPE } from '../constants';

/**
 * The agent's options as they appear in tasks.json / launch.json (all optional): the core's
 * {@link AgentOptions} less the binary (a machine-scoped setting, never a workspace file's choice) and
 * the two flags the manifest does not offer. Relative paths resolve against the workspace folder; an
 * unset `bootstrapFile` is the `krustlet.bootstrapConfigPath` setting.
 */
export type AgentSettings = Omit<AgentOptions, 'command' | 'insecureRegistries' | 'allowLocalModules'>;

export interface KrustletTaskDefinition extends vscode.TaskDefinition, AgentSettings {
  type: typeof TASK_TYPE;
}

const AGENT_SETTING_KEYS: readonly (keyof AgentSettings)[] = [
  'port',
  'addr',
  'hostname',
  'nodeName',
  'nodeIp',
  'bootstrapFile',
  'kubeconfig',
  'certFile',
  'privateKeyFile',
  'dataDir',
  'nodeLabels',
  'maxPods',
  'logLevel',
  'extraArgs',
  'env',
];

/** Only the agent keys of any object (a task definition, a debug configuration, command options). */
export function pickAgentSettings(o: object | undefined): AgentSettings {
  const out: Record<string, unknown> = {};
  for (const k of AGENT_SETTING_KEYS) {
    const v = o ? (o as Record<string, unknown>)[k] : undefined;
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  }
  const settings: AgentSettings = out;
  return settings;
}

/** The host a folder's agent runs on: relative paths resolve against the folder. */
export function agentHost(folder: vscode.WorkspaceFolder | undefined): AgentHost {
  return { homedir: os.homedir(), hostname: os.hostname(), env: { ...process.env }, cwd: folder?.uri.fsPath ?? os.homedir() };
}

/** AgentOptions for a folder: the agent binary from the machine-scoped setting, bootstrap file defaulted from the folder's setting. */
export function agentOptionsFor(folder: vscode.WorkspaceFolder | undefined, s: AgentSettings, command = agentPathSetting()): AgentOptions {
  const bootstrapFile = s.bootstrapFile ? expandHome(s.bootstrapFile) : folder ? bootstrapConfigPathFor(folder) : undefined;
  return {
    ...s,
    command,
    bootstrapFile: bootstrapFile && folder && !path.isAbsolute(bootstrapFile) ? path.join(folder.uri.fsPath, bootstrapFile) : bootstrapFile,
  };
}
