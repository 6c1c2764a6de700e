import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { affects, bootstrapConfigPathFor } from './config';
import { BuiltinCommands, ContextKeys, Settings } from './constants';

/**
 * The walkthrough's "Create a bootstrap token" step completes when the file exists, not when the command
 * starts (its completion event is `onContext:krustlet.bootstrapConfigExists`): the context key follows each
 * workspace folder's bootstrap config on disk (polled like the kubeconfig: it may be replaced by a rename,
 * or live outside the workspace). "Connect" completes on `krustlet.state == connected`.
 */
export function registerBootstrapConfigContext(): vscode.Disposable {
  let watched: { file: string; listener: (c: fs.Stats, p: fs.Stats) => void }[] = [];
  let last: boolean | undefined;
  const update = () => {
    const exists = watched.some((w) => fs.existsSync(w.file));
    if (exists === last) return;
    last = exists;
    void vscode.commands.executeCommand(BuiltinCommands.setContext, ContextKeys.bootstrapConfigExists, exists);
  };
  const watch = () => {
    for (const w of watched) fs.unwatchFile(w.file, w.listener);
    watched = (vscode.workspace.workspaceFolders ?? []).map((f) => {
      const file = bootstrapConfigPathFor(f);
      const listener = () => update();
      fs.watchFile(file, { interval: 2000, persistent: false }, listener);
      return { file, listener };
    });
    update();
  };
  watch();
  const subs = [
    vscode.workspace.onDidChangeWorkspaceFolders(watch),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, Settings.bootstrapConfigPath)) watch();
    }),
  ];
  return new vscode.Disposable(() => {
    for (const w of watched) fs.unwatchFile(w.file, w.listener);
    for (const s of subs) s.dispose();
  });
}
