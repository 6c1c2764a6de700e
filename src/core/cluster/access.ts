/** "May I?" (SelfSubjectAccessReview) and "who is this token?" (TokenReview). */
import type { Transport } from './transport';

export interface AccessAttributes {
  verb: string;
  /** API group: '' for the core group. */
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface AccessResult {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
}

/** Asks the API server whether the connection's own identity may do `attrs`. */
export async function accessReview(t: Transport, attrs: AccessAttributes): Promise<AccessResult> {
  const resourceAttributes: Record<string, string> = { verb: attrs.verb, group: attrs.group, resource: attrs.resource };
  if (attrs.subresource) resourceAttributes.subresource = attrs.subresource;
  if (attrs.namespace) resourceAttributes.namespace = attrs.namespace;
  if (attrs.name) resourceAttributes.name = attrs.name;
  const r = await t.request<{ status?: AccessResult }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } },
  });
  const out: AccessResult = { allowed: r.status?.allowed === true };
  if (r.status?.denied) out.denied = true;
  if (r.status?.reason) out.reason = r.status.reason;
  return out;
}

export interface TokenReviewResult {
  authenticated: boolean;
  username?: string;
  groups: string[];
  error?: string;
}

/** Who `token` authenticates as, asked by the connection's identity (needs `create tokenreviews`). */
export async function tokenReview(t: Transport, token: string): Promise<TokenReviewResult> {
  const r = await t.request<{ status?: { authenticated?: boolean; user?: { username?: string; groups?: string[] }; error?: string } }>(
    'POST',
    '/apis/authentication.k8s.io/v1/tokenreviews',
    { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } },
  );
  const out: TokenReviewResult = { authenticated: r.status?.authenticated === true, groups: r.status?.user?.groups ?? [] };
  if (r.status?.user?.username) out.username = r.status.user.username;
  if (r.status?.error) out.error = r.status.error;
  return out;
}
