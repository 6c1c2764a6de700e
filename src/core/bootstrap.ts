/**
 * What Krustlet's scripts/bootstrap.sh does, safely: a new bootstrap token, its Secret, and
 * bootstrap.conf written atomically with mode 0600. Nothing is left behind on failure: the output
 * path is checked before the Secret is created, and the Secret is deleted again if writing fails.
 */
import { describeError, KrustletError, isKrustletError } from './errors';
import type { Cluster } from './cluster';
import { checkWritable, writeFileSafely } from './files';
import { buildBootstrapKubeconfig } from './kubeconfig';
import { silentLogger, type Logger } from './log';
import { verifyTokenAuth, type TokenCheck } from './preflight';
import { generateToken, PINNED_NODE_ANNOTATION, secretNameFor, tokenSecretManifest, TOKEN_NAMESPACE } from './token';
import type { BootstrapToken } from './types';

export interface BootstrapOptions {
  cluster: Cluster;
  /** Seconds; 0 = never expires. */
  ttlSeconds: number;
  description?: string;
  extraGroups?: string[];
  usages?: string[];
  /** The node the token is for: recorded on its Secret (PINNED_NODE_ANNOTATION); the review fails its use for another node. */
  nodeName?: string;
  outputPath: string;
  force?: boolean;
  logger?: Logger;
  /** Progress, for the extension's notification. Never contains the token secret. */
  onStep?: (step: string) => void;
  /** Also check that the API server accepts the new token (see verifyTokenAuth). */
  verify?: boolean;
  now?: Date;
  /** Token source; default {@link generateToken} (tests inject a taken id to exercise the 409 retry). */
  generate?: () => BootstrapToken;
}

export interface BootstrapResult {
  /** Holds the secret: show it only when the user asked. */
  token: BootstrapToken;
  secretName: string;
  namespace: string;
  path: string;
  backupPath?: string;
  /** Undefined = never expires. */
  expiration?: Date;
  /** The node the token is pinned to (normalised: lowercased), if one was given. */
  nodeName?: string;
  insecureSkipTlsVerify: boolean;
  tokenCheck?: TokenCheck;
}

const MAX_ID_ATTEMPTS = 5;

export async function bootstrap(o: BootstrapOptions): Promise<BootstrapResult> {
  const log = o.logger ?? silentLogger;
  const step = (s: string) => {
    log.info(s);
    o.onStep?.(s);
  };
  const { cluster } = o;

  step(`Checking that ${o.outputPath} can be written`);
  const path = await checkWritable(o.outputPath, { force: o.force });
  // Validates TTL, groups, usages and description before anything is created.
  tokenSecretManifest(generateToken(), o);

  let token: BootstrapToken | undefined;
  let manifest;
  const generate = o.generate ?? generateToken;
  for (let attempt = 1; ; attempt++) {
    token = generate();
    manifest = tokenSecretManifest(token, { ...o, now: o.now ?? new Date() });
    step(`Creating bootstrap token ${token.id} (Secret ${TOKEN_NAMESPACE}/${secretNameFor(token.id)})`);
    try {
      await cluster.createTokenSecret(manifest);
      break;
    } catch (e) {
      if (isKrustletError(e, 'conflict') && attempt < MAX_ID_ATTEMPTS) {
        log.debug(`Token id ${token.id} is taken; trying another.`);
        continue;
      }
      throw e;
    }
  }
  const secretName = secretNameFor(token.id);
  const expiration = manifest.stringData.expiration ? new Date(manifest.stringData.expiration) : undefined;

  const insecure = cluster.insecureSkipTlsVerify;
  if (insecure) log.warn(`Cluster '${cluster.clusterName}' uses insecure-skip-tls-verify; bootstrap.conf carries it over, so the agent will not verify the server either.`);
  else if (!cluster.caData) log.warn(`Cluster '${cluster.clusterName}' names no CA; bootstrap.conf will rely on the system's trusted CAs.`);

  let written;
  try {
    step(`Writing ${path}`);
    const text = buildBootstrapKubeconfig(
      { clusterName: cluster.clusterName, server: cluster.server, caData: cluster.caData, insecureSkipTlsVerify: insecure, tlsServerName: cluster.tlsServerName },
      token,
    );
    written = await writeFileSafely(path, text, { force: o.force });
  } catch (e) {
    step(`Deleting Secret ${TOKEN_NAMESPACE}/${secretName} again`);
    try {
      await cluster.deleteToken(token.id);
    } catch (d) {
      if (e instanceof KrustletError) {
        throw new KrustletError(e.code, `${e.message} The Secret ${TOKEN_NAMESPACE}/${secretName} could not be deleted either (${describeError(d)}).`, e.hint, { cause: e, fix: { kind: 'delete-token', data: { id: token.id } } });
      }
    }
    throw e;
  }

  const result: BootstrapResult = { token, secretName, namespace: TOKEN_NAMESPACE, path: written.path, expiration, insecureSkipTlsVerify: insecure };
  if (written.backupPath) result.backupPath = written.backupPath;
  const pinned = manifest.metadata.annotations?.[PINNED_NODE_ANNOTATION];
  if (pinned) result.nodeName = pinned;
  if (o.verify) {
    step('Checking that the API server accepts the token');
    result.tokenCheck = await verifyTokenAuth(cluster, token);
  }
  return result;
}
