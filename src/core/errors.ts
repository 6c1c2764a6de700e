/**
 * One error type for everything a user can cause or fix.
 *
 *  - `message` says what went wrong, `hint` gives advice in words every front end can show as is
 *    ("Check that the cluster is running."). Neither names a front end's controls: no CLI flag,
 *    no VS Code command.
 *  - `fix` says, as data, what the user can do about it. Each front end words it in its own terms:
 *    the CLI as flags and commands (src/cli/errors.ts: "Pass --context NAME …"), the extension as
 *    buttons and commands ("Select Context", "Overwrite", "Retry").
 *
 * Nothing here ever contains a token secret.
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
  | 'cancelled'
  | 'preflight-failed'
  | 'api-error';

/**
 * What the user can do about an error. A closed set, so that each front end can offer every kind
 * (a button, a flag, a command); `data` carries what that action needs.
 */
export type Fix =
  /** Use another kubeconfig context (`contexts`: the names the kubeconfig defines, when known). */
  | { kind: 'select-context'; data?: { contexts?: string[] } }
  /** Use another kubeconfig file. */
  | { kind: 'set-kubeconfig' }
  /** Repair an entry of the kubeconfig (`file`: which file, when known). */
  | { kind: 'edit-kubeconfig'; data?: { file?: string } }
  /** Log in again or refresh the credentials of the context's user (or use another context). */
  | { kind: 'check-credentials'; data?: { context?: string } }
  /** Something transient or a race: the same action again may succeed. */
  | { kind: 'retry' }
  /** Create kubeadm's bootstrap RBAC bindings (the CLI's `rbac apply`, the extension's Apply RBAC). */
  | { kind: 'apply-rbac' }
  /** A permission is missing: a cluster admin must grant it (or use a context with more rights). */
  | { kind: 'ask-admin'; data: { permission: string } }
  /** Write somewhere else. */
  | { kind: 'choose-output'; data: { path: string } }
  /** The target exists: replace it (a backup is kept), or choose another path. */
  | { kind: 'force'; data: { path: string } }
  /** A bootstrap token was left behind: delete it (its id, never its secret). */
  | { kind: 'delete-token'; data: { id: string } }
  /** A name is unknown: look at what exists. */
  | { kind: 'list'; data: { what: 'tokens' | 'csrs' } }
  /**
   * A value the user gave is invalid. `input` names it as the CLI option is spelled without dashes
   * (`ttl`, `timeout`, `description`, `token`, `name`, `port` …); the extension maps it to its prompt or setting.
   */
  | { kind: 'fix-input'; data: { input: string } }
  /** Not the user's doing (an unexpected answer): report it with the message. */
  | { kind: 'report-bug' };

export type FixKind = Fix['kind'];

export interface KrustletErrorOptions {
  cause?: unknown;
  fix?: Fix;
}

export class KrustletError extends Error {
  readonly fix?: Fix;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options: KrustletErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KrustletError';
    if (options.fix) this.fix = options.fix;
  }

  /** One line in words any front end can show: what went wrong, then the advice (without `fix`). */
  toLine(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export function isKrustletError(e: unknown, code?: ErrorCode): e is KrustletError {
  return e instanceof KrustletError && (code === undefined || e.code === code);
}

/** A user-facing line for any thrown value (without the front end's wording of `fix`). */
export function describeError(e: unknown): string {
  if (e instanceof KrustletError) return e.toLine();
  if (e instanceof Error) return e.message;
  return String(e);
}
