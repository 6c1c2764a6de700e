/**
 * Two facts read straight from DER, for the render path where a full X.509 parse (≈ 0.2 ms each)
 * of thousands of objects is too slow: a certificate's validity, and a PKCS#10 request's subject CN.
 * Anything malformed gives undefined; nothing here judges security (the review decodes fully).
 */

interface Tlv {
  tag: number;
  /** Content start and end offsets. */
  start: number;
  end: number;
}

function readTlv(b: Uint8Array, off: number, limit: number): Tlv | undefined {
  if (off + 2 > limit) return undefined;
  const tag = b[off];
  let len = b[off + 1];
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
  }
  const end = start + len;
  return end > limit ? undefined : { tag, start, end };
}

/** The children of a constructed TLV. */
function children(b: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = t.start; off < t.end; ) {
    const c = readTlv(b, off, t.end);
    if (!c) return out;
    out.push(c);
    off = c.end;
  }
  return out;
}

/** The DER of the first PEM block of this type. */
export function pemBody(pem: string, type: string): Uint8Array | undefined {
  const begin = pem.indexOf(`-----BEGIN ${type}-----`);
  if (begin < 0) return undefined;
  const from = begin + `-----BEGIN ${type}-----`.length;
  const end = pem.indexOf(`-----END ${type}-----`, from);
  if (end < 0) return undefined;
  return Buffer.from(pem.slice(from, end).replace(/\s+/g, ''), 'base64');
}

function time(b: Uint8Array, t: Tlv): Date | undefined {
  const s = Buffer.from(b.subarray(t.start, t.end)).toString('latin1');
  const m = t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : t.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) return undefined;
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900;
  const d = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** notBefore / notAfter of the first certificate in `pem`. */
export function certificateValidity(pem: string): { notBefore: Date; notAfter: Date } | undefined {
  const b = pemBody(pem, 'CERTIFICATE');
  if (!b) return undefined;
  const cert = readTlv(b, 0, b.length);
  if (!cert || cert.tag !== 0x30) return undefined;
  const tbs = children(b, cert)[0];
  if (!tbs || tbs.tag !== 0x30) return undefined;
  const f = children(b, tbs);
  const i = f[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  const validity = f[i + 3]; // serial, signature algorithm, issuer, validity
  if (!validity || validity.tag !== 0x30) return undefined;
  const [nb, na] = children(b, validity);
  const notBefore = nb && time(b, nb);
  const notAfter = na && time(b, na);
  return notBefore && notAfter ? { notBefore, notAfter } : undefined;
}

const CN_OID = [0x55, 0x04, 0x03];

/** The subject CN of a PKCS#10 request (PEM "CERTIFICATE REQUEST"). */
export function requestCommonName(pem: string): string | undefined {
  const b = pemBody(pem, 'CERTIFICATE REQUEST') ?? pemBody(pem, 'NEW CERTIFICATE REQUEST');
  if (!b) return undefined;
  const req = readTlv(b, 0, b.length);
  if (!req || req.tag !== 0x30) return undefined;
  const info = children(b, req)[0];
  if (!info || info.tag !== 0x30) return undefined;
  const subject = children(b, info)[1]; // version, subject
  if (!subject || subject.tag !== 0x30) return undefined;
  for (const rdn of children(b, subject)) {
    for (const atv of children(b, rdn)) {
      const [oid, value] = children(b, atv);
      if (!oid || !value || oid.tag !== 0x06 || oid.end - oid.start !== 3) continue;
      if (CN_OID.every((x, k) => b[oid.start + k] === x)) return Buffer.from(b.subarray(value.start, value.end)).toString('utf8');
    }
  }
  return undefined;
}
