/**
 * kubeadm's token discovery: `kubeadm join --token` reads ConfigMap kube-public/cluster-info (key
 * `kubeconfig`: the server and CA) and trusts it only when it carries `jws-kubeconfig-<token id>`, a
 * detached JWS (RFC 7515 appendix F) with HS256 keyed by the token secret over that kubeconfig, as
 * kube-controller-manager's bootstrapsigner writes it (k8s.io/cluster-bootstrap/token/jws:
 * ComputeDetachedSignature; header {"alg":"HS256","kid":"<id>"}, payload elided: `<header>..<sig>`).
 *
 * This module says, per token, whether discovery works, and if not why and what fixes it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as yaml from 'js-yaml';
import type { Cluster } from './cluster';
import { CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE } from './cluster/clusterInfo';
import { describeError, isKrustletError, KrustletError } from './errors';
import type { PreflightFinding, TokenInfo } from './types';

export const JWS_KEY_PREFIX = 'jws-kubeconfig-';
export const KUBECONFIG_KEY = 'kubeconfig';
/** kube-controller-manager's flag that turns the bootstrapsigner (and tokencleaner) on: both are off by default. */
export const SIGNER_CONTROLLERS_FLAG = '--controllers=*,bootstrapsigner,tokencleaner';

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

/** The detached JWS bootstrapsigner computes for `content` (go-jose's compact form with the payload cut out). */
export function detachedJws(content: string, tokenId: string, tokenSecret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: tokenId }));
  const sig = createHmac('sha256', tokenSecret).update(`${header}.${b64url(content)}`).digest('base64url');
  return `${header}..${sig}`;
}

/**
 * Whether `jws` is a valid detached HS256 JWS of `content` for this token, as kubeadm checks it: its
 * header names HS256 (and the token id, when it names a kid) and its MAC matches. The header is
 * taken as the signature carries it, so a signer that orders the JSON keys differently still verifies.
 */
export function verifyDetachedJws(jws: string, content: string, tokenId: string, tokenSecret: string): boolean {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts[1] !== '' || !parts[0] || !parts[2]) return false;
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as typeof header;
  } catch {
    return false;
  }
  if (header.alg !== 'HS256' || (header.kid !== undefined && header.kid !== tokenId)) return false;
  const want = createHmac('sha256', tokenSecret).update(`${parts[0]}.${b64url(content)}`).digest();
  const got = Buffer.from(parts[2], 'base64url');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** cluster-info's kubeconfig as kubeadm writes it (clientcmd.Write of one unnamed cluster: server + CA). */
export function clusterInfoKubeconfig(server: string, caData: string | undefined): string {
  const cluster = caData ? `    certificate-authority-data: ${caData}\n    server: ${server}\n` : `    server: ${server}\n`;
  return `apiVersion: v1\nclusters:\n- cluster:\n${cluster}  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n`;
}

/** The server and CA cluster-info names (its first cluster), or undefined when its kubeconfig cannot be read. */
export function clusterInfoTarget(kubeconfig: string): { server?: string; caData?: string } | undefined {
  try {
    const doc = yaml.load(kubeconfig) as { clusters?: { cluster?: { server?: unknown; 'certificate-authority-data'?: unknown } }[] } | undefined;
    const c = doc?.clusters?.[0]?.cluster;
    if (!c) return undefined;
    return { server: typeof c.server === 'string' ? c.server : undefined, caData: typeof c['certificate-authority-data'] === 'string' ? c['certificate-authority-data'] : undefined };
  } catch {
    return undefined;
  }
}

/** The preflight finding id when there is no cluster-info ConfigMap (a front end offers to create it). */
export const CLUSTER_INFO_MISSING = 'cluster-info:missing';

export type DiscoveryState = 'valid' | 'invalid' | 'unsigned' | 'not-signed-yet' | 'no-signing-usage' | 'no-configmap' | 'no-kubeconfig' | 'unknown';

/** What kubeadm's token discovery would find for one token. */
export interface TokenDiscovery {
  tokenId: string;
  state: DiscoveryState;
  /** Plain language: what was found. */
  message: string;
  /** What to do, when not valid (no front end's controls named). */
  fix?: string;
}

/** What was read of cluster-info: `data` undefined = no ConfigMap; `error` = it could not be read. */
export interface ClusterInfoRead {
  data?: Record<string, string>;
  error?: string;
}

const WHERE = `ConfigMap ${CLUSTER_INFO_NAMESPACE}/${CLUSTER_INFO_NAME}`;

/**
 * Pure: the discovery state of `token` (its secret needed to verify) given what cluster-info holds.
 * `signingTokenIds`: every token that may sign, to tell "the signer is off" (none is signed) from
 * "not signed yet" (others are).
 */
export function judgeDiscovery(read: ClusterInfoRead, token: Pick<TokenInfo, 'id' | 'usages' | 'secret'>, signingTokenIds: readonly string[] = []): TokenDiscovery {
  const id = token.id;
  const at = (state: DiscoveryState, message: string, fix?: string): TokenDiscovery => (fix ? { tokenId: id, state, message, fix } : { tokenId: id, state, message });
  if (read.error !== undefined) return at('unknown', `Could not read ${WHERE}: ${read.error}`, 'Use a context that may read ConfigMaps in kube-public.');
  const data = read.data;
  if (!data) {
    return at('no-configmap', `There is no ${WHERE}: kubeadm join --token cannot discover the cluster.`, `Create it as kubeadm does (the server and CA of this context, readable by anonymous joiners), and turn the bootstrapsigner on (kube-controller-manager ${SIGNER_CONTROLLERS_FLAG}) so it is signed for each token.`);
  }
  const content = data[KUBECONFIG_KEY];
  if (content === undefined) return at('no-kubeconfig', `${WHERE} has no '${KUBECONFIG_KEY}' key, so nothing can be signed or discovered.`, 'Recreate it as kubeadm does (delete it, then create it again).');
  if (!token.usages.includes('signing')) return at('no-signing-usage', `Token ${id} has no 'signing' usage, so cluster-info is never signed for it: kubeadm join --token ${id}… fails discovery.`, "Create a token with the 'signing' usage (kubeadm's default).");
  const jws = data[`${JWS_KEY_PREFIX}${id}`];
  if (jws === undefined) {
    const othersSigned = signingTokenIds.some((o) => o !== id && data[`${JWS_KEY_PREFIX}${o}`] !== undefined);
    if (othersSigned) return at('not-signed-yet', `${WHERE} is not signed for token ${id} yet (it is for other tokens: the bootstrapsigner runs and signs a new token within seconds).`, 'Wait a moment and check again.');
    return at('unsigned', `${WHERE} carries no ${JWS_KEY_PREFIX}${id} signature: the bootstrapsigner controller is off, so kubeadm join --token fails discovery.`, `Start kube-controller-manager with ${SIGNER_CONTROLLERS_FLAG} (both controllers are off by default).`);
  }
  if (token.secret === undefined) return at('unknown', `${WHERE} carries a ${JWS_KEY_PREFIX}${id} signature (not verified: the token's secret was not read).`);
  if (!verifyDetachedJws(jws, content, id, token.secret)) {
    return at('invalid', `The ${JWS_KEY_PREFIX}${id} signature in ${WHERE} does not verify with token ${id}: kubeadm join rejects it.`, `The signature is stale or forged: with the bootstrapsigner running (${SIGNER_CONTROLLERS_FLAG}) it is rewritten; otherwise delete the key.`);
  }
  return at('valid', `${WHERE} is signed for token ${id} (${JWS_KEY_PREFIX}${id}, HS256 verified with the token).`);
}

/** Reads cluster-info; a permission or API failure is kept as `error` (other reads go on). */
export async function readClusterInfo(cluster: Cluster): Promise<ClusterInfoRead> {
  try {
    return { data: await cluster.getClusterInfo() };
  } catch (e) {
    if (isKrustletError(e, 'unreachable') || isKrustletError(e, 'timeout') || isKrustletError(e, 'unauthorized')) throw e;
    return { error: describeError(e) };
  }
}

/** Every token's discovery state (secrets read to verify, never returned). `ids`: only these tokens. */
export async function checkDiscovery(cluster: Cluster, ids?: readonly string[]): Promise<{ read: ClusterInfoRead; tokens: TokenDiscovery[] }> {
  const [read, all] = await Promise.all([readClusterInfo(cluster), cluster.listTokens({ includeSecrets: true })]);
  const signing = all.filter((t) => t.usages.includes('signing') && !t.expired).map((t) => t.id);
  const chosen = ids ? all.filter((t) => ids.includes(t.id)) : all.filter((t) => !t.expired);
  if (ids) {
    const missing = ids.filter((id) => !all.some((t) => t.id === id));
    if (missing.length) throw new KrustletError('not-found', `Bootstrap token '${missing[0]}' does not exist.`, undefined, { fix: { kind: 'list', data: { what: 'tokens' } } });
  }
  return { read, tokens: chosen.map((t) => judgeDiscovery(read, t, signing)) };
}

/** Preflight findings for kubeadm join's token discovery: cluster-info itself, then each token (when cluster-info can be read). */
export async function discoveryFindings(cluster: Cluster, ids?: readonly string[]): Promise<PreflightFinding[]> {
  const { read, tokens } = await checkDiscovery(cluster, ids);
  if (!read.data) return [judgeAsFinding(judgeDiscovery(read, { id: '', usages: ['signing'] }))];
  const target = read.data[KUBECONFIG_KEY] !== undefined ? clusterInfoTarget(read.data[KUBECONFIG_KEY]) : undefined;
  const sameServer = target?.server === cluster.server;
  const sameCa = !cluster.caData || target?.caData === cluster.caData;
  const findings: PreflightFinding[] = [
    sameServer && sameCa
      ? { id: 'cluster-info', ok: true, message: `${WHERE} names this context's server and CA.` }
      : {
          id: 'cluster-info',
          ok: false,
          message: `${WHERE} names ${target?.server ? `server ${target.server}` : 'no server'}${sameCa ? '' : ' and another CA'}; this context uses ${cluster.server}. Joiners go where cluster-info says.`,
          fix: "Check that cluster-info is this cluster's; recreate it if it is stale.",
        },
  ];
  for (const t of tokens) findings.push(judgeAsFinding(t));
  return findings;
}

function judgeAsFinding(t: TokenDiscovery): PreflightFinding {
  const id = t.tokenId ? `discovery:${t.tokenId}` : t.state === 'no-configmap' ? CLUSTER_INFO_MISSING : 'cluster-info';
  const f: PreflightFinding = { id, ok: t.state === 'valid', message: t.message };
  if (t.fix) f.fix = t.fix;
  return f;
}

/** Creates cluster-info as kubeadm does, from this context's server and CA (an existing one is left alone). */
export function createClusterInfoFor(cluster: Cluster): ReturnType<Cluster['createClusterInfo']> {
  return cluster.createClusterInfo(clusterInfoKubeconfig(cluster.server, cluster.caData));
}
