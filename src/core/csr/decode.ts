/**
 * Decodes the PKCS#10 request inside a CertificateSigningRequest (spec.request, PEM) with
 * @peculiar/x509, and verifies its self-signature synchronously with node:crypto (so a review can
 * run in a tree tooltip without awaiting). Never throws: junk input gives `{ ok: false, error }`.
 *
 * The x509 stack (@peculiar/x509, asn1, tsyringe, reflect-metadata: ~300 kB bundled) is loaded on
 * the first decode, not when this module loads: the extension's activation and the CLI's bootstrap
 * never pay for it. esbuild keeps a `require` inside a function lazy (the module's init runs at the
 * first call).
 */
import type * as X509 from '@peculiar/x509';
import { createPublicKey, verify as cryptoVerify, constants, type KeyObject } from 'node:crypto';
import type { DecodedRequest } from '../types';

let x509Module: typeof X509 | undefined;

/** @peculiar/x509, loaded (synchronously) at the first call. */
function x509(): typeof X509 {
  if (!x509Module) {
    /* eslint-disable @typescript-eslint/no-require-imports -- a lazy, synchronous load (see the top of the file) */
    require('reflect-metadata'); // @peculiar/x509 (tsyringe) needs a Reflect polyfill loaded first
    x509Module = require('@peculiar/x509') as typeof X509;
    /* eslint-enable @typescript-eslint/no-require-imports */
  }
  return x509Module;
}

/** Loads the x509 stack now (e.g. while a CSR list is on its way), so the first decode does not pay for it. */
export function loadX509(): void {
  x509();
}

/** True once the x509 stack has been loaded (tests and the bench check that activation does not load it). */
export function x509Loaded(): boolean {
  return x509Module !== undefined;
}

export type DecodeResult = { ok: true; decoded: DecodedRequest } | { ok: false; error: string };

/** A PEM request larger than this is refused before parsing (a kubelet CSR is well under 2 KB). */
const MAX_PEM_CHARS = 64 * 1024;
const PEM_RE = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]*?)-----END (NEW )?CERTIFICATE REQUEST-----/;
const SAN_OID = '2.5.29.17';

const CURVES: Record<string, { name: string; bits: number }> = {
  prime256v1: { name: 'P-256', bits: 256 },
  secp384r1: { name: 'P-384', bits: 384 },
  secp521r1: { name: 'P-521', bits: 521 },
  'P-256': { name: 'P-256', bits: 256 },
  'P-384': { name: 'P-384', bits: 384 },
  'P-521': { name: 'P-521', bits: 521 },
};

/** Accepts the PEM text, or the base64 of the PEM as found in spec.request. */
export function decodeCsrPem(input: string | Uint8Array): DecodeResult {
  const cacheKey = typeof input === 'string' && input.length <= MAX_PEM_CHARS ? input : undefined;
  const hit = cacheKey !== undefined ? cache.get(cacheKey) : undefined;
  if (hit) return copy(hit);
  let result: DecodeResult;
  try {
    result = decodeOrThrow(input);
  } catch (e) {
    result = { ok: false, error: `The request could not be decoded: ${e instanceof Error ? e.message : String(e)}.` };
  }
  if (cacheKey !== undefined) {
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(cacheKey, result);
  }
  return copy(result);
}

/**
 * Parsing takes ~2 ms; a tree re-renders tooltips on every watch event, so decoded requests are
 * remembered by their PEM text (a CSR's request never changes). Callers get their own copy.
 */
const CACHE_SIZE = 512;
const cache = new Map<string, DecodeResult>();

function copy(r: DecodeResult): DecodeResult {
  if (!r.ok) return { ...r };
  const d = r.decoded;
  return {
    ok: true,
    decoded: {
      ...d,
      organizations: [...d.organizations],
      dnsNames: [...d.dnsNames],
      ipAddresses: [...d.ipAddresses],
      emailAddresses: [...d.emailAddresses],
      uris: [...d.uris],
      ...(d.otherSans ? { otherSans: [...d.otherSans] } : {}),
    },
  };
}

/** The PEM text of spec.request (which the API returns base64-encoded). */
export function requestPemFromSpec(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}

function decodeOrThrow(input: string | Uint8Array): DecodeResult {
  let text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  if (text.length > MAX_PEM_CHARS) return { ok: false, error: `The request is ${text.length} characters long, far more than a PKCS#10 request.` };
  if (!text.includes('-----BEGIN') && /^[A-Za-z0-9+/=\s]+$/.test(text)) {
    // spec.request as the API sends it: base64 of the PEM.
    text = Buffer.from(text, 'base64').toString('utf8');
  }
  const m = PEM_RE.exec(text);
  if (!m) return { ok: false, error: 'The request holds no PEM "CERTIFICATE REQUEST" block.' };
  const der = Buffer.from(m[2].replace(/\s+/g, ''), 'base64');
  if (der.length === 0) return { ok: false, error: 'The PEM "CERTIFICATE REQUEST" block is empty.' };

  const x = x509();
  const req = new x.Pkcs10CertificateRequest(der);
  const name = req.subjectName;
  const commonName = name.getField('CN')[0];
  const organizations = name.getField('O');

  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const emailAddresses: string[] = [];
  const uris: string[] = [];
  const otherSans: string[] = [];
  for (const ext of req.extensions) {
    if (ext.type !== SAN_OID) continue;
    let san: X509.SubjectAlternativeNameExtension;
    try {
      san = ext instanceof x.SubjectAlternativeNameExtension ? ext : new x.SubjectAlternativeNameExtension(ext.rawData);
    } catch (e) {
      // e.g. an otherName the library does not parse: still a SAN the approver must see.
      otherSans.push(`unparsed:${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    for (const n of san.names.items) {
      switch (n.type) {
        case 'dns': dnsNames.push(n.value); break;
        case 'ip': ipAddresses.push(n.value); break;
        case 'email': emailAddresses.push(n.value); break;
        case 'url': uris.push(n.value); break;
        default: otherSans.push(`${n.type}:${n.value}`);
      }
    }
  }

  const spki = Buffer.from(req.publicKey.rawData);
  let key: KeyObject | undefined;
  let keyAlgorithm: string;
  let keyBits: number | undefined;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    ({ keyAlgorithm, keyBits } = describeKey(key));
  } catch {
    keyAlgorithm = `unsupported (${(req.publicKey.algorithm as { name?: string }).name ?? 'unknown'})`;
  }

  const sigAlg = req.signatureAlgorithm as { name?: string; hash?: { name?: string } | string; saltLength?: number };
  const hashName = typeof sigAlg.hash === 'string' ? sigAlg.hash : sigAlg.hash?.name;
  const signatureAlgorithm = hashName ? `${sigAlg.name ?? 'unknown'} with ${hashName}` : (sigAlg.name ?? 'unknown');
  let signatureValid = false;
  if (key) {
    try {
      signatureValid = verifySignature(der, Buffer.from(req.signature), key, sigAlg.name ?? '', hashName, sigAlg.saltLength);
    } catch {
      signatureValid = false;
    }
  }

  const decoded: DecodedRequest = {
    commonName,
    organizations,
    dnsNames,
    ipAddresses,
    emailAddresses,
    uris,
    keyAlgorithm,
    keyBits,
    signatureAlgorithm,
    signatureValid,
  };
  if (otherSans.length) decoded.otherSans = otherSans;
  return { ok: true, decoded };
}

function describeKey(key: KeyObject): { keyAlgorithm: string; keyBits?: number } {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return { keyAlgorithm: `RSA ${details.modulusLength ?? '?'}`, keyBits: details.modulusLength };
    case 'ec': {
      const c = CURVES[details.namedCurve ?? ''];
      return c ? { keyAlgorithm: `ECDSA ${c.name}`, keyBits: c.bits } : { keyAlgorithm: `ECDSA ${details.namedCurve ?? '?'}` };
    }
    case 'ed25519': return { keyAlgorithm: 'Ed25519', keyBits: 256 };
    case 'ed448': return { keyAlgorithm: 'Ed448', keyBits: 456 };
    default: return { keyAlgorithm: String(key.asymmetricKeyType ?? 'unknown') };
  }
}

function verifySignature(der: Buffer, signature: Buffer, key: KeyObject, alg: string, hashName: string | undefined, saltLength: number | undefined): boolean {
  const tbs = firstElementOfSequence(der);
  const hash = hashName ? hashName.replace('-', '').toLowerCase() : null; // SHA-256 → sha256
  switch (alg) {
    case 'ECDSA':
      return cryptoVerify(hash, tbs, { key, dsaEncoding: 'der' }, signature);
    case 'RSASSA-PKCS1-v1_5':
      return cryptoVerify(hash, tbs, key, signature);
    case 'RSA-PSS':
      return cryptoVerify(hash, tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: saltLength ?? 32 }, signature);
    case 'Ed25519':
    case 'Ed448':
    case 'EdDSA':
      return cryptoVerify(null, tbs, key, signature);
    default:
      return false;
  }
}

/** The exact DER bytes of CertificationRequestInfo: the first element of the outer SEQUENCE. */
function firstElementOfSequence(der: Buffer): Buffer {
  const outer = readHeader(der, 0);
  if (der[0] !== 0x30) throw new Error('not a DER SEQUENCE');
  const inner = readHeader(der, outer.headerEnd);
  return der.subarray(outer.headerEnd, inner.headerEnd + inner.length);
}

function readHeader(buf: Buffer, at: number): { headerEnd: number; length: number } {
  if (at + 2 > buf.length) throw new Error('truncated DER');
  const first = buf[at + 1];
  if (first < 0x80) return { headerEnd: at + 2, length: first };
  const n = first & 0x7f;
  if (n === 0 || n > 4 || at + 2 + n > buf.length) throw new Error('unsupported DER length');
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + buf[at + 2 + i];
  if (at + 2 + n + length > buf.length) throw new Error('truncated DER');
  return { headerEnd: at + 2 + n, length };
}
