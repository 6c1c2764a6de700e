import { describeError, isKrustletError } from '../../core/errors';
import type { FeatureContext } from '../features';
import { MAX_DETAIL, plainText } from '../text';

/**
 * Logs a failure and shows it as one line ("what went wrong. what to do.") with a Show Log button.
 * The notification is not awaited: a command never waits on a toast. An error's text may quote the
 * cluster (a name, a server message): it is shown as plain text.
 */
export function reportError(ctx: FeatureContext, what: string, e: unknown): string {
  const line = describeError(e);
  ctx.log.error(`${what}: ${line}`);
  if (!isKrustletError(e) && e instanceof Error && e.stack) ctx.log.debug(e.stack);
  void ctx.prompter.error(plainText(`${what}: ${line}`, MAX_DETAIL), 'Show Log').then((choice) => {
    if (choice === 'Show Log') ctx.log.show();
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
