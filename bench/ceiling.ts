/**
 * Benchmark child: a bare Node http server answering every request with the same bytes (the hot
 * person's response, taken from a gateway). No gateway can beat it on this machine: the ceiling
 * of HTTP + the load generator over loopback.
 *
 * Env: BENCH_PORT, BENCH_BODY (file holding the response body).
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';

const port = Number(process.env.BENCH_PORT);
const body = readFileSync(process.env.BENCH_BODY!);
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) };

const server = http.createServer((req, res) => {
  // Read the request to its end, as a server must before answering on a keep-alive connection.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(body);
  });
});
server.listen(port, '127.0.0.1', () => console.log(`ceiling ready at http://127.0.0.1:${port}/graphql (${body.length} bytes)`));

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
