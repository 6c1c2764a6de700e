/** certificates.k8s.io/v1 CertificateSigningRequests: list, get, approve/deny (via /approval), delete, create. */
import { KrustletError, isKrustletError } from '../errors';
import type { CsrCondition, CsrInfo, CsrState } from '../types';
import { objectSegment, type Transport } from './transport';

export const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/** The parts of a v1 CertificateSigningRequest we read (a plain JSON object from the API). */
export interface V1Csr {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string | Date };
  spec?: {
    request?: string;
    signerName?: string;
    usages?: string[];
    username?: string;
    groups?: string[];
    expirationSeconds?: number;
  };
  status?: {
    conditions?: { type?: string; status?: string; reason?: string; message?: string; lastUpdateTime?: string | Date }[];
    certificate?: string;
  };
}

function date(v: string | Date | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Pure: pending / approved / issued / denied / failed from the conditions and certificate. */
export function csrState(conditions: CsrCondition[], hasCertificate: boolean): CsrState {
  const on = (type: string) => conditions.some((c) => c.type === type && (c.status ?? 'True') === 'True');
  if (on('Denied')) return 'denied';
  if (on('Failed')) return 'failed';
  if (on('Approved')) return hasCertificate ? 'issued' : 'approved';
  return 'pending';
}

/** Pure converter from the API object (JSON, or client-node's typed object) to {@link CsrInfo}. */
export function toCsrInfo(csr: V1Csr): CsrInfo {
  const spec = csr.spec ?? {};
  const conditions: CsrCondition[] = (csr.status?.conditions ?? []).map((c) => {
    const out: CsrCondition = { type: c.type ?? '' };
    if (c.status !== undefined) out.status = c.status;
    if (c.reason !== undefined) out.reason = c.reason;
    if (c.message !== undefined) out.message = c.message;
    const t = date(c.lastUpdateTime);
    if (t) out.lastUpdateTime = t;
    return out;
  });
  const hasCertificate = !!csr.status?.certificate;
  let requestPem = '';
  if (spec.request) requestPem = Buffer.from(spec.request, 'base64').toString('utf8');
  const info: CsrInfo = {
    name: csr.metadata?.name ?? '',
    signerName: spec.signerName ?? '',
    requestPem,
    usages: spec.usages ?? [],
    groups: spec.groups ?? [],
    conditions,
    hasCertificate,
    state: csrState(conditions, hasCertificate),
  };
  if (csr.metadata?.uid) info.uid = csr.metadata.uid;
  if (csr.metadata?.resourceVersion) info.resourceVersion = csr.metadata.resourceVersion;
  const created = date(csr.metadata?.creationTimestamp);
  if (created) info.createdAt = created;
  if (spec.username !== undefined) info.username = spec.username;
  if (spec.expirationSeconds !== undefined) info.expirationSeconds = spec.expirationSeconds;
  if (csr.status?.certificate) info.certificatePem = Buffer.from(csr.status.certificate, 'base64').toString('utf8');
  return info;
}

function notFound(name: string): KrustletError {
  return new KrustletError('not-found', `CertificateSigningRequest '${name}' does not exist.`, 'It may have been deleted or garbage-collected.', { fix: { kind: 'list', data: { what: 'csrs' } } });
}

async function getRaw(t: Transport, name: string): Promise<V1Csr> {
  try {
    return await t.request<V1Csr>('GET', `${CSR_PATH}/${objectSegment('CertificateSigningRequest', name)}`);
  } catch (e) {
    if (isKrustletError(e, 'not-found')) throw notFound(name);
    throw e;
  }
}

/** `limit` asks the server for at most that many items (a cheap access probe: `{ limit: 1 }`). */
export async function listCsrs(t: Transport, opts: { limit?: number } = {}): Promise<{ items: CsrInfo[]; resourceVersion: string }> {
  const path = opts.limit ? `${CSR_PATH}?limit=${opts.limit}` : CSR_PATH;
  const list = await t.request<{ items?: V1Csr[]; metadata?: { resourceVersion?: string } }>('GET', path);
  return { items: (list.items ?? []).map(toCsrInfo), resourceVersion: list.metadata?.resourceVersion ?? '' };
}

export async function getCsr(t: Transport, name: string): Promise<CsrInfo> {
  return toCsrInfo(await getRaw(t, name));
}

/** The PEM certificate issued for a CSR, if any. */
export async function getCsrCertificate(t: Transport, name: string): Promise<string | undefined> {
  const raw = await getRaw(t, name);
  return raw.status?.certificate ? Buffer.from(raw.status.certificate, 'base64').toString('utf8') : undefined;
}

/**
 * The body for PUT /approval from an already-known copy (e.g. the informer's): the server takes only
 * status.conditions from it (spec and certificate come from its stored object) and, through
 * metadata.resourceVersion, rejects it with 409 Conflict if the CSR changed since that copy was read.
 */
function rawFromInfo(info: CsrInfo): V1Csr {
  const spec: NonNullable<V1Csr['spec']> = {
    request: Buffer.from(info.requestPem, 'utf8').toString('base64'),
    signerName: info.signerName,
    usages: info.usages,
    groups: info.groups,
  };
  if (info.username !== undefined) spec.username = info.username;
  if (info.expirationSeconds !== undefined) spec.expirationSeconds = info.expirationSeconds;
  const metadata: NonNullable<V1Csr['metadata']> = { name: info.name, resourceVersion: info.resourceVersion };
  if (info.uid) metadata.uid = info.uid;
  return {
    metadata,
    spec,
    status: {
      conditions: info.conditions.map((c) => ({
        type: c.type,
        status: c.status,
        reason: c.reason,
        message: c.message,
        lastUpdateTime: c.lastUpdateTime?.toISOString(),
      })),
    },
  };
}

/** How many times a 409 Conflict on the PUT leads to reading the CSR again and retrying. */
const CONFLICT_RETRIES = 2;

async function decide(t: Transport, name: string, type: 'Approved' | 'Denied', reason: string, message: string, known?: CsrInfo): Promise<CsrInfo> {
  // A known copy (same name, with the resourceVersion it was read at) saves the GET: one round trip.
  // It is never trusted over the server: the PUT carries its resourceVersion, so if anyone changed the
  // CSR since (approved, denied, the signer issued it) the server answers 409 and we read it again.
  let fromKnown = !!known && known.name === name && !!known.resourceVersion;
  for (let attempt = 0; ; attempt++) {
    const csr = fromKnown && known ? rawFromInfo(known) : await getRaw(t, name);
    const info = fromKnown && known ? known : toCsrInfo(csr);
    // Read again after a 409: the name may now belong to a new request (deleted and created again), which
    // nobody reviewed. Decide only the request that was known.
    if (known?.uid && info.uid && info.uid !== known.uid) {
      throw new KrustletError('conflict', `CSR '${name}' is a new request since it was reviewed (it was deleted and created again); it was not ${type === 'Approved' ? 'approved' : 'denied'}.`, 'Review the new request before deciding it.', { fix: { kind: 'list', data: { what: 'csrs' } } });
    }
    if (info.state === 'denied' || (type === 'Denied' && (info.state === 'approved' || info.state === 'issued'))) {
      throw new KrustletError('conflict', `CSR '${name}' is already ${info.state}.`, 'A decided CSR cannot be changed; the requester must create a new one.', { fix: { kind: 'list', data: { what: 'csrs' } } });
    }
    if (type === 'Approved' && (info.state === 'approved' || info.state === 'issued')) return info;
    const conditions = [...(csr.status?.conditions ?? []), { type, status: 'True', reason, message, lastUpdateTime: new Date().toISOString() }];
    try {
      const updated = await t.request<V1Csr>('PUT', `${CSR_PATH}/${objectSegment('CertificateSigningRequest', name)}/approval`, {
        body: { ...csr, apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', status: { ...csr.status, conditions } },
      });
      return toCsrInfo(updated);
    } catch (e) {
      // The CSR changed since our copy (another client decided it, or the signer wrote the
      // certificate): read it again and decide from what the server holds now.
      if (isKrustletError(e, 'conflict') && attempt < CONFLICT_RETRIES) {
        fromKnown = false;
        continue;
      }
      if (isKrustletError(e, 'not-found')) throw notFound(name);
      throw e;
    }
  }
}

/**
 * Approves a CSR. With `known` (a copy read earlier, e.g. from an informer, carrying its
 * resourceVersion) this is one PUT; a stale copy gets 409 Conflict, and the CSR is read again: if it
 * was decided meanwhile, a denial is reported as a `conflict` error and an approval is returned as is.
 */
export function approveCsr(t: Transport, name: string, reason = 'KrustletBootstrapApprove', message = 'Approved with krustlet-bootstrap', known?: CsrInfo): Promise<CsrInfo> {
  return decide(t, name, 'Approved', reason, message, known);
}

/** Denies a CSR; `known` as for {@link approveCsr}. A CSR approved or denied meanwhile is a `conflict` error. */
export function denyCsr(t: Transport, name: string, reason = 'KrustletBootstrapDeny', message = 'Denied with krustlet-bootstrap', known?: CsrInfo): Promise<CsrInfo> {
  return decide(t, name, 'Denied', reason, message, known);
}

/** Deletes a CSR; with `exactly` (uid and resourceVersion as listed) the server refuses (409) when it is not that object any more. */
export async function deleteCsr(t: Transport, name: string, exactly?: { uid?: string; resourceVersion?: string }): Promise<void> {
  try {
    const body = exactly ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: exactly } : undefined;
    await t.request('DELETE', `${CSR_PATH}/${objectSegment('CertificateSigningRequest', name)}`, body ? { body } : {});
  } catch (e) {
    if (isKrustletError(e, 'not-found')) throw notFound(name);
    throw e;
  }
}

export interface CreateCsrOptions {
  name: string;
  /** PEM "CERTIFICATE REQUEST". */
  requestPem: string;
  signerName: string;
  usages: string[];
  /** Kubernetes ≥ 1.22 only. */
  expirationSeconds?: number;
}

export async function createCsr(t: Transport, o: CreateCsrOptions): Promise<CsrInfo> {
  const spec: Record<string, unknown> = {
    request: Buffer.from(o.requestPem, 'utf8').toString('base64'),
    signerName: o.signerName,
    usages: o.usages,
  };
  if (o.expirationSeconds !== undefined) spec.expirationSeconds = o.expirationSeconds;
  const created = await t.request<V1Csr>('POST', CSR_PATH, {
    body: { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: o.name }, spec },
  });
  return toCsrInfo(created);
}
