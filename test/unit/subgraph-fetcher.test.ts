/**
 * The subgraph fetcher against a tiny local HTTP server that misbehaves on request: slow answers,
 * a body that stalls halfway, 5xx, broken JSON, a closed port. Each becomes SUBGRAPH_UNAVAILABLE
 * naming the subgraph, never the subgraph's URL or body; a 4xx is left to RemoteGraphQLDataSource.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { subgraphFetcher, type SubgraphOutcome } from '../../gateway/src/fetch/subgraph-fetcher';

const TIMEOUT_MS = 300;

describe('subgraphFetcher', () => {
  let server: http.Server;
  let base: string;
  const observed: Array<[string, SubgraphOutcome]> = [];
  const fetcher = subgraphFetcher({ subgraph: 'marriage', timeoutMs: TIMEOUT_MS, observe: (name, _s, outcome) => observed.push([name, outcome]) });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const json = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      if (req.url === '/ok') return json(200, '{"data":{"ok":true}}');
      if (req.url === '/slow') return void setTimeout(() => json(200, '{"data":{}}'), TIMEOUT_MS * 3);
      if (req.url === '/stall') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"data":');
        return void setTimeout(() => res.end('{}}'), TIMEOUT_MS * 3);
      }
      if (req.url === '/502') return json(502, '{"secret":"internal detail"}');
      if (req.url === '/broken') return json(200, '<html>proxy error</html>');
      if (req.url === '/400') return json(400, '{"errors":[{"message":"bad"}]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function failure(path: string): Promise<GraphQLError> {
    const error = await fetcher(`${base}${path}`, { method: 'POST', body: '{}' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GraphQLError);
    return error as GraphQLError;
  }

  it('answers as fetch does when the subgraph is well', async () => {
    const res = await fetcher(`${base}/ok`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { ok: true } });
    expect(observed.at(-1)).toEqual(['marriage', 'ok']);
  });

  it.each([
    ['/slow', 'timeout', /did not answer within 300 ms/],
    ['/stall', 'timeout', /did not answer within 300 ms/],
    ['/502', 'http_error', /answered HTTP 502/],
    ['/broken', 'invalid_response', /not JSON/],
  ])('%s is SUBGRAPH_UNAVAILABLE (%s)', async (path, reason, message) => {
    const error = await failure(path);
    expect(error.extensions).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'marriage', reason });
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^The marriage subgraph/);
    expect(error.message).not.toContain(base);
    expect(error.message).not.toContain('internal detail');
    expect(observed.at(-1)).toEqual(['marriage', reason]);
  });

  it('a closed port is SUBGRAPH_UNAVAILABLE (unreachable)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await fetcher(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: '{}' }).catch((e: GraphQLError) => e);
    expect((error as GraphQLError).extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', reason: 'unreachable' });
  });

  it('leaves a 4xx to RemoteGraphQLDataSource, body readable', async () => {
    const res = await fetcher(`${base}/400`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('bad');
  });
});
