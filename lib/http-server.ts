/**
 * Keep-alive timing shared by every server of the project and the gateway's subgraph client.
 *
 * A client that sends a request on an idle connection at the moment the server closes it gets a
 * reset (ECONNRESET, or a 502 from a proxy). The rule that avoids the race: whoever keeps idle
 * connections shorter closes them. So servers keep idle connections longer than any client in
 * front of them does — Node's fetch keeps them 4 s, the gateway's subgraph agent
 * `CLIENT_IDLE_MS`, common load balancers 60 s.
 */
import http from 'node:http';

/** How long a client of ours keeps an idle keep-alive connection to a server of ours. */
export const CLIENT_IDLE_MS = 30_000;

/** How long our servers keep an idle keep-alive connection (longer than every client above). */
export const SERVER_KEEP_ALIVE_MS = 65_000;

/** An HTTP server for `app` that keeps idle connections `SERVER_KEEP_ALIVE_MS`. */
export function createHttpServer(app: http.RequestListener): http.Server {
  const server = http.createServer(app);
  server.keepAliveTimeout = SERVER_KEEP_ALIVE_MS;
  // Must exceed keepAliveTimeout, or Node drops a kept-alive socket while its next request's headers arrive.
  server.headersTimeout = SERVER_KEEP_ALIVE_MS + 1000;
  return server;
}
