/**
 * An HTTP proxy a test puts in front of one subgraph: it waits `state.delayMs` before forwarding
 * each request (a slow subgraph, or requests held in flight together) and remembers the request ids
 * it saw (how many calls reached the subgraph, and whose).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A proxy in front of one subgraph that waits `delayMs` before forwarding; remembers the request ids it saw. */
export async function startDelayingProxy(target: string) {
  const state = { delayMs: 0, requestIds: [] as string[] };
  const timers = new Set<NodeJS.Timeout>(); // cleared on stop, so no delayed forward outlives the test
  const delay = (ms: number) => new Promise<void>((resolve) => timers.add(setTimeout(resolve, ms)));
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    state.requestIds.push(String(req.headers['x-request-id']));
    await delay(state.delayMs);
    if (res.destroyed) return; // the gateway gave up waiting
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
    try {
      const upstream = await fetch(target, { method: 'POST', headers, body: Buffer.concat(chunks) });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(await upstream.text());
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    stop: () => {
      timers.forEach(clearTimeout);
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
