/**
 * Maps what the network and the API server say to a one-line KrustletError with a hint.
 * Messages never contain credentials: only the server address, status and the API's own message.
 */
import { KrustletError } from '../errors';

export interface RequestDescription {
  method: string;
  path: string;
  server: string;
  /** Who is asking, for hints: e.g. "context 'admin@local'" or "the bootstrap token". */
  who?: string;
}

/** A Kubernetes `Status` object (the body of most API errors). */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { message?: string; field?: string }[] };
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Pulls `verb`, `resource`, group and namespace out of an RBAC denial message. */
export function parseForbidden(message: string): { user?: string; verb?: string; resource?: string; group?: string; namespace?: string } | undefined {
  const m = /User "([^"]*)" cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/.exec(message);
  if (!m) return undefined;
  return { user: m[1], verb: m[2], resource: m[3], group: m[4], namespace: m[5] };
}

export function httpError(status: number, body: ApiStatus | undefined, rawBody: string, req: RequestDescription): KrustletError {
  const apiMessage = oneLine(body?.message ?? (rawBody.length < 300 ? rawBody : '')) || `HTTP ${status}`;
  const who = req.who ?? 'your credentials';
  switch (status) {
    case 401:
      return new KrustletError(
        'unauthorized',
        `The API server at ${req.server} rejected ${who} (401 Unauthorized).`,
        'The credentials are missing, expired or revoked: log in again or refresh them.',
        { fix: { kind: 'check-credentials' } },
      );
    case 403: {
      const f = parseForbidden(apiMessage);
      const perm = f
        ? `'${f.verb}' on ${f.group ? `${f.resource}.${f.group}` : f.resource}${f.namespace ? ` in namespace ${f.namespace}` : ''}`
        : `${req.method} ${req.path}`;
      return new KrustletError(
        'forbidden',
        `Permission denied: ${f?.user ? `'${f.user}'` : who} may not ${perm} (403: ${apiMessage}).`,
        `Ask a cluster admin to grant ${perm}, or use a context with more rights.`,
        { fix: { kind: 'ask-admin', data: { permission: perm } } },
      );
    }
    case 404:
      return new KrustletError('not-found', `Not found: ${apiMessage}.`, 'Check the name: it may have been deleted already.', { fix: { kind: 'retry' } });
    case 409:
      return new KrustletError('conflict', `Conflict: ${apiMessage}.`, 'The object already exists or changed meanwhile.', { fix: { kind: 'retry' } });
    case 422:
    case 400:
      return new KrustletError('api-error', `The API server refused the request (${status}): ${apiMessage}.`, 'This is likely a bug or a cluster version mismatch.', { fix: { kind: 'report-bug' } });
    default:
      return new KrustletError(
        'api-error',
        `The API server at ${req.server} answered ${status} to ${req.method} ${req.path}: ${apiMessage}.`,
        status >= 500 ? 'The server has a problem: check its health.' : 'Check the cluster.',
        { fix: { kind: 'retry' } },
      );
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'EADDRNOTAVAIL']);
const TLS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|EPROTO/;

export function timeoutError(req: RequestDescription, ms: number): KrustletError {
  return new KrustletError(
    'timeout',
    `The API server at ${req.server} did not answer within ${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s.`,
    `Check that the address is right and the server (or VPN/tunnel) is up; \`kubectl --request-timeout=${Math.ceil(ms / 1000)}s get --raw /version\` tests the same.`,
    { fix: { kind: 'select-context' } },
  );
}

export function networkError(e: unknown, req: RequestDescription): KrustletError {
  if (e instanceof KrustletError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? '';
  if (UNREACHABLE.has(code)) {
    const what = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'its host name does not resolve' : code === 'ECONNREFUSED' ? 'connection refused' : code;
    return new KrustletError(
      'unreachable',
      `Cannot reach the API server at ${req.server} (${what}).`,
      "Check that the cluster is running and the kubeconfig's server address is right.",
      { cause: e, fix: { kind: 'select-context' } },
    );
  }
  if (TLS.test(code) || TLS.test(String(err.message))) {
    return new KrustletError(
      'api-error',
      `TLS with ${req.server} failed: ${oneLine(String(err.message))}.`,
      "The server's certificate does not match the kubeconfig's CA (certificate-authority[-data]) or host name (tls-server-name); fix the kubeconfig.",
      { cause: e, fix: { kind: 'edit-kubeconfig' } },
    );
  }
  return new KrustletError(
    'unreachable',
    `Request to ${req.server} failed: ${oneLine(String(err.message ?? e))}.`,
    "Check the network and the kubeconfig's server address.",
    { cause: e, fix: { kind: 'retry' } },
  );
}
