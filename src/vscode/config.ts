import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_EXPIRY_WARNING_DAYS } from '../core/nodes';
import { kubeconfigCandidates } from '../core/kubeconfig';
import { BuiltinCommands, DEFAULT_AGENT_PATH, DEFAULT_BOOTSTRAP_CONFIG_PATH, DEFAULT_TOKEN_TTL, type SettingKey, Settings } from './constants';

/**
 * Every read and write of the `krustlet.*` settings, typed. Nothing else in src/vscode calls
 * `getConfiguration`, so a setting's default and its meaning are in one place.
 */
function section(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(Settings.section, scope);
}

export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** The kubeconfig setting, or undefined (then the core loads it as kubectl does). */
export function kubeconfigSetting(): string | undefined {
  const v = section().get<string>(Settings.kubeconfig, '').trim();
  return v ? expandHome(v) : undefined;
}

/** The files to watch for the connection: where the kubeconfig is read from (kubectl's rules, the core's), existing or not. */
export function kubeconfigWatchPaths(): string[] {
  return kubeconfigCandidates({ kubeconfigPath: kubeconfigSetting() });
}

/** The context chosen with Select Context, or undefined (the kubeconfig's current context). */
export function contextSetting(): string | undefined {
  return section().get<string>(Settings.context, '').trim() || undefined;
}

/** Select Context's choice: in the workspace when a folder is open, else in the user settings; `undefined` clears it. */
export async function updateContextSetting(context: string | undefined): Promise<void> {
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await section().update(Settings.context, context || undefined, target);
}

export function tokenTtlSetting(): string {
  return section().get<string>(Settings.tokenTtl, DEFAULT_TOKEN_TTL).trim() || DEFAULT_TOKEN_TTL;
}

export function expectedHostnamesSetting(): string[] {
  return section().get<string[]>(Settings.expectedHostnames, []).filter((h) => typeof h === 'string' && h.trim()).map((h) => h.trim());
}

/** krustlet.autoApproveIdenticalRenewals: approve identical kubelet-serving renewals of this workspace's nodes by itself (default off). */
export function autoApproveIdenticalRenewalsSetting(): boolean {
  return section().get<boolean>(Settings.autoApproveIdenticalRenewals, false) === true;
}

/** Days before a Node's serving certificate expires from which the tree warns (krustlet.certificateExpiryWarningDays). */
export function certificateExpiryWarningDaysSetting(): number {
  const v = section().get<number>(Settings.certificateExpiryWarningDays, DEFAULT_EXPIRY_WARNING_DAYS);
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : DEFAULT_EXPIRY_WARNING_DAYS;
}

/** The folder's `krustlet.bootstrapConfigPath` as written (relative to the folder unless absolute). */
export function bootstrapConfigSetting(folder: vscode.WorkspaceFolder): string {
  return section(folder.uri).get<string>(Settings.bootstrapConfigPath, DEFAULT_BOOTSTRAP_CONFIG_PATH).trim() || DEFAULT_BOOTSTRAP_CONFIG_PATH;
}

/** The bootstrap config target for a workspace folder: the setting, relative to the folder unless absolute. */
export function bootstrapConfigPathFor(folder: vscode.WorkspaceFolder): string {
  const p = expandHome(bootstrapConfigSetting(folder));
  return path.isAbsolute(p) ? p : path.join(folder.uri.fsPath, p);
}

export function agentPathSetting(): string {
  return section().get<string>(Settings.agentPath, DEFAULT_AGENT_PATH).trim() || DEFAULT_AGENT_PATH;
}

/** True when a configuration change touches anything that changes which cluster we talk to. */
export function affectsConnection(e: vscode.ConfigurationChangeEvent): boolean {
  return affects(e, Settings.kubeconfig) || affects(e, Settings.context);
}

/** True when a configuration change touches `krustlet.<key>`. */
export function affects(e: vscode.ConfigurationChangeEvent, key: SettingKey): boolean {
  return e.affectsConfiguration(`${Settings.section}.${key}`);
}

/** Opens the Settings UI at `krustlet.<key>`. */
export async function openSetting(key: SettingKey): Promise<void> {
  await vscode.commands.executeCommand(BuiltinCommands.openSettings, `${Settings.section}.${key}`);
}

/**
 * The workspace folder that contains `file`, by whole path segments (`/ws/a` does not contain
 * `/ws/ab/x`); the innermost one when folders nest.
 */
export function folderContaining(file: string, folders: readonly vscode.WorkspaceFolder[] = vscode.workspace.workspaceFolders ?? []): vscode.WorkspaceFolder | undefined {
  let best: vscode.WorkspaceFolder | undefined;
  for (const f of folders) {
    const rel = path.relative(f.uri.fsPath, file);
    const inside = rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
    if (inside && (!best || f.uri.fsPath.length > best.uri.fsPath.length)) best = f;
  }
  return best;
}
