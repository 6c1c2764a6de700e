/**
 * The CLI's words for the core's structured fixes (src/core/errors.ts): each kind as the flags and
 * commands of `krustlet-bootstrap`. The extension words the same kinds as buttons and commands.
 */
import { describeError, KrustletError, type Fix } from '../core/errors';
import type { PreflightFinding } from '../core/types';

/** What to do, as this CLI's flags and commands; undefined when the message and hint already say it all. */
export function cliFix(fix: Fix | undefined): string | undefined {
  if (!fix) return undefined;
  switch (fix.kind) {
    case 'select-context': {
      const known = fix.data?.contexts ?? [];
      return known.length ? `Pass --context with one of: ${known.join(', ')}.` : 'Pass --context NAME to use another context.';
    }
    case 'check-credentials':
    case 'ask-admin':
      return 'Pass --context NAME to use another context.';
    case 'set-kubeconfig':
      return 'Pass --kubeconfig PATH (or set KUBECONFIG) to use another kubeconfig.';
    case 'edit-kubeconfig':
      return 'Or pass --kubeconfig PATH to use another kubeconfig.';
    case 'apply-rbac':
      return "Run `krustlet-bootstrap rbac apply` to create kubeadm's bootstrap bindings.";
    case 'choose-output':
      return 'Or choose another path with -o/--output.';
    case 'force':
      return 'Pass --force to replace it (a backup is kept), or choose another path with -o/--output.';
    case 'delete-token':
      return `Delete it with \`krustlet-bootstrap token delete ${fix.data.id}\`.`;
    case 'list':
      return `Run \`krustlet-bootstrap ${fix.data.what === 'tokens' ? 'token' : 'csr'} list\` to see them.`;
    case 'retry':
      return 'Then run the command again.';
    case 'fix-input':
      return undefined;
    case 'report-bug':
      return 'Please report it with this message.';
  }
}

/** A failed preflight finding's advice: the neutral text and the action in this CLI's words (Apply RBAC first: it is the way). */
export function findingFix(f: PreflightFinding): string {
  const parts = [f.fix, cliFix(f.action)];
  if (f.action?.kind === 'apply-rbac') parts.reverse();
  return parts.filter(Boolean).join(' ');
}

/** `error: …`'s text: what went wrong, the advice, then the fix in this CLI's words; one line. */
export function errorLine(e: unknown): string {
  const base = describeError(e);
  const words = e instanceof KrustletError ? cliFix(e.fix) : undefined;
  return (words ? `${base} ${words}` : base).replace(/\s*\n\s*/g, ' ');
}
