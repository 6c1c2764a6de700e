import { describeError, isKrustletError } from '../../core/errors';
import type { FeatureContext } from '../features';

/**
 * Logs a failure and shows it as one line ("what went wrong. what to do.") with a Show Log button.
 * The notification is not awaited: a command never waits on a toast.
 */
export function reportError(ctx: FeatureContext, what: string, e: unknown): string {
  const line = describeError(e);
  ctx.log.error(`${what}: ${line}`);
  if (!isKrustletError(e) && e instanceof Error && e.stack) ctx.log.debug(e.stack);
  void ctx.prompter.error(`${what}: ${line}`, 'Show Log').then((choice) => {
    if (choice === 'Show Log') ctx.log.show();
  });
  return line;
}

/** Shows an information message without waiting for it; runs `on[choice]` if the user clicks one. */
export function notify(ctx: FeatureContext, message: string, on: Record<string, () => unknown> = {}): void {
  void ctx.prompter.info(message, {}, ...Object.keys(on)).then((choice) => {
    if (choice) void Promise.resolve(on[choice]());
  });
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
