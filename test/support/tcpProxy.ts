/** A plain TCP pipe to the API server (TLS passes through untouched) that a test can cut and restore. */
import * as net from 'node:net';

export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /**
   * @param target where to pipe to
   * @param port where to listen on 127.0.0.1: 0 picks a free port at the first start() and keeps it, so
   *   stop() + start() restores the same address; a fixed port lets a test point a kubeconfig at it first.
   */
  constructor(
    private readonly target: { host: string; port: number },
    public port = 0,
  ) {}

  /** Listens (again) and resolves with the port. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((client) => {
        const upstream = net.connect(this.target.port, this.target.host);
        const kill = () => {
          client.destroy();
          upstream.destroy();
          this.sockets.delete(client);
          this.sockets.delete(upstream);
        };
        this.sockets.add(client).add(upstream);
        for (const s of [client, upstream]) s.on('error', kill).on('close', kill);
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.server = server;
        this.port = (server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  /** Drops every open connection (watches with them) and refuses new ones until start(). */
  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return closeServer(server, this.sockets);
  }
}

/** Destroys every open socket of a server and closes it (resolves at once when there is none). */
export function closeServer(server: net.Server | undefined, sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  sockets.clear();
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
