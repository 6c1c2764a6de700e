/**
 * Real CSRs for tests: fresh keys from node:crypto's WebCrypto, PKCS#10 requests built with
 * @peculiar/x509. Gives the PEM, the base64 for spec.request, a CsrInfo for the pure review, and a
 * certificates.k8s.io/v1 manifest for creating it in the real API server.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import type { CsrInfo } from '../../src/core/types';
import { kubectl } from './kubectl';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type KeyKind = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-1024';

export interface CsrSpec {
  /** Subject CN, e.g. `system:node:myhost`. Omit for none. */
  cn?: string;
  /** Subject O values, e.g. ['system:nodes']. */
  o?: string[];
  dns?: string[];
  ips?: string[];
  emails?: string[];
  uris?: string[];
  key?: KeyKind;
}

export interface MadeCsr {
  pem: string;
  /** base64 of the PEM: what goes into spec.request. */
  base64: string;
  privateKeyPem: string;
}

function keyAlgorithm(kind: KeyKind): { gen: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams; sign: webcrypto.Algorithm | webcrypto.EcdsaParams } {
  switch (kind) {
    case 'ecdsa-p256': return { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } };
    case 'ecdsa-p384': return { gen: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } };
    case 'rsa-2048':
    case 'rsa-1024': {
      const modulusLength = kind === 'rsa-2048' ? 2048 : 1024;
      return { gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5' } };
    }
  }
}

export async function makeCsr(spec: CsrSpec = {}): Promise<MadeCsr> {
  const { gen, sign } = keyAlgorithm(spec.key ?? 'ecdsa-p256');
  const keys = await webcrypto.subtle.generateKey(gen, true, ['sign', 'verify']);
  const name: x509.JsonName = [];
  if (spec.cn !== undefined) name.push({ CN: [spec.cn] });
  for (const o of spec.o ?? []) name.push({ O: [o] });
  const sans: x509.JsonGeneralName[] = [
    ...(spec.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(spec.emails ?? []).map((value) => ({ type: 'email' as const, value })),
    ...(spec.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: sign,
    extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  const pem = req.toString('pem') + '\n';
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { pem, base64: Buffer.from(pem).toString('base64'), privateKeyPem };
}

/** What Krustlet asks for: serving CSR `<hostname>-tls`, CN with the raw hostname, SANs DNS=<hostname> and IP=<node-ip>. */
export function krustletServingSpec(hostname: string, nodeIp: string): CsrSpec {
  return { cn: `system:node:${hostname}`, o: ['system:nodes'], dns: [hostname], ips: [nodeIp], key: 'ecdsa-p256' };
}

/** Krustlet's client CSR `<node-name>`: CN=system:node:<node-name>, O=system:nodes, no SANs. */
export function krustletClientSpec(nodeName: string): CsrSpec {
  return { cn: `system:node:${nodeName}`, o: ['system:nodes'], key: 'ecdsa-p256' };
}

export const SERVING_USAGES = ['digital signature', 'key encipherment', 'server auth'];
export const CLIENT_USAGES = ['digital signature', 'key encipherment', 'client auth'];

/** A CsrInfo as the cluster adapter would produce, for the pure review (defaults: a pending Krustlet serving CSR). */
export function csrInfo(pem: string, over: Partial<CsrInfo> = {}): CsrInfo {
  return {
    name: 'myhost-tls',
    signerName: 'kubernetes.io/kubelet-serving',
    requestPem: pem,
    usages: [...SERVING_USAGES],
    username: 'system:node:myhost',
    groups: ['system:nodes', 'system:authenticated'],
    conditions: [],
    hasCertificate: false,
    state: 'pending',
    createdAt: new Date(),
    ...over,
  };
}

/** A certificates.k8s.io/v1 CertificateSigningRequest body for creating it in the API server. */
export function csrManifest(name: string, made: MadeCsr, signerName: string, usages: string[], labels?: Record<string, string>) {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { request: made.base64, signerName, usages },
  };
}

/**
 * Creates a CSR in the API server as the node itself would (kubectl impersonating `system:node:<node>`
 * in group system:nodes, so the API server fills in spec.username and spec.groups exactly as for a
 * real kubelet), or as the kubeconfig's own user when `node` is undefined.
 */
export async function createCsrAs(kubeconfig: string, node: string | undefined, name: string, spec: CsrSpec, signer: string, usages: string[]): Promise<void> {
  const made = await makeCsr(spec);
  const as = node ? ['--as', `system:node:${node}`, '--as-group', 'system:nodes'] : [];
  await kubectl(kubeconfig, [...as, 'create', '-f', '-'], JSON.stringify(csrManifest(name, made, signer, usages)));
}
