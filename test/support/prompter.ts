/**
 * The one fake Prompter of the test tiers: it records every question the extension asks and answers
 * each from a script (by default: dismissed, as a user closing every prompt would).
 */
import * as vscode from 'vscode';
import type { NoticeAction, PickItem, Prompter } from '../../src/vscode/prompter';

export type AskedKind = 'quickPick' | 'inputBox' | 'warning' | 'modal' | 'info' | 'error' | 'notice' | 'workspaceFolder' | 'folder';

export interface Asked {
  kind: AskedKind;
  /** The message, or the title of a quick pick, input box or dialog. */
  message: string;
  /** Buttons, quick pick labels, or the workspace folders' names. */
  items: string[];
  /** Quick pick: each item's description. */
  descriptions?: (string | undefined)[];
  detail?: string;
  /** Input box: its validation, for the script to try values with. */
  validate?: (value: string) => string | undefined;
  /** Notice: set once it closed by itself (its `until` settled) or was answered. */
  closed?: boolean;
}

/**
 * The answer to one question: a button, a quick pick label, the text of an input box, a workspace
 * folder's name, a folder's path; undefined dismisses it.
 */
export type Answer = (asked: Asked) => string | undefined;

export class FakePrompter implements Prompter {
  readonly asked: Asked[] = [];
  constructor(private readonly answer: Answer = () => undefined) {}

  private ask(a: Asked): string | undefined {
    this.asked.push(a);
    return this.answer(a);
  }

  quickPick<T>(items: PickItem<T>[], options: { title: string }): Promise<T | undefined> {
    const label = this.ask({ kind: 'quickPick', message: options.title, items: items.map((i) => i.label), descriptions: items.map((i) => i.description) });
    return Promise.resolve(items.find((i) => i.label === label)?.value);
  }
  inputBox(options: { title: string; validate?: (v: string) => string | undefined }): Promise<string | undefined> {
    return Promise.resolve(this.ask({ kind: 'inputBox', message: options.title, items: [], validate: options.validate }));
  }
  warning<T extends string>(message: string, options: { modal?: boolean; detail?: string }, ...items: T[]): Promise<T | undefined> {
    return Promise.resolve(this.ask({ kind: options.modal ? 'modal' : 'warning', message, detail: options.detail, items }) as T | undefined);
  }
  info<T extends string>(message: string, options: { modal?: boolean; detail?: string }, ...items: T[]): Promise<T | undefined> {
    return Promise.resolve(this.ask({ kind: 'info', message, detail: options.detail, items }) as T | undefined);
  }
  error<T extends string>(message: string, ...items: T[]): Promise<T | undefined> {
    return Promise.resolve(this.ask({ kind: 'error', message, items }) as T | undefined);
  }
  /** A notice's answer (an action title) runs that action's command, as a click on its link does. */
  async notice(message: string, actions: NoticeAction[], until: Promise<unknown>): Promise<void> {
    const asked: Asked = { kind: 'notice', message, items: actions.map((a) => a.title) };
    const title = this.ask(asked);
    const action = actions.find((a) => a.title === title);
    if (action) {
      asked.closed = true;
      await vscode.commands.executeCommand(action.command, ...action.arguments);
      return;
    }
    await until.then(() => undefined, () => undefined);
    asked.closed = true;
  }
  pickWorkspaceFolder(placeHolder: string): Promise<vscode.WorkspaceFolder | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const name = this.ask({ kind: 'workspaceFolder', message: placeHolder, items: folders.map((f) => f.name) });
    return Promise.resolve(folders.find((f) => f.name === name));
  }
  pickFolder(title: string): Promise<string | undefined> {
    return Promise.resolve(this.ask({ kind: 'folder', message: title, items: [] }));
  }

  /** The questions of one kind (a modal is a warning asked with `modal`). */
  of(...kinds: AskedKind[]): Asked[] {
    return this.asked.filter((a) => kinds.includes(a.kind));
  }
}
