import net from 'node:net';

/**
 * A loopback TCP proxy in front of a server (e.g. an OCI registry) that a test controls: it forwards
 * what clients send at most `bytesPerSecond`, and `stall()` stops forwarding in both directions, so
 * a client is caught in the middle of a request for as long as the test wants.
 */
export class SlowProxy {
  private readonly sockets = new Set<net.Socket>();
  private stalled = false;
  /** Bytes forwarded from clients to the server. */
  forwarded = 0;

  private readonly server: net.Server;
  address = '';

  private constructor(target: string, bytesPerSecond: number) {
    const [host, port] = target.split(':') as [string, string];
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(port), host);
      this.track(client, upstream);
      client.on('data', (chunk: Buffer) => {
        upstream.write(chunk);
        this.forwarded += chunk.length;
        // throttle: read nothing more from this client until the chunk's share of time has passed
        client.pause();
        setTimeout(() => this.stalled || client.resume(), (chunk.length / bytesPerSecond) * 1000);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
  }

  static async start(target: string, bytesPerSecond: number): Promise<SlowProxy> {
    const proxy = new SlowProxy(target, bytesPerSecond);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.address = `127.0.0.1:${(proxy.server.address() as net.AddressInfo).port}`;
    return proxy;
  }

  private track(...sockets: net.Socket[]): void {
    for (const s of sockets) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      if (this.stalled) s.pause();
    }
  }

  /** Stops forwarding anything, on open and new connections. */
  stall(): void {
    this.stalled = true;
    for (const s of this.sockets) s.pause();
  }

  /** Forwards again, on open and new connections. */
  resume(): void {
    this.stalled = false;
    for (const s of this.sockets) s.resume();
  }

  /** Cuts every open connection, as a network failure would; new connections are accepted. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
