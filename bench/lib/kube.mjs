// A minimal admin client for the bench's own set-up and clean-up (bulk creates, deletes, metrics):
// JSON over HTTPS with one keep-alive agent, from the control plane's state.json. It is never what is
// measured; the product's own code and kubectl are.
import { generateKeyPairSync, createSign, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';

export const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
export const SECRETS_PATH = '/api/v1/namespaces/kube-system/secrets';
export const BENCH_LABEL = 'krustlet-bench';

/** Reads DIR/state.json written by scripts/cluster/controlplane.mjs. */
export function readState(dir) {
  return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
}

export class Kube {
  constructor(state, { maxSockets = 16 } = {}) {
    this.server = new URL(state.server);
    const pki = join(state.dir, 'pki');
    this.agent = new Agent({
      keepAlive: true,
      maxSockets,
      ca: readFileSync(state.caPath),
      cert: readFileSync(join(pki, 'admin.crt')),
      key: readFileSync(join(pki, 'admin.key')),
    });
  }

  request(method, path, body, { timeoutMs = 30_000, raw = false, contentType = 'application/json' } = {}) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      const headers = { Accept: raw ? '*/*' : 'application/json', 'User-Agent': 'krustlet-bench-setup' };
      if (payload) {
        headers['Content-Type'] = contentType;
        headers['Content-Length'] = payload.length;
      }
      const req = request(
        { host: this.server.hostname, port: this.server.port, path, method, headers, agent: this.agent, timeout: timeoutMs },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode >= 200 && res.statusCode < 300) resolve(raw ? text : text ? JSON.parse(text) : undefined);
            else {
              const e = new Error(`${method} ${path} → ${res.statusCode}: ${text.slice(0, 300)}`);
              e.statusCode = res.statusCode;
              reject(e);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight; returns the results in order. */
  async bulk(n, concurrency, fn) {
    const out = new Array(n);
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        out[i] = await fn(i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
    return out;
  }

  async count(path, labelSelector) {
    const q = new URLSearchParams({ limit: '1' });
    if (labelSelector) q.set('labelSelector', labelSelector);
    const r = await this.request('GET', `${path}?${q}`);
    return (r.items?.length ?? 0) + (r.metadata?.remainingItemCount ?? 0);
  }

  /** Deletes every object under `path` with the label (one collection DELETE). */
  deleteCollection(path, labelSelector) {
    return this.request('DELETE', `${path}?${new URLSearchParams({ labelSelector })}`, undefined, { timeoutMs: 300_000 });
  }

  /** Sum of apiserver_request_total by "VERB resource[/subresource]" (the server's own count of requests). */
  async requestTotals() {
    const text = await this.request('GET', '/metrics', undefined, { raw: true });
    const totals = {};
    for (const line of text.split('\n')) {
      if (!line.startsWith('apiserver_request_total{')) continue;
      const m = /^apiserver_request_total\{([^}]*)\}\s+([\d.e+]+)/.exec(line);
      if (!m) continue;
      const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
      totals[key] = (totals[key] ?? 0) + Number(m[2]);
    }
    return totals;
  }

  destroy() {
    this.agent.destroy();
  }
}

/** Difference of two requestTotals() snapshots, without zero entries. */
export function diffTotals(before, after) {
  const d = {};
  for (const [k, v] of Object.entries(after)) {
    const x = v - (before[k] ?? 0);
    if (x > 0) d[k] = x;
  }
  return d;
}

// ------------------------------------------------------------------ a real PKCS#10 request, by hand
// (DER for a CSR with CN/O and an optional DNS SAN, signed with ECDSA P-256; no dependency needed.)
const der = (tag, ...parts) => {
  const body = Buffer.concat(parts);
  let len;
  if (body.length < 0x80) len = Buffer.from([body.length]);
  else if (body.length < 0x100) len = Buffer.from([0x81, body.length]);
  else len = Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
};
const seq = (...p) => der(0x30, ...p);
const set = (...p) => der(0x31, ...p);
const oid = (hex) => der(0x06, Buffer.from(hex, 'hex'));
const utf8 = (s) => der(0x0c, Buffer.from(s, 'utf8'));
const OID_CN = '550403';
const OID_O = '55040a';
const OID_EXT_REQ = '2a864886f70d01090e';
const OID_SAN = '551d11';
const OID_ECDSA_SHA256 = '2a8648ce3d040302';

/** A PEM CSR like a kubelet's: CN=system:node:<host>, O=system:nodes, SAN DNS=<host>. */
export function makeCsrPem(host) {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = seq(set(seq(oid(OID_O), utf8('system:nodes'))), set(seq(oid(OID_CN), utf8(`system:node:${host}`))));
  const san = seq(der(0x82, Buffer.from(host, 'ascii')));
  const attrs = der(0xa0, seq(oid(OID_EXT_REQ), set(seq(seq(oid(OID_SAN), der(0x04, san))))));
  const info = seq(der(0x02, Buffer.from([0])), name, spki, attrs);
  const sig = createSign('SHA256').update(info).sign(privateKey);
  const csr = seq(info, seq(oid(OID_ECDSA_SHA256)), der(0x03, Buffer.concat([Buffer.from([0]), sig])));
  const b64 = csr.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}

export const SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
export const SERVING_USAGES = ['digital signature', 'key encipherment', 'server auth'];

export function csrBody(name, pem, labels = { [BENCH_LABEL]: 'true' }) {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name, labels },
    spec: { request: Buffer.from(pem).toString('base64'), signerName: SERVING_SIGNER, usages: SERVING_USAGES },
  };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export function randomToken() {
  const pick = (n) => [...randomBytes(n * 2)].filter((b) => b < 252).slice(0, n).map((b) => ALNUM[b % 36]).join('');
  return { id: pick(6), secret: pick(16) };
}

export function tokenSecretBody(id, secret, labels = { [BENCH_LABEL]: 'true' }) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system', labels },
    type: 'bootstrap.kubernetes.io/token',
    stringData: {
      'token-id': id,
      'token-secret': secret,
      expiration: new Date(Date.now() + 24 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      'usage-bootstrap-authentication': 'true',
      'usage-bootstrap-signing': 'true',
      'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
      description: 'krustlet bench',
    },
  };
}
