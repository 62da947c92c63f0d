/**
 * The failover tests' load generator: a load a failed test never stopped must still end, or Jest
 * waits for it forever and the run hangs instead of failing (seen once in CI).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLoad, stopLoads } from './failover-load';

describe('failover load', () => {
  it('stopLoads ends a load its test never stopped: no request is sent after it', async () => {
    let requests = 0;
    // Answers every read with the person's name and every correction with the name asked for.
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        requests++;
        const { query, variables } = JSON.parse(body) as { query: string; variables: { n?: string } };
        const data = query.startsWith('mutation') ? { correctPersonName: { name: variables.n } } : { person: { name: 'Zhang San' } };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    try {
      startLoad({ urls: [url], headers: {}, persons: [{ idNumber: 'x', name: 'Zhang San' }], concurrency: 2 });
      await new Promise((r) => setTimeout(r, 200));
      expect(requests).toBeGreaterThan(0);
      await stopLoads();
      const after = requests;
      await new Promise((r) => setTimeout(r, 300));
      expect(requests).toBe(after);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
