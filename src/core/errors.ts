/**
 * One error type for everything a user can cause or fix. `message` says what went wrong,
 * `hint` what to do about it; both are safe to show (they never contain a token secret).
 */
export type ErrorCode =
  | 'kubeconfig-missing'
  | 'kubeconfig-invalid'
  | 'context-unknown'
  | 'no-server'
  | 'ca-missing'
  | 'unreachable'
  | 'timeout'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'invalid-ttl'
  | 'invalid-token'
  | 'invalid-argument'
  | 'output-exists'
  | 'output-unwritable'
  | 'api-error';

export class KrustletError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KrustletError';
  }

  /** One line: what went wrong, then what to do. */
  toLine(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export function isKrustletError(e: unknown, code?: ErrorCode): e is KrustletError {
  return e instanceof KrustletError && (code === undefined || e.code === code);
}

/** A user-facing line for any thrown value. */
export function describeError(e: unknown): string {
  if (e instanceof KrustletError) return e.toLine();
  if (e instanceof Error) return e.message;
  return String(e);
}
