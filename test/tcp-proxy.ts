/**
 * A TCP proxy a test puts between a store and its database server, to simulate network faults
 * without touching the shared server: `cut()` resets every connection (as a failover or a killed
 * backend does), `freeze()` stops forwarding in both directions (a partition, or a peer stopped
 * with SIGSTOP), `restore()` forwards again.
 */
import net from 'node:net';

export interface TcpProxy {
  /** `host:port` to put in a database URL in place of the real server's. */
  address: string;
  /** Rewrites a `postgres://…` / `mysql://…` URL to go through the proxy. */
  via(url: string): string;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /** Resets every open connection (RST on both sides); new ones are accepted. */
  cut(): void;
  /** Stops forwarding on every open connection and holds new ones until `restore()`. */
  freeze(): void;
  /**
   * Freezes the proxy just after it forwards client bytes containing `marker` (e.g. the SQL of a
   * lock, so the lock is taken and its holder then goes silent); resolves with the time it froze.
   */
  freezeOn(marker: string): Promise<number>;
  /** Forwards again what `freeze()` held. */
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
}

/** Starts a proxy on 127.0.0.1, port 0, forwarding to `target` (`host:port`). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [targetHost, targetPort] = target.split(':');
  const pairs = new Set<Pair>();
  let frozen = false;
  let trigger: { marker: string; fired(at: number): void } | undefined;
  // Unpiped and paused, a socket keeps what it reads in its buffer until it is piped again.
  const setPaused = (pair: Pair, paused: boolean) => {
    if (paused) {
      pair.client.unpipe(pair.server).pause();
      pair.server.unpipe(pair.client).pause();
    } else {
      pair.client.pipe(pair.server);
      pair.server.pipe(pair.client);
    }
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort), targetHost);
    const pair = { client, server: upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    setPaused(pair, frozen);
    // The pipe forwards this chunk whatever this listener does: an event goes to the listeners it had when it came.
    client.on('data', (chunk: Buffer) => {
      if (!trigger || !chunk.includes(trigger.marker)) return;
      const { fired } = trigger;
      trigger = undefined;
      freeze();
      fired(Date.now());
    });
  });
  const freeze = () => {
    frozen = true;
    for (const pair of pairs) setPaused(pair, true);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    address,
    via: (url) => url.replace(/@[^/@]+(\/|$)/, `@${address}$1`),
    get connections() {
      return pairs.size;
    },
    cut() {
      for (const pair of [...pairs]) {
        pair.client.resetAndDestroy();
        pair.server.resetAndDestroy();
        pairs.delete(pair);
      }
    },
    freeze,
    freezeOn: (marker) => new Promise((fired) => (trigger = { marker, fired })),
    restore() {
      if (!frozen) return;
      frozen = false;
      for (const pair of pairs) setPaused(pair, false);
    },
    close() {
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.server.destroy();
      }
      pairs.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
