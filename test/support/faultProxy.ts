/**
 * A fault-injecting HTTPS proxy in front of the real API server. Unlike TcpProxy (TLS passes through)
 * it terminates TLS, so it sees each request's method and path and decides, per request, what
 * happens to it:
 *
 *   'pass'         forwarded, answered (the default)
 *   'lose-answer'  forwarded and processed by the API server, then the connection is cut: the answer is lost
 *   'hold'         forwarded and processed, the answer is withheld until stop(): it is late (the client times out)
 *   'hang'         never forwarded, never answered
 *
 * Its certificate is signed by the control plane's CA for 127.0.0.1, so a kubeconfig only changes
 * the server's port (see kubeconfig()). Requests with an Authorization header (a bootstrap token) go
 * upstream with that header only; the others go as the admin (the control plane's admin certificate).
 */
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type * as net from 'node:net';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import type { ControlPlane } from './controlPlane';
import { closeServer } from './tcpProxy';

export type Fault = 'pass' | 'lose-answer' | 'hold' | 'hang';

export interface ProxiedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** The request carried its own credentials (a bearer token): not the admin's. */
  bearer: boolean;
  fault: Fault;
  /** The API server's status, once it answered (also for 'lose-answer' and 'hold'). */
  status?: number;
}

export class FaultProxy extends EventEmitter {
  /** Decides each request's fate; set by the test. */
  fault: (r: { method: string; path: string; bearer: boolean }) => Fault = () => 'pass';
  readonly seen: ProxiedRequest[] = [];
  port = 0;
  private server?: https.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly upstream: URL;
  private readonly ca: Buffer;
  private readonly admin: { cert: Buffer; key: Buffer };

  /** `cp`: the control plane (its admin kubeconfig, CA, and the PKI folder `<dir>/pki` with the CA key and the admin certificate). */
  constructor(private readonly cp: Pick<ControlPlane, 'dir' | 'caPath' | 'kubeconfigPath' | 'server'>) {
    super();
    this.upstream = new URL(cp.server);
    const pki = join(cp.dir, 'pki');
    this.ca = readFileSync(cp.caPath);
    this.admin = { cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')) };
  }

  /** A certificate for 127.0.0.1 signed by the cluster CA (openssl, as the control plane's own PKI). */
  private serverCert(): { cert: Buffer; key: Buffer } {
    const pki = join(this.cp.dir, 'pki');
    const name = `fault-proxy-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const at = (f: string) => join(pki, `${name}.${f}`);
    writeFileSync(at('ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', at('key'), '-out', at('csr'), '-subj', '/CN=fault-proxy'], { stdio: 'ignore' });
    execFileSync('openssl', ['x509', '-req', '-in', at('csr'), '-CA', join(pki, 'ca.crt'), '-CAkey', join(pki, 'ca.key'), '-set_serial', String(Date.now()), '-days', '2', '-out', at('crt'), '-extfile', at('ext')], { stdio: 'ignore' });
    return { cert: readFileSync(at('crt')), key: readFileSync(at('key')) };
  }

  start(): Promise<number> {
    const server = https.createServer(this.serverCert(), (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const bearer = typeof req.headers.authorization === 'string';
        const record: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', bearer, fault: 'pass' };
        record.fault = this.fault(record);
        this.seen.push(record);
        this.emit('request', record);
        if (record.fault === 'hang') return;
        const headers = { ...req.headers, host: this.upstream.host };
        const up = https.request(
          { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers, ca: this.ca, ...(bearer ? {} : this.admin) },
          (ur) => {
            const body: Buffer[] = [];
            ur.on('data', (c: Buffer) => body.push(c));
            ur.on('end', () => {
              record.status = ur.statusCode;
              this.emit('answered', record);
              if (record.fault === 'lose-answer') {
                req.socket.destroy();
                return;
              }
              if (record.fault === 'hold') return;
              res.writeHead(ur.statusCode ?? 502, ur.headers);
              res.end(Buffer.concat(body));
            });
          },
        );
        up.on('error', () => req.socket.destroy());
        up.end(Buffer.concat(chunks));
      });
    });
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('tlsClientError', () => undefined);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.server = server;
        this.port = (server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  /** The control plane's admin kubeconfig with the server changed to this proxy, written to `path`. */
  kubeconfig(path: string): string {
    const doc = yaml.load(readFileSync(this.cp.kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
    for (const c of doc.clusters) c.cluster.server = `https://127.0.0.1:${this.port}`;
    writeFileSync(path, yaml.dump(doc));
    return path;
  }

  /** Resolves with the first request (already seen, or to come) for which `pred` holds, once the API server answered it. */
  answered(pred: (r: ProxiedRequest) => boolean): Promise<ProxiedRequest> {
    return this.first('answered', (r) => r.status !== undefined && pred(r));
  }

  /** Resolves with the first request for which `pred` holds, as soon as the proxy has it (before any answer). */
  arrived(pred: (r: ProxiedRequest) => boolean): Promise<ProxiedRequest> {
    return this.first('request', pred);
  }

  private first(event: 'request' | 'answered', pred: (r: ProxiedRequest) => boolean): Promise<ProxiedRequest> {
    const done = this.seen.find(pred);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => {
      const on = (r: ProxiedRequest) => {
        if (!pred(r)) return;
        this.off(event, on);
        resolve(r);
      };
      this.on(event, on);
    });
  }

  /** Back to passing everything, the record cleared. */
  reset(): void {
    this.fault = () => 'pass';
    this.seen.length = 0;
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return closeServer(server, this.sockets);
  }
}

/** The request that creates a bootstrap token's Secret. */
export const SECRET_POST = (r: { method: string; path: string }): boolean => r.method === 'POST' && r.path.startsWith('/api/v1/namespaces/kube-system/secrets');
/** A request that deletes a bootstrap token's Secret. */
export const SECRET_DELETE = (r: { method: string; path: string }): boolean => r.method === 'DELETE' && r.path.startsWith('/api/v1/namespaces/kube-system/secrets/bootstrap-token-');
/** The token check: an access review made with the new token itself. */
export const TOKEN_CHECK = (r: { method: string; path: string; bearer: boolean }): boolean => r.bearer && r.method === 'POST' && r.path.includes('selfsubjectaccessreviews');
