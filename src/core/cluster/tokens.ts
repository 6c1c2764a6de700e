/** Bootstrap token Secrets in kube-system: create, list (with expiry), delete by id or token. */
import { KrustletError, isKrustletError } from '../errors';
import { PINNED_NODE_ANNOTATION, TOKEN_NAMESPACE, TOKEN_SECRET_TYPE, secretNameFor, tokenExpired, tokenIdOf, type TokenSecretManifest } from '../token';
import type { TokenInfo } from '../types';
import type { Transport } from './transport';

interface V1Secret {
  metadata?: { name?: string; creationTimestamp?: string; resourceVersion?: string; annotations?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

const SECRETS = `/api/v1/namespaces/${TOKEN_NAMESPACE}/secrets`;

/** Creates the Secret. A 409 (the id is taken) surfaces as KrustletError('conflict'): pick a new id and retry. */
export async function createTokenSecret(t: Transport, manifest: TokenSecretManifest): Promise<void> {
  await t.request('POST', SECRETS, { body: manifest });
}

export interface ListTokensOptions {
  /** Include each token's secret (only when the user asked: Copy token, --show-secrets). */
  includeSecrets?: boolean;
  now?: Date;
}

function b64(s: string | undefined): string | undefined {
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
}

/** Pure: a v1 Secret of type bootstrap.kubernetes.io/token → TokenInfo (undefined if it is not one). */
export function secretToTokenInfo(s: V1Secret, opts: ListTokensOptions = {}): TokenInfo | undefined {
  const d = s.data ?? {};
  const id = b64(d['token-id']);
  const name = s.metadata?.name ?? '';
  if (!id || name !== secretNameFor(id)) return undefined;
  const exp = b64(d.expiration);
  const parsed = exp ? new Date(exp) : undefined;
  const expiration = parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
  const usages = Object.keys(d)
    .filter((k) => k.startsWith('usage-bootstrap-') && b64(d[k]) === 'true')
    .map((k) => k.slice('usage-bootstrap-'.length))
    .sort();
  const groups = b64(d['auth-extra-groups']);
  const info: TokenInfo = {
    id,
    secretName: name,
    expiration,
    expired: tokenExpired({ expiration }, opts.now),
    usages,
    extraGroups: groups ? groups.split(',').map((g) => g.trim()).filter(Boolean) : [],
  };
  const description = b64(d.description);
  if (description) info.description = description;
  if (s.metadata?.creationTimestamp) info.createdAt = new Date(s.metadata.creationTimestamp);
  const pinned = s.metadata?.annotations?.[PINNED_NODE_ANNOTATION]?.trim();
  if (pinned) info.pinnedNode = pinned;
  if (s.metadata?.resourceVersion) info.resourceVersion = s.metadata.resourceVersion;
  if (opts.includeSecrets) info.secret = b64(d['token-secret']);
  return info;
}

export async function listTokens(t: Transport, opts: ListTokensOptions = {}): Promise<TokenInfo[]> {
  const list = await t.request<{ items?: V1Secret[] }>('GET', SECRETS, { query: { fieldSelector: `type=${TOKEN_SECRET_TYPE}` } });
  return (list.items ?? [])
    .map((s) => secretToTokenInfo(s, opts))
    .filter((x): x is TokenInfo => !!x)
    .sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0) || a.id.localeCompare(b.id));
}

/** With `resourceVersion` (as listed), the server refuses (409) when the Secret changed since. */
export async function deleteToken(t: Transport, idOrToken: string, resourceVersion?: string): Promise<{ id: string; secretName: string }> {
  const id = tokenIdOf(idOrToken);
  const secretName = secretNameFor(id);
  try {
    const body = resourceVersion ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion } } : undefined;
    await t.request('DELETE', `${SECRETS}/${secretName}`, body ? { body } : {});
  } catch (e) {
    if (isKrustletError(e, 'not-found')) {
      throw new KrustletError('not-found', `Bootstrap token '${id}' does not exist (no Secret ${TOKEN_NAMESPACE}/${secretName}).`, undefined, { fix: { kind: 'list', data: { what: 'tokens' } } });
    }
    throw e;
  }
  return { id, secretName };
}
