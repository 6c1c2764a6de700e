/**
 * Bootstrap tokens (`[a-z0-9]{6}.[a-z0-9]{16}`), TTLs and the token Secret, exactly as Kubernetes
 * (and Krustlet's scripts/bootstrap.sh) expect them. Pure: no I/O, no client-node.
 */
import { randomInt } from 'node:crypto';
import { KrustletError } from './errors';
import type { BootstrapToken } from './types';

export type { BootstrapToken } from './types';

export const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_ID_RE = /^[a-z0-9]{6}$/;
export const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const TOKEN_NAMESPACE = 'kube-system';
export const DEFAULT_EXTRA_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
const DEFAULT_USAGES = ['authentication', 'signing'] as const;
/** cluster-bootstrap's KnownTokenUsages: `signing` (cluster-info's JWS) and `authentication` (join as system:bootstrap:<id>). */
export const KNOWN_USAGES: readonly string[] = ['signing', 'authentication'];
/** Krustlet's script: now + 1 hour. */
export const DEFAULT_TTL_SECONDS = 3600;
/** `kubeadm token create`'s default lifetime: 24 hours. */
export const KUBEADM_TTL_SECONDS = 24 * 3600;
/** The user a bootstrap token authenticates as is `system:bootstrap:<id>` (and so a CSR made with it names it in spec.username). */
export const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
/** kubeadm's validation of extra groups. */
const EXTRA_GROUP_RE = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
/**
 * The annotation on a token Secret naming the one node the token is for (its node name). The review
 * fails a client certificate request made with the token for any other node's identity.
 */
export const PINNED_NODE_ANNOTATION = 'krustlet.dev/node-name';
/** A node name: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253 characters). */
const NODE_NAME_RE = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * `n` characters from [a-z0-9]. `crypto.randomInt` draws uniformly (it rejects out-of-range
 * samples internally), so there is no modulo bias.
 */
function randomTokenString(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return s;
}

export function generateToken(): BootstrapToken {
  return { id: randomTokenString(6), secret: randomTokenString(16) };
}

export function formatToken(t: BootstrapToken): string {
  return `${t.id}.${t.secret}`;
}

/** `abcdef.****************`: safe to show. */
export function maskToken(t: BootstrapToken | string): string {
  const id = typeof t === 'string' ? t.split('.')[0] : t.id;
  return `${id}.${'*'.repeat(16)}`;
}

/**
 * THE expiry rule for a bootstrap token, used wherever one is judged (the listing, the tree, the
 * agent's pre-start check and join progress): expired once its expiration is at or before `now`; a
 * token without one never expires. Kubernetes' token authenticator rejects a token from that instant.
 */
export function tokenExpired(t: { readonly expiration?: Date }, now: Date = new Date()): boolean {
  return t.expiration !== undefined && t.expiration.getTime() <= now.getTime();
}

/** Parses `<id>.<secret>`. The error never echoes the input (it may be a mistyped secret). */
export function parseToken(s: string): BootstrapToken {
  const m = TOKEN_RE.exec(s.trim());
  if (!m) {
    throw new KrustletError(
      'invalid-token',
      'That is not a bootstrap token.',
      'A token is 6 then 16 characters from [a-z0-9], joined by a dot (like abcdef.0123456789abcdef).',
      { fix: { kind: 'fix-input', data: { input: 'token' } } },
    );
  }
  return { id: m[1], secret: m[2] };
}

/** Accepts a token id (`abcdef`) or a whole token; returns the id. */
export function tokenIdOf(idOrToken: string): string {
  const s = idOrToken.trim();
  if (TOKEN_ID_RE.test(s)) return s;
  if (TOKEN_RE.test(s)) return s.slice(0, 6);
  throw new KrustletError(
    'invalid-token',
    'That is neither a token id nor a bootstrap token.',
    'Give the 6-character token id or the whole token (id.secret).',
    { fix: { kind: 'list', data: { what: 'tokens' } } },
  );
}

/**
 * The node name a token is pinned to, from what a user typed: a node name, or the machine's hostname
 * (Krustlet's node name is its lowercased hostname, so it is lowercased here too).
 */
export function pinnedNodeName(input: string): string {
  const name = input.trim().toLowerCase();
  if (!NODE_NAME_RE.test(name)) {
    throw new KrustletError(
      'invalid-argument',
      `'${input.trim().slice(0, 60)}' is not a node name.`,
      "A node name is the agent's --node-name (by default its lowercased hostname): letters, digits, '-' and '.', like edge-7 or edge-7.example.com.",
      { fix: { kind: 'fix-input', data: { input: 'node-name' } } },
    );
  }
  return name;
}

export function secretNameFor(id: string): string {
  return `bootstrap-token-${id}`;
}

const TTL_PART_RE = /(\d+(?:\.\d+)?)(h|m|s)/gy;
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1 };

/**
 * A TTL like kubeadm's `--ttl`: `1h`, `24h`, `90m`, `1h30m`, `45s`, `0` (never expires).
 * Returns seconds; 0 means never.
 */
export function parseTtl(s: string): number {
  const text = s.trim();
  const bad = () =>
    new KrustletError(
      'invalid-ttl',
      `TTL '${text.slice(0, 40)}' is not a duration.`,
      'Use hours, minutes and seconds like 1h, 90m, 1h30m or 24h, or 0 for a token that never expires.',
      { fix: { kind: 'fix-input', data: { input: 'ttl' } } },
    );
  if (text === '0') return 0;
  if (!text) throw bad();
  TTL_PART_RE.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  const seen = new Set<string>();
  for (let m = TTL_PART_RE.exec(text); m; m = TTL_PART_RE.exec(text)) {
    if (seen.has(m[2])) throw bad();
    seen.add(m[2]);
    total += Number(m[1]) * UNIT_SECONDS[m[2]];
    consumed = TTL_PART_RE.lastIndex;
  }
  if (consumed !== text.length) throw bad();
  const seconds = Math.round(total);
  if (total > 0 && seconds === 0) throw bad();
  if (!Number.isSafeInteger(seconds) || seconds > 100 * 365 * 86400) throw bad();
  return seconds;
}

/** `3600` → `1h`, `5400` → `1h30m`, `0` → `never`. */
export function formatTtl(seconds: number): string {
  if (seconds <= 0) return 'never';
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${unit}`);
      rest %= n;
    }
  }
  return parts.join('');
}

/** RFC 3339 in UTC without fractions, as Kubernetes writes it: `2020-06-04T20:07:24Z`. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface TokenSecretOptions {
  /** Seconds; 0 = never expires. */
  ttlSeconds: number;
  description?: string;
  /** Default: system:bootstrappers:kubeadm:default-node-token. Each must start with `system:bootstrappers:`. */
  extraGroups?: string[];
  /** Default: authentication, signing. */
  usages?: string[];
  /** The node the token is for (recorded as {@link PINNED_NODE_ANNOTATION}); see {@link pinnedNodeName}. */
  nodeName?: string;
  now?: Date;
}

/** A v1 Secret as sent to the API (plain object, stringData). */
export interface TokenSecretManifest {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  type: typeof TOKEN_SECRET_TYPE;
  stringData: Record<string, string>;
}

/** The token id whose user made a request (`spec.username` `system:bootstrap:<id>`), or undefined. */
export function tokenIdOfUser(username: string | undefined): string | undefined {
  if (!username?.startsWith(BOOTSTRAP_USER_PREFIX)) return undefined;
  const id = username.slice(BOOTSTRAP_USER_PREFIX.length);
  return TOKEN_ID_RE.test(id) ? id : undefined;
}

/**
 * A comma-separated flag value (`--usages signing,authentication`, `--groups a,b`) as kubeadm's
 * string-slice flags read it: split on commas, trimmed; duplicates dropped; empty entries are an error.
 */
export function parseList(value: string, input: 'usages' | 'groups'): string[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => !p)) {
    throw new KrustletError(
      'invalid-argument',
      `--${input} '${value.slice(0, 80)}' has an empty entry.`,
      input === 'usages' ? `Give one or more of ${KNOWN_USAGES.join(', ')}, separated by commas.` : `Give one or more groups starting with 'system:bootstrappers:', separated by commas.`,
      { fix: { kind: 'fix-input', data: { input } } },
    );
  }
  return [...new Set(parts)];
}

function validateExtraGroups(groups: string[]): void {
  for (const g of groups) {
    if (!EXTRA_GROUP_RE.test(g)) {
      throw new KrustletError(
        'invalid-argument',
        `Extra group '${g}' is not allowed for a bootstrap token.`,
        "Extra groups must match ^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$ (as kubeadm requires), like system:bootstrappers:kubeadm:default-node-token.",
        { fix: { kind: 'fix-input', data: { input: 'groups' } } },
      );
    }
  }
}

function validateUsages(usages: string[]): void {
  if (!usages.length) {
    throw new KrustletError('invalid-argument', 'A bootstrap token needs at least one usage.', `Usages are: ${KNOWN_USAGES.join(', ')} (kubeadm gives both).`, { fix: { kind: 'fix-input', data: { input: 'usages' } } });
  }
  for (const u of usages) {
    if (!KNOWN_USAGES.includes(u)) {
      throw new KrustletError('invalid-argument', `Unknown token usage '${u}'.`, `Usages are: ${KNOWN_USAGES.join(', ')}.`, { fix: { kind: 'fix-input', data: { input: 'usages' } } });
    }
  }
}

/** The Secret that makes `token` a bootstrap token, per the Kubernetes spec. */
export function tokenSecretManifest(token: BootstrapToken, opts: TokenSecretOptions): TokenSecretManifest {
  if (!TOKEN_ID_RE.test(token.id) || !/^[a-z0-9]{16}$/.test(token.secret)) parseToken(formatToken(token));
  if (!Number.isFinite(opts.ttlSeconds) || opts.ttlSeconds < 0) {
    throw new KrustletError('invalid-ttl', 'The TTL must be zero (never) or positive.', 'Use e.g. 1h, 24h or 0.', { fix: { kind: 'fix-input', data: { input: 'ttl' } } });
  }
  const extraGroups = opts.extraGroups ?? [DEFAULT_EXTRA_GROUP];
  validateExtraGroups(extraGroups);
  const usages = opts.usages ?? [...DEFAULT_USAGES];
  validateUsages(usages);
  if (opts.description !== undefined && /[\r\n]/.test(opts.description)) {
    throw new KrustletError('invalid-argument', 'The description must be a single line.', 'Remove the line breaks.', { fix: { kind: 'fix-input', data: { input: 'description' } } });
  }
  const nodeName = opts.nodeName === undefined ? undefined : pinnedNodeName(opts.nodeName);

  const stringData: Record<string, string> = {};
  if (extraGroups.length) stringData['auth-extra-groups'] = extraGroups.join(',');
  if (opts.description) stringData.description = opts.description;
  if (opts.ttlSeconds > 0) {
    const now = opts.now ?? new Date();
    stringData.expiration = rfc3339(new Date(now.getTime() + opts.ttlSeconds * 1000));
  }
  stringData['token-id'] = token.id;
  stringData['token-secret'] = token.secret;
  for (const u of usages) stringData[`usage-bootstrap-${u}`] = 'true';

  const metadata: TokenSecretManifest['metadata'] = { name: secretNameFor(token.id), namespace: TOKEN_NAMESPACE };
  if (nodeName) metadata.annotations = { [PINNED_NODE_ANNOTATION]: nodeName };
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: TOKEN_SECRET_TYPE, stringData };
}
