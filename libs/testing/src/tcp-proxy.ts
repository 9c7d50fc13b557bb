import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Link {
  readonly client: Socket;
  upstream?: Socket;
}

/**
 * A TCP proxy on 127.0.0.1 that a test controls, to put a network fault between a service and
 * its broker. {@link blackHole} makes the path silent the way a dead network is: nothing is
 * forwarded either way and nothing is closed (no FIN, no RST), so only timers can tell; new
 * connections are accepted and then held, never answered. {@link heal} forwards again: the
 * connections held while black-holed are reset (RST: their peer has long given up on them, as
 * after a real partition), new ones pass. Unlike a real black hole, a side that closes its
 * socket meanwhile is seen closing by the other (the proxy passes the close on).
 */
export class TcpProxy {
  private readonly links = new Set<Link>();
  private silent = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { readonly host: string; readonly port: number },
  ) {}

  /** Starts forwarding 127.0.0.1:<random port> to `targetPort` on 127.0.0.1. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
    const proxy = new TcpProxy(server, address.port, { host: '127.0.0.1', port: targetPort });
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** `nats://127.0.0.1:<port>` for a client to use instead of the server's own URL. */
  get natsUrl(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Stops forwarding anything, closing nothing. */
  blackHole(): void {
    this.silent = true;
    for (const link of this.links) this.mute(link);
  }

  /** Forwards again: connections held meanwhile are reset; new ones pass. */
  heal(): void {
    this.silent = false;
    for (const link of [...this.links]) this.drop(link, true);
  }

  async stop(): Promise<void> {
    for (const link of [...this.links]) this.drop(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const link: Link = { client };
    this.links.add(link);
    client.on('error', () => this.drop(link));
    client.on('close', () => this.drop(link));
    if (this.silent) {
      this.mute(link);
      return;
    }
    const upstream = createConnection(this.target);
    link.upstream = upstream;
    upstream.on('error', () => this.drop(link));
    upstream.on('close', () => this.drop(link));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Bytes in either direction are read and thrown away; the sockets stay open. */
  private mute(link: Link): void {
    link.client.unpipe();
    link.upstream?.unpipe();
    link.client.removeAllListeners('data');
    link.upstream?.removeAllListeners('data');
    link.client.on('data', () => undefined).resume();
    link.upstream?.on('data', () => undefined).resume();
  }

  private drop(link: Link, reset = false): void {
    if (!this.links.delete(link)) return;
    for (const socket of [link.client, link.upstream]) {
      if (!socket || socket.destroyed) continue;
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}
