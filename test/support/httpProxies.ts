/**
 * Two real HTTP servers on 127.0.0.1 to put in front of the API server, for kubeconfig fields the
 * API server alone cannot exercise:
 *  - a forward proxy (HTTP CONNECT, as squid or a corporate proxy): `proxy-url`;
 *  - a reverse proxy below a path prefix (like `kubectl proxy` or an ingress at /k8s/): `server`
 *    with a path, plain http, and what headers the client sent (basic auth, impersonation).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';

export interface ConnectProxy {
  url: string;
  /** host:port of every CONNECT it tunnelled. */
  connects: string[];
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function closer(server: http.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const connects: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end('CONNECT only');
  });
  server.on('connection', (s: net.Socket) => sockets.add(s).size);
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    connects.push(target);
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const upstream = net.connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    sockets.add(upstream);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', kill);
    client.on('error', kill);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, connects, close: closer(server, sockets) };
}

export interface PrefixProxy {
  /** http://127.0.0.1:PORT/PREFIX */
  url: string;
  /** Every request it received: path and the headers that carry credentials. */
  seen: { path: string; authorization?: string; impersonateUser?: string }[];
  close(): Promise<void>;
}

/**
 * Serves the API server below `prefix` over plain http, forwarding with `tls` (the admin's client
 * certificate) as `kubectl proxy` does; anything outside the prefix is a 404.
 */
export async function startPrefixProxy(target: string, prefix: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<PrefixProxy> {
  const seen: PrefixProxy['seen'] = [];
  const sockets = new Set<net.Socket>();
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    seen.push({ path, authorization: req.headers.authorization, impersonateUser: req.headers['impersonate-user'] as string | undefined });
    if (!path.startsWith(`${prefix}/`)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not below ${prefix}`);
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    delete headers.host;
    const out = https.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: path.slice(prefix.length), headers, ca: tls.ca, cert: tls.cert, key: tls.key },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connection', (s: net.Socket) => sockets.add(s).size);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}${prefix}`, seen, close: closer(server, sockets) };
}
