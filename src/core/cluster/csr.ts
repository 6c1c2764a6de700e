/** certificates.k8s.io/v1 CertificateSigningRequests: list, get, approve/deny (via /approval), delete, create. */
import { KrustletError, isKrustletError } from '../errors';
import type { CsrCondition, CsrInfo, CsrState } from '../types';
import type { Transport } from './connect';

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
  return info;
}

function notFound(name: string): KrustletError {
  return new KrustletError('not-found', `CertificateSigningRequest '${name}' does not exist.`, 'It may have been deleted or garbage-collected; list the CSRs again.');
}

async function getRaw(t: Transport, name: string): Promise<V1Csr> {
  try {
    return await t.request<V1Csr>('GET', `${CSR_PATH}/${encodeURIComponent(name)}`);
  } catch (e) {
    if (isKrustletError(e, 'not-found')) throw notFound(name);
    throw e;
  }
}

export async function listCsrs(t: Transport): Promise<{ items: CsrInfo[]; resourceVersion: string }> {
  const list = await t.request<{ items?: V1Csr[]; metadata?: { resourceVersion?: string } }>('GET', CSR_PATH);
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

async function decide(t: Transport, name: string, type: 'Approved' | 'Denied', reason: string, message: string): Promise<CsrInfo> {
  for (let attempt = 0; ; attempt++) {
    const csr = await getRaw(t, name);
    const info = toCsrInfo(csr);
    if (info.state === 'denied' || (type === 'Denied' && (info.state === 'approved' || info.state === 'issued'))) {
      throw new KrustletError('conflict', `CSR '${name}' is already ${info.state}.`, 'A decided CSR cannot be changed; the requester must create a new one.');
    }
    if (type === 'Approved' && (info.state === 'approved' || info.state === 'issued')) return info;
    const conditions = [...(csr.status?.conditions ?? []), { type, status: 'True', reason, message, lastUpdateTime: new Date().toISOString() }];
    try {
      const updated = await t.request<V1Csr>('PUT', `${CSR_PATH}/${encodeURIComponent(name)}/approval`, {
        body: { ...csr, apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', status: { ...csr.status, conditions } },
      });
      return toCsrInfo(updated);
    } catch (e) {
      // The CSR changed meanwhile (e.g. the signer wrote the certificate): read it again, once or twice.
      if (isKrustletError(e, 'conflict') && attempt < 2) continue;
      if (isKrustletError(e, 'not-found')) throw notFound(name);
      throw e;
    }
  }
}

export function approveCsr(t: Transport, name: string, reason = 'KrustletBootstrapApprove', message = 'Approved with krustlet-bootstrap'): Promise<CsrInfo> {
  return decide(t, name, 'Approved', reason, message);
}

export function denyCsr(t: Transport, name: string, reason = 'KrustletBootstrapDeny', message = 'Denied with krustlet-bootstrap'): Promise<CsrInfo> {
  return decide(t, name, 'Denied', reason, message);
}

export async function deleteCsr(t: Transport, name: string): Promise<void> {
  try {
    await t.request('DELETE', `${CSR_PATH}/${encodeURIComponent(name)}`);
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
