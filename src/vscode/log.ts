import * as vscode from 'vscode';
import { type Logger, redactingLogger } from '../core/log';

/**
 * The extension's one log: a LogOutputChannel "Krustlet" behind the core's Logger, wrapped by
 * redactingLogger so no bootstrap token secret can reach it, whoever wrote the message.
 * The last lines (already redacted) are kept in memory for the test API.
 */
export interface ExtensionLog extends Logger, vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  /** The most recent lines as written to the channel (redacted), oldest first. */
  recentLines(): readonly string[];
  show(): void;
}

const KEEP_LINES = 2000;

export function createExtensionLog(name = 'Krustlet'): ExtensionLog {
  const channel = vscode.window.createOutputChannel(name, { log: true });
  const lines: string[] = [];
  const keep = (level: string, m: string): void => {
    lines.push(`[${level}] ${m}`);
    if (lines.length > KEEP_LINES) lines.splice(0, lines.length - KEEP_LINES);
  };
  const sink: Logger = {
    debug: (m) => { keep('debug', m); channel.debug(m); },
    info: (m) => { keep('info', m); channel.info(m); },
    warn: (m) => { keep('warn', m); channel.warn(m); },
    error: (m) => { keep('error', m); channel.error(m); },
  };
  const safe = redactingLogger(sink);
  return {
    ...safe,
    channel,
    recentLines: () => lines.slice(),
    show: () => channel.show(true),
    dispose: () => channel.dispose(),
  };
}
