import { describeError, isKrustletError } from '../../core/errors';
import type { FeatureContext } from '../features';
import { fixButtons } from '../fixes';
import { MAX_DETAIL, plainText } from '../text';

/**
 * Logs a failure and shows it as one line ("what went wrong. what to do.") with the error's fix as
 * buttons (Select Context, Open Settings, Retry …: src/vscode/fixes.ts) and Show Log. `retry` runs
 * the failed action again. The notification is not awaited: a command never waits on a toast. An
 * error's text may quote the cluster (a name, a server message): it is shown as plain text.
 */
export function reportError(ctx: FeatureContext, what: string, e: unknown, retry?: () => unknown): string {
  const line = describeError(e);
  ctx.log.error(`${what}: ${line}`);
  if (!isKrustletError(e) && e instanceof Error && e.stack) ctx.log.debug(e.stack);
  const buttons = [...fixButtons(ctx.calls, isKrustletError(e) ? e.fix : undefined, retry), { label: 'Show Log', run: () => ctx.log.show() }];
  void ctx.prompter.error(plainText(`${what}: ${line}`, MAX_DETAIL), ...buttons.map((b) => b.label)).then((choice) => {
    const b = buttons.find((x) => x.label === choice);
    if (b) void Promise.resolve(b.run());
  });
  return line;
}

/** Shows an information message without waiting for it; runs `on[choice]` if the user clicks one. */
export function notify(ctx: FeatureContext, message: string, on: Record<string, () => unknown> = {}): void {
  void ctx.prompter.info(plainText(message, MAX_DETAIL), {}, ...Object.keys(on)).then((choice) => {
    if (choice) void Promise.resolve(on[choice]());
  });
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
