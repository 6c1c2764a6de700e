import * as vscode from 'vscode';

/**
 * Every question a command asks goes through this small interface, so the same command code runs
 * with the real UI and, in tests, with answers given up front (see each command's options argument).
 */
export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
  picked?: boolean;
}

/** An action of a {@link Prompter.notice}: a command of this extension and its (JSON) arguments. */
export interface NoticeAction {
  title: string;
  command: string;
  arguments: (string | number | boolean)[];
}

export interface Prompter {
  quickPick<T>(items: PickItem<T>[], options: { title: string; placeHolder?: string }): Promise<T | undefined>;
  inputBox(options: { title: string; prompt?: string; value?: string; placeHolder?: string; validate?: (v: string) => string | undefined }): Promise<string | undefined>;
  /** A warning with buttons; `modal` blocks the window (for anything destructive). Resolves to the chosen button or undefined. */
  warning<T extends string>(message: string, options: { modal?: boolean; detail?: string }, ...items: T[]): Promise<T | undefined>;
  /** An information message with buttons (non-modal unless asked). */
  info<T extends string>(message: string, options: { modal?: boolean; detail?: string }, ...items: T[]): Promise<T | undefined>;
  error<T extends string>(message: string, ...items: T[]): Promise<T | undefined>;
  /**
   * A notification with actions that closes by itself when `until` settles (e.g. the request it offers to approve
   * was decided by someone else): a plain message cannot be closed by the extension. Each action is a command
   * run with its arguments when clicked. Resolves when the notification is gone.
   */
  notice(message: string, actions: NoticeAction[], until: Promise<unknown>): Promise<void>;
  pickWorkspaceFolder(placeHolder: string): Promise<vscode.WorkspaceFolder | undefined>;
  /** A folder anywhere on disk (the open dialog); resolves to its path. */
  pickFolder(title: string): Promise<string | undefined>;
}

export const vscodePrompter: Prompter = {
  async quickPick(items, options) {
    const picked = await vscode.window.showQuickPick(
      items.map((i) => ({ label: i.label, description: i.description, detail: i.detail, picked: i.picked, item: i })),
      { title: options.title, placeHolder: options.placeHolder, ignoreFocusOut: true },
    );
    return picked?.item.value;
  },
  inputBox(options) {
    return Promise.resolve(vscode.window.showInputBox({
      title: options.title,
      prompt: options.prompt,
      value: options.value,
      placeHolder: options.placeHolder,
      ignoreFocusOut: true,
      validateInput: options.validate ? (v) => options.validate?.(v) ?? null : undefined,
    }));
  },
  warning(message, options, ...items) {
    return Promise.resolve(vscode.window.showWarningMessage(message, { modal: options.modal, detail: options.detail }, ...items));
  },
  info(message, options, ...items) {
    return Promise.resolve(vscode.window.showInformationMessage(message, { modal: options.modal, detail: options.detail }, ...items));
  },
  error(message, ...items) {
    return Promise.resolve(vscode.window.showErrorMessage(message, ...items));
  },
  async notice(message, actions, until) {
    // A progress notification is the one kind the extension can close: it goes when its task ends. Its actions
    // are command links in the message (a notification renders them as links); Close ends it too.
    // encodeURIComponent leaves ( ) unescaped: a ')' in a CSR name would end the link early.
    const arg = (v: unknown) => encodeURIComponent(JSON.stringify(v)).replace(/\(/g, '%28').replace(/\)/g, '%29');
    const links = actions.map((a) => `[${a.title}](command:${a.command}?${arg(a.arguments)})`).join(' · ');
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${message}${links ? ` ${links}` : ''}`, cancellable: true },
      (_progress, token) => new Promise<void>((resolve) => {
        token.onCancellationRequested(() => resolve());
        until.then(() => resolve(), () => resolve());
      }),
    );
  },
  pickWorkspaceFolder(placeHolder) {
    return Promise.resolve(vscode.window.showWorkspaceFolderPick({ placeHolder, ignoreFocusOut: true }));
  },
  async pickFolder(title) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, title, openLabel: 'Select Folder' });
    return picked?.[0]?.fsPath;
  },
};

/** A Prompter that forwards to whichever `current()` returns: lets tests script the answers of modal dialogs. */
export function delegatingPrompter(current: () => Prompter): Prompter {
  return {
    quickPick: (items, options) => current().quickPick(items, options),
    inputBox: (options) => current().inputBox(options),
    warning: (message, options, ...items) => current().warning(message, options, ...items),
    info: (message, options, ...items) => current().info(message, options, ...items),
    error: (message, ...items) => current().error(message, ...items),
    notice: (message, actions, until) => current().notice(message, actions, until),
    pickWorkspaceFolder: (placeHolder) => current().pickWorkspaceFolder(placeHolder),
    pickFolder: (title) => current().pickFolder(title),
  };
}
