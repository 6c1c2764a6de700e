/**
 * kubeadm's join command: `kubeadm join <host:port> --token <id.secret> --discovery-token-ca-cert-hash sha256:<hex>`.
 * The hash pins the cluster CA as kubeadm does (cmd/kubeadm/app/util/pubkeypin): SHA-256 of the CA
 * certificate's DER SubjectPublicKeyInfo, one per CA in the bundle. Pure: no I/O.
 *
 * Node's own X509Certificate parses the certificates (the SPKI is `publicKey.export({ type: 'spki' })`):
 * nothing to load, so `token create --print-join-command` costs no extra bundle.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { KrustletError } from './errors';
import { formatToken } from './token';
import type { BootstrapToken } from './types';

const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function caProblem(message: string): KrustletError {
  return new KrustletError('ca-missing', message, "kubeadm join pins the cluster's CA by its public key: the context must name the CA (certificate-authority or certificate-authority-data).", {
    fix: { kind: 'select-context' },
  });
}

/** `sha256:<hex>` for each certificate in a PEM bundle (the CA file or certificate-authority-data), in order, without repeats. */
export function caCertHashes(caPem: string): string[] {
  const pems = caPem.match(PEM_CERT_RE) ?? [];
  if (!pems.length) throw caProblem('The cluster CA holds no PEM certificate.');
  const hashes: string[] = [];
  for (const pem of pems) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch (e) {
      throw caProblem(`A certificate in the cluster CA cannot be read (${String((e as Error).message).split('\n')[0]}).`);
    }
    const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
    const h = `sha256:${createHash('sha256').update(spki).digest('hex')}`;
    if (!hashes.includes(h)) hashes.push(h);
  }
  return hashes;
}

/** From base64 PEM (a kubeconfig's certificate-authority-data); undefined → the 'ca-missing' error. */
export function caCertHashesFromData(caData: string | undefined): string[] {
  if (!caData) throw caProblem('The context names no cluster CA, so no CA hash can be given to kubeadm join.');
  return caCertHashes(Buffer.from(caData, 'base64').toString('utf8'));
}

/** `https://10.0.0.1:6443/` → `10.0.0.1:6443`, `https://example.com` → `example.com:443` (kubeadm join wants host:port). */
export function joinEndpoint(server: string): string {
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    throw new KrustletError('no-server', `The server '${server.slice(0, 80)}' is not a URL.`, 'Fix the cluster entry of the kubeconfig.', { fix: { kind: 'edit-kubeconfig' } });
  }
  const port = u.port || (u.protocol === 'http:' ? '80' : '443');
  return `${u.hostname}:${port}`;
}

export interface JoinCommandInput {
  server: string;
  token: BootstrapToken;
  caCertHashes: readonly string[];
}

/** The command line, on one line as `kubeadm token create --print-join-command` prints it. Holds the secret. */
export function joinCommand(j: JoinCommandInput): string {
  if (!j.caCertHashes.length) throw caProblem('No CA hash to pin.');
  return [`kubeadm join ${joinEndpoint(j.server)} --token ${formatToken(j.token)}`, ...j.caCertHashes.map((h) => `--discovery-token-ca-cert-hash ${h}`)].join(' ');
}
