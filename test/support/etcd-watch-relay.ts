import { type Server, type Socket, connect, createServer } from 'node:net';

/**
 * A TCP relay between one Patroni and a plaintext etcd, to freeze that
 * Patroni's view of the DCS on demand (fault injection on the network path;
 * etcd and Patroni stay real). Patroni 3.0.2 keeps its view in a cache fed by
 * one long-lived `POST /v3/watch` stream read with no read timeout, renewed
 * only when it re-authenticates or changes etcd server: a stream that stops
 * delivering while its connection stays open leaves the member serving its
 * old view for ever, while its other DCS requests (other connections) work.
 *
 * Armed, the relay waits for etcd to give that Patroni a token (its
 * re-authentication once auth is on), then for etcd's answer "authentication
 * is not enabled" (its re-authentication right after `auth disable`, which
 * makes it drop its watch and open a new one), then stalls the next watch
 * opened: an answer "not enabled" left over from an earlier `auth disable`
 * (Patroni re-authenticates lazily, at its next DCS request) does not count.
 * On the stalled watch, etcd's first answer ("created") is passed on,
 * nothing after it, and both sockets stay open. The relay then disarms, so a
 * restarted Patroni (a new watch) reads the DCS normally again. This is the state a rollback
 * leaves a member in when etcd cancels its new watch on a stream it keeps
 * open, made to happen every time instead of by a race.
 */
export class EtcdWatchRelay {
  private readonly pairs = new Set<RelayedConnection>();
  private armed: 'no' | 'waiting-for-auth-on' | 'waiting-for-auth-off' | 'stall-next-watch' = 'no';
  private stalledCount = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 (a free port) and relays every connection to `target` (`host:port`). */
  static async start(target: string): Promise<EtcdWatchRelay> {
    const [host, port] = target.split(':') as [string, string];
    let relay: EtcdWatchRelay | undefined;
    const server = createServer((client) => relay!.relay(client, host, Number(port)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('relay: no TCP address');
    relay = new EtcdWatchRelay(server, address.port);
    return relay;
  }

  /** `host:port` for a Patroni YAML's etcd3.hosts. */
  get hostPort(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Stall the first watch opened after etcd tells this Patroni that auth is off (see the class comment). */
  arm(): void {
    this.armed = 'waiting-for-auth-on';
  }

  /** Watch streams open through the relay now, stalled or not. */
  get openWatches(): number {
    return [...this.pairs].filter((pair) => pair.state !== 'plain').length;
  }

  /** Watches stalled so far. */
  get stalled(): number {
    return this.stalledCount;
  }

  /**
   * Stalls every watch stream open now (etcd's bytes on it are dropped, both sockets stay open); returns how many.
   * Patroni keeps such a stream until it re-authenticates or changes etcd server.
   */
  stallOpenWatches(): number {
    const watches = [...this.pairs].filter((pair) => pair.state === 'watch');
    for (const pair of watches) pair.state = 'stalling';
    this.stalledCount += watches.length;
    return watches.length;
  }

  /** Closes the stalled connections: Patroni sees its watch end, reads the DCS afresh and opens a new one. */
  releaseStalled(): void {
    for (const pair of this.pairs) {
      if (pair.state !== 'stalling') continue;
      pair.client.destroy();
      pair.upstream.destroy();
    }
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, host: string, port: number): void {
    const upstream = connect({ host, port });
    const pair: RelayedConnection = { client, upstream, state: 'plain' };
    this.pairs.add(pair);
    let sent = '';
    let received = '';
    client.on('data', (chunk: Buffer) => {
      // A request line can be split across chunks: look at the tail of what was sent before, too.
      const seen = sent + chunk.toString('latin1');
      sent = seen.slice(-64);
      if (pair.state === 'plain' && seen.includes('POST /v3/watch')) {
        pair.state = this.armed === 'stall-next-watch' ? 'watch-to-stall' : 'watch';
        if (pair.state === 'watch-to-stall') this.armed = 'no';
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (pair.state === 'stalling') return;
      const seen = received + chunk.toString('latin1');
      received = seen.slice(-256);
      if (this.armed === 'waiting-for-auth-on' && seen.includes('"token":"')) this.armed = 'waiting-for-auth-off';
      else if (this.armed === 'waiting-for-auth-off' && seen.includes('authentication is not enabled'))
        this.armed = 'stall-next-watch';
      client.write(chunk);
      if (pair.state === 'watch-to-stall' && seen.includes('"created":true')) {
        pair.state = 'stalling';
        this.stalledCount += 1;
      }
    });
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}

/** One relayed connection; `watch`: it carries a watch stream; `stalling`: etcd's bytes on it are dropped. */
interface RelayedConnection {
  client: Socket;
  upstream: Socket;
  state: 'plain' | 'watch' | 'watch-to-stall' | 'stalling';
}
