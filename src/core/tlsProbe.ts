/**
 * A Node's serving certificate read the way a client sees it: a TLS handshake with its kubelet
 * endpoint (an address from status.addresses, the port from status.daemonEndpoints), for when no
 * issued serving CSR of the node is listed any more (kube-controller-manager removes decided CSRs
 * after an hour). Bounded (a deadline per handshake), cancellable (an AbortSignal), and nothing is
 * sent: the connection closes as soon as the server's certificate is in.
 */
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { certificateDetails, type CertificateDetails } from './nodes';
import type { NodeInfo } from './types';

export const TLS_PROBE_TIMEOUT_MS = 3000;

/** The address to reach a node's kubelet at: its InternalIP, else ExternalIP, else any IP; with its kubelet port. */
export function kubeletEndpoint(n: NodeInfo): { host: string; port: number } | undefined {
  if (!n.kubeletPort) return undefined;
  const pick = (type: string) => n.addresses.find((a) => a.type === type && isIP(a.address))?.address;
  const host = pick('InternalIP') ?? pick('ExternalIP') ?? n.addresses.find((a) => isIP(a.address))?.address;
  return host ? { host, port: n.kubeletPort } : undefined;
}

/** The certificate the endpoint presents (not verified: what it is, is the point), or why it could not be read. */
export function readServingCertificate(host: string, port: number, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ details: CertificateDetails } | { error: string }> {
  const endpoint = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  return new Promise((resolve) => {
    if (opts.signal?.aborted) return resolve({ error: 'cancelled' });
    let done = false;
    const finish = (r: { details: CertificateDetails } | { error: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const socket = tls.connect({ host, port, rejectUnauthorized: false, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] }, () => {
      const peer = socket.getPeerCertificate();
      if (!peer?.raw) return finish({ error: `${endpoint} presented no certificate` });
      const pem = `-----BEGIN CERTIFICATE-----\n${peer.raw.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
      const details = certificateDetails(pem, { kind: 'tls', endpoint });
      finish(details ? { details } : { error: `${endpoint} presented a certificate that cannot be read` });
    });
    const onAbort = () => finish({ error: 'cancelled' });
    opts.signal?.addEventListener('abort', onAbort);
    const timer = setTimeout(() => finish({ error: `no TLS answer from ${endpoint} within ${opts.timeoutMs ?? TLS_PROBE_TIMEOUT_MS} ms` }), opts.timeoutMs ?? TLS_PROBE_TIMEOUT_MS);
    socket.on('error', (e: NodeJS.ErrnoException) => finish({ error: `TLS handshake with ${endpoint} failed: ${e.code ?? e.message}` }));
  });
}

/** What to tell a user whose kubelet serves a certificate it signed itself. */
export const SELF_SIGNED_FIX =
  "The kubelet serves a certificate it signed itself: no client can verify it (metrics-server: \"x509: cannot validate certificate … because it doesn't contain any IP SANs\"). Fix: set serverTLSBootstrap: true in the kubelet's KubeletConfiguration (Krustlet always asks for one), then approve its kubelet-serving CSR here.";
