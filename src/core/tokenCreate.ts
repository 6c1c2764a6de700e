/**
 * `token create` as kubeadm does it: a new bootstrap token and its Secret, no file written.
 * Everything is validated before the Secret is created; a taken id is retried with a new one.
 */
import { isKrustletError } from './errors';
import type { Cluster } from './cluster';
import { silentLogger, type Logger } from './log';
import { generateToken, PINNED_NODE_ANNOTATION, secretNameFor, tokenSecretManifest, TOKEN_NAMESPACE, type TokenSecretManifest } from './token';
import type { BootstrapToken } from './types';

export interface CreateTokenOptions {
  cluster: Cluster;
  /** Seconds; 0 = never expires. */
  ttlSeconds: number;
  description?: string;
  extraGroups?: string[];
  usages?: string[];
  nodeName?: string;
  logger?: Logger;
  now?: Date;
  /** Token source; default {@link generateToken} (tests inject a taken id). */
  generate?: () => BootstrapToken;
  /** Runs after validation and before the Secret is created (e.g. checks that a join command can be built): a throw creates nothing. */
  beforeCreate?: () => void | Promise<void>;
}

export interface CreatedToken {
  /** Holds the secret: show it only when the user asked. */
  token: BootstrapToken;
  secretName: string;
  namespace: string;
  /** Undefined = never expires. */
  expiration?: Date;
  usages: string[];
  extraGroups: string[];
  description?: string;
  nodeName?: string;
}

const MAX_ID_ATTEMPTS = 5;

/** Creates the token Secret (retrying a taken id) and returns what was created. */
export async function createToken(o: CreateTokenOptions): Promise<CreatedToken> {
  const log = o.logger ?? silentLogger;
  // Validates TTL, groups, usages, description and node name before anything is created.
  tokenSecretManifest(generateToken(), o);
  await o.beforeCreate?.();
  const generate = o.generate ?? generateToken;
  for (let attempt = 1; ; attempt++) {
    const token = generate();
    const manifest: TokenSecretManifest = tokenSecretManifest(token, { ...o, now: o.now ?? new Date() });
    log.info(`Creating bootstrap token ${token.id} (Secret ${TOKEN_NAMESPACE}/${secretNameFor(token.id)})`);
    try {
      await o.cluster.createTokenSecret(manifest);
    } catch (e) {
      if (isKrustletError(e, 'conflict') && attempt < MAX_ID_ATTEMPTS) {
        log.debug(`Token id ${token.id} is taken; trying another.`);
        continue;
      }
      throw e;
    }
    const d = manifest.stringData;
    const created: CreatedToken = {
      token,
      secretName: manifest.metadata.name,
      namespace: TOKEN_NAMESPACE,
      usages: Object.keys(d).filter((k) => k.startsWith('usage-bootstrap-')).map((k) => k.slice('usage-bootstrap-'.length)),
      extraGroups: d['auth-extra-groups'] ? d['auth-extra-groups'].split(',') : [],
    };
    if (d.expiration) created.expiration = new Date(d.expiration);
    if (d.description) created.description = d.description;
    const pinned = manifest.metadata.annotations?.[PINNED_NODE_ANNOTATION];
    if (pinned) created.nodeName = pinned;
    return created;
  }
}
