/**
 * The commands: thin wrappers over the features' typed calls (src/vscode/features.ts). Each does two
 * things only:
 *
 *  - turn what VS Code passes into keys: a tree item and the selection (an inline or context-menu
 *    action), a name (another caller), or nothing (a keybinding: the view's selection);
 *  - pass on options that answer the command's questions (`confirm: true`, Bootstrap's answers,
 *    Start Agent's fixes …) only when the extension runs its tests (`ExtensionMode.Test`). Any other
 *    extension can run our commands: it must not approve a failing CSR silently or script the modal
 *    dialogs, so outside tests every question is asked.
 */
import * as vscode from 'vscode';
import type { Logger } from '../../core/log';
import type { StartAgentResult } from '../agent/start';
import { type CommandId, Commands } from '../constants';
import type { FeatureCalls } from '../features';
import type { KrustletNode } from '../views/nodes';

export type CommandHandler = (...args: unknown[]) => unknown;

export interface CommandDeps {
  calls: FeatureCalls;
  /** `context.extensionMode`: answers in options count only in Test. */
  mode: vscode.ExtensionMode;
  log: Logger;
  /** The Krustlet view's selection (a command run from a keybinding acts on it). */
  selection: () => readonly KrustletNode[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

type Keyed = 'csr' | 'token';

/** The key of a tree element of that kind (`name` of a CSR, `id` of a token). */
function keyOf(kind: Keyed, n: unknown): string | undefined {
  if (typeof n !== 'object' || n === null || (n as { kind?: unknown }).kind !== kind) return undefined;
  const key = kind === 'csr' ? (n as { name?: unknown }).name : (n as { id?: unknown }).id;
  return typeof key === 'string' ? key : undefined;
}

/**
 * Tree menus call a command with (clickedItem, selectedItems): the whole selection when the clicked
 * item is part of a multi-selection, else the clicked one. Another caller passes a key; a keybinding
 * passes nothing (the view's selection).
 */
function targets(kind: Keyed, target: unknown, selection: unknown, viewSelection: () => readonly KrustletNode[]): string[] {
  if (typeof target === 'string') return [target];
  const keys = (items: readonly unknown[]) => items.map((n) => keyOf(kind, n)).filter((k): k is string => k !== undefined);
  const clicked = keyOf(kind, target);
  if (clicked !== undefined) {
    const selected = Array.isArray(selection) ? keys(selection) : [];
    return selected.length > 1 && selected.includes(clicked) ? selected : [clicked];
  }
  return keys(viewSelection());
}

/** Every command's handler; activate() registers them (and a test builds them for another mode). */
export function commandHandlers(d: CommandDeps): Record<CommandId, CommandHandler> {
  const test = d.mode === vscode.ExtensionMode.Test;
  /** The caller's answers, in tests; elsewhere none (every question is asked), and the log says so. */
  const answers = <T extends object>(command: CommandId, o: unknown): T | undefined => {
    if (!isPlainObject(o)) return undefined;
    if (test) return o as T;
    d.log.warn(`${command}: the caller's options (${Object.keys(o).join(', ') || 'none'}) are ignored: they answer the command's questions, which only the user does.`);
    return undefined;
  };
  const csrs = (target: unknown, selection: unknown) => targets('csr', target, selection, d.selection);
  const tokens = (target: unknown, selection: unknown) => targets('token', target, selection, d.selection);
  const c = d.calls;
  return {
    [Commands.bootstrap]: (o) => c.bootstrap(answers(Commands.bootstrap, o)),
    [Commands.refresh]: () => c.refresh(),
    [Commands.selectContext]: (o) => c.selectContext(answers(Commands.selectContext, o)),
    [Commands.runPreflight]: () => c.runPreflight(),
    [Commands.applyRbac]: (o) => c.applyRbac(answers(Commands.applyRbac, o)),
    [Commands.showLog]: () => c.showLog(),
    [Commands.approveCsr]: (t, s, o) => c.approveCsrs(csrs(t, s), answers(Commands.approveCsr, o)),
    [Commands.denyCsr]: (t, s, o) => c.denyCsrs(csrs(t, s), answers(Commands.denyCsr, o)),
    [Commands.deleteCsr]: (t, s, o) => c.deleteCsrs(csrs(t, s), answers(Commands.deleteCsr, o)),
    [Commands.reviewCsr]: async (t, s, o) => {
      const [name] = csrs(t, s);
      return name === undefined ? undefined : c.reviewCsr(name, answers(Commands.reviewCsr, o));
    },
    [Commands.copyToken]: async (t) => {
      const [id] = tokens(t, undefined);
      return id === undefined ? false : c.copyToken(id);
    },
    [Commands.revokeToken]: (t, s, o) => c.revokeTokens(tokens(t, s), answers(Commands.revokeToken, o)),
    [Commands.startAgent]: async (o) => {
      const r = await c.startAgent(answers(Commands.startAgent, o));
      // The run and its status bar item are live objects: only tests get them.
      return test ? r : plainStartResult(r);
    },
    [Commands.stopAgent]: () => c.stopAgent(),
    [Commands.showAgentProgress]: () => c.showAgentProgress(),
    [Commands.approveAgentServingCsr]: () => c.approveAgentServingCsr(),
  };
}

function plainStartResult(r: StartAgentResult): Pick<StartAgentResult, 'started' | 'findings' | 'fixed' | 'reason'> {
  return { started: r.started, findings: r.findings, fixed: r.fixed, reason: r.reason };
}

/** Registers every handler under its id. */
export function registerCommands(handlers: Record<CommandId, CommandHandler>): vscode.Disposable[] {
  return Object.entries(handlers).map(([id, handler]) => vscode.commands.registerCommand(id, handler));
}
