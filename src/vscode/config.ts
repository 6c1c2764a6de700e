import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_BOOTSTRAP_CONFIG_PATH, DEFAULT_TOKEN_TTL, Settings } from './constants';

/** Typed reads of the `krustlet.*` settings. */
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

/** The files the kubeconfig is read from, for watching: the setting, else $KUBECONFIG's entries, else ~/.kube/config. */
export function kubeconfigFiles(): string[] {
  const explicit = kubeconfigSetting();
  if (explicit) return [explicit];
  const env = process.env.KUBECONFIG;
  if (env) return env.split(path.delimiter).filter(Boolean).map(expandHome);
  return [path.join(os.homedir(), '.kube', 'config')];
}

export function contextSetting(): string | undefined {
  return section().get<string>(Settings.context, '').trim() || undefined;
}

export function tokenTtlSetting(): string {
  return section().get<string>(Settings.tokenTtl, DEFAULT_TOKEN_TTL).trim() || DEFAULT_TOKEN_TTL;
}

export function expectedHostnamesSetting(): string[] {
  return section().get<string[]>(Settings.expectedHostnames, []).filter((h) => typeof h === 'string' && h.trim()).map((h) => h.trim());
}

/** The bootstrap config target for a workspace folder: the setting, relative to the folder unless absolute. */
export function bootstrapConfigPathFor(folder: vscode.WorkspaceFolder): string {
  const v = section(folder.uri).get<string>(Settings.bootstrapConfigPath, DEFAULT_BOOTSTRAP_CONFIG_PATH).trim() || DEFAULT_BOOTSTRAP_CONFIG_PATH;
  const p = expandHome(v);
  return path.isAbsolute(p) ? p : path.join(folder.uri.fsPath, p);
}

export function agentPathSetting(): string {
  return section().get<string>(Settings.agentPath, 'krustlet-wasi').trim() || 'krustlet-wasi';
}

/** True when a configuration change touches anything that changes which cluster we talk to. */
export function affectsConnection(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${Settings.section}.${Settings.kubeconfig}`) || e.affectsConfiguration(`${Settings.section}.${Settings.context}`);
}
