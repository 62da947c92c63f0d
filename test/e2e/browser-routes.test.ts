/**
 * The browser pages' routes over HTTP, without a browser: what production hides (the explorer and
 * its token endpoint), what the development token endpoint hands out, how assets are cached and
 * compressed, and that the HTML references nothing but the gateway.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { loadConfig, type Config } from '../../lib/config';
import { isValidIdNumber } from '../../lib/id-number';
import { ROLES } from '../../lib/roles';
import { clientTokenVerifier } from '../../lib/tokens';
import { DEMO } from '../../subgraphs/common/population';
import { mountWebPages } from '../../gateway/src/web';
import { devTokenHandler } from '../../gateway/src/web/dev-token';
import type { ExplorerConfig } from '../../gateway/src/web/explorer/config';
import type { AuditorConfig } from '../../gateway/src/web/auditor/config';
import type { MeConfig } from '../../gateway/src/web/me/config';
import { silentLogger } from '../helpers';

async function serve(config: Config): Promise<{ base: string; close(): Promise<void> }> {
  const app = express();
  mountWebPages(app, { config, logger: silentLogger, warm: false });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The JSON data block the page hands its script. */
function pageConfig<T>(html: string): T {
  return JSON.parse(/<script type="application\/json" id="page-config">(.*?)<\/script>/s.exec(html)![1]);
}

describe('browser page routes in production', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', JWT_SECRET: 'k7Qw2'.repeat(8), INTERNAL_TOKEN_SECRET: 'Zr9pX'.repeat(8) }));
  });
  afterAll(() => server.close());

  it('serves no explorer and mints no token', async () => {
    for (const p of ['/explorer', '/explorer/token?role=archivist', '/explorer/assets/explorer.js']) {
      expect({ p, status: (await fetch(server.base + p)).status }).toEqual({ p, status: 404 });
    }
  });

  it('serves the audit page with a strict Content-Security-Policy and only local assets', async () => {
    const res = await fetch(`${server.base}/audit`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await res.text();
    expect(pageConfig<AuditorConfig>(html)).toEqual({ apiUrl: '/audit/graphql', tokenUrl: '/explorer/token', devTokens: false, explorerUrl: null, registerUrl: '/audit/register' });
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBe(3); // icon, stylesheet, script
    for (const url of urls) expect(url).toMatch(/^(\/audit\/assets\/|data:)/);
  });

  it("serves the citizens' page /me with a strict Content-Security-Policy and only local assets", async () => {
    const res = await fetch(`${server.base}/me`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(pageConfig<MeConfig>(html)).toEqual({ apiUrl: '/me/graphql', tokenUrl: '/explorer/token', devTokens: false });
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBe(3); // icon, stylesheet, script
    for (const url of urls) expect(url).toMatch(/^(\/me\/assets\/|data:)/);
    for (const url of urls.filter((u) => u.startsWith('/'))) expect((await fetch(server.base + url)).status).toBe(200);
  });
});

describe('browser page routes in development', () => {
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(config);
  });
  afterAll(() => server.close());

  it('mints a verifiable token for each role, with the role scopes and no caching', async () => {
    const verify = clientTokenVerifier({
      secret: config.JWT_SECRET,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
      clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS,
    });
    for (const role of ROLES) {
      const res = await fetch(`${server.base}/explorer/token?role=${role.key}`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await res.json();
      const principal = await verify(body.token);
      expect(principal).toMatchObject({ sub: role.key === 'citizen' ? DEMO.husband : `${role.key}-dev`, org: role.org, scopes: role.scopes });
      expect(body).toMatchObject({ role: role.key, purpose: role.purpose, scopes: role.scopes });
    }
    const citizen = await (await fetch(`${server.base}/explorer/token?role=citizen&sub=${DEMO.wife}`)).json();
    expect((await verify(citizen.token)).sub).toBe(DEMO.wife);
  });

  it('refuses an unknown role, a citizen with a malformed ID and callers not on this machine', async () => {
    const unknown = await fetch(`${server.base}/explorer/token?role=root`);
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error).toContain('court');
    expect((await fetch(`${server.base}/explorer/token?role=citizen&sub=430702198503151230`)).status).toBe(400);

    // A remote caller: the handler itself, with a socket address that is not loopback.
    let status = 0;
    const res = { setHeader() {}, status: (s: number) => ((status = s), res), json: () => res } as unknown as express.Response;
    await devTokenHandler(config)({ socket: { remoteAddress: '10.1.2.3' }, query: { role: 'archivist' } } as unknown as express.Request, res, () => {});
    expect(status).toBe(403);
  });

  it('refuses a token to a page that reached it under another host name (DNS rebinding)', async () => {
    // What a browser sends after evil.example was rebound to 127.0.0.1: a loopback peer, a foreign Host.
    const status = (base: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.get(`${base}/explorer/token?role=archivist`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
      });
    for (const host of ['evil.example:4000', '127.0.0.1.nip.io', 'localhost.evil.example', 'archive-dev.intranet']) expect(await status(server.base, host)).toBe(403);
    for (const host of ['localhost:4000', '127.0.0.1', '[::1]:4000', 'LOCALHOST']) expect(await status(server.base, host)).toBe(200);
    // A name configured for this machine is allowed.
    const named = await serve(loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent', DEV_TOKEN_HOSTS: 'archive-dev.intranet, Other.Local' }));
    try {
      expect(await status(named.base, 'archive-dev.intranet:4000')).toBe(200);
      expect(await status(named.base, 'other.local')).toBe(200);
      expect(await status(named.base, 'evil.example')).toBe(403);
    } finally {
      await named.close();
    }
  });

  it('hands the explorer every role and the example operations, the 50-person list with 50 seeded IDs', async () => {
    const html = await (await fetch(`${server.base}/explorer`)).text();
    const explorer = pageConfig<ExplorerConfig>(html);
    expect(explorer).toMatchObject({ graphqlUrl: '/graphql', tokenUrl: '/explorer/token', devTokens: true, auditUrl: '/audit' });
    expect(explorer.roles.map((r) => r.key)).toEqual(ROLES.map((r) => r.key));
    expect(explorer.examples.map((e) => e.key)).toEqual(['dossier', 'persons', 'contributions', 'settlements', 'marriages', 'properties']);
    const ids: string[] = JSON.parse(explorer.examples.find((e) => e.key === 'persons')!.variables).ids;
    expect(new Set(ids).size).toBe(50);
    expect(ids.every(isValidIdNumber)).toBe(true);
    expect(ids).toContain(DEMO.husband);
  });

  it('serves content-hashed assets gzipped, cacheable for good, revalidated by ETag', async () => {
    const html = await (await fetch(`${server.base}/explorer`)).text();
    const script = /<script src="([^"]+)"/.exec(html)![1];
    expect(script).toMatch(/^\/explorer\/assets\/explorer\.js\?v=[0-9a-f]{16}$/);
    const res = await fetch(server.base + script, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('cache-control')).toContain('immutable');
    const js = await res.text(); // fetch decompresses
    expect(js.length).toBeGreaterThan(100_000); // React, GraphiQL and CodeMirror are in it, not on a CDN
    const css = await (await fetch(`${server.base}${script.replace('.js', '.css')}`)).text();
    expect(css).not.toMatch(/url\(\s*["']?(https?:)?\/\//); // fonts and images inlined, none fetched
    expect(css).not.toMatch(/@import/);
    const again = await fetch(`${server.base}/explorer/assets/explorer.js`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  }, 60_000);
});
