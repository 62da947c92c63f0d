/**
 * Live schema reload: the gateway serves SUPERGRAPH_PATH, a fifth department's subgraph starts,
 * the supergraph is recomposed with it and written over the file while requests keep coming, and
 * the new field is served within 10 seconds with no request failed. An invalid file (one that does
 * not parse, one whose access-control directives the gateway cannot enforce) is refused with a
 * log line and the gateway keeps serving the previous supergraph.
 */
import { cpSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { DEPARTMENTS, loadConfig, type Department } from '../../lib/config';
import { findRole } from '../../lib/roles';
import { createGateway, type Gateway, type RunningGateway } from '../../gateway/src/server';
import { prepareSupergraph, supergraphId } from '../../gateway/src/supergraph';
import { composeSupergraph } from '../../schema/compose';
import { SUBGRAPHS } from '../../subgraphs';
import { fullTypeDefs, type SubgraphDefinition } from '../../subgraphs/common/server';
import { DEMO } from '../../subgraphs/common/population';
import { PRODUCTION_ENGINES } from '../federation';
import { dropDatabase } from '../../lib/db';
import { DEFAULT_POLICY_DIR } from '../../lib/legal-basis';
import { gql, roleHeaders, startTestSubgraph, testDbUrl, testPopulation, type TestSubgraph } from '../helpers';

/** A fifth department, as small as a subgraph of the project's shape can be. */
const CIVIL_AFFAIRS = {
  name: 'civil-affairs',
  typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@requiresScopes", "@policy", "@shareable", "@inaccessible", "@external", "@requires"])
    type Person @key(fields: "idNumber") @cacheControl(maxAge: 600) {
      idNumber: ID!
      civilAffairsOffice: String @requiresScopes(scopes: [["civil-affairs:read"]]) @policy(policies: [["legal_basis"]])
    }`,
  resolvers: {
    Person: {
      __resolveReference: (ref: { idNumber: string }) => ref,
      civilAffairsOffice: ({ idNumber }: { idNumber: string }) => `民政局 ${idNumber.slice(0, 6)}`,
    },
  },
  migrations: {},
  createLoaders: () => ({}),
  seed: async () => {},
  isSeeded: async () => true,
  correction: { mutation: 'none', returnsList: false, apply: async () => [] },
} as unknown as SubgraphDefinition;

const LOAD = `query Load($id: ID!) { person(idNumber: $id) { idNumber name maritalStatus marriages { kind } } }`;
const PROBE = `query Probe($id: ID!) { person(idNumber: $id) { idNumber civilAffairsOffice } }`;
const POLL_MS = loadConfig({}).SUPERGRAPH_POLL_INTERVAL_MS;

describe('live supergraph reload (SUPERGRAPH_PATH)', () => {
  const population = testPopulation();
  const subgraphs = {} as Record<Department, TestSubgraph<unknown>>;
  let fifth: TestSubgraph<unknown>;
  let file: string;
  let gateway: Gateway;
  let running: RunningGateway;
  const logs: Array<Record<string, any>> = [];
  let archivist: Record<string, string>;
  let civilClerk: Record<string, string>;
  let fourSdl: string;
  let fiveSdl: string;
  const auditDbUrl = testDbUrl('postgres', 'audit')!;

  /** Replaces the file as an operator (or a ConfigMap update) would: written beside it, then renamed over it. */
  const publish = (sdl: string) => {
    writeFileSync(`${file}.tmp`, sdl);
    renameSync(`${file}.tmp`, file);
  };
  const logged = (msg: string) => logs.filter((l) => l.msg === msg);
  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const got = await probe();
      if (got !== undefined) return got;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`not within ${ms} ms: ${what}`);
  }

  /** The access rules, listing the fifth department's field ahead of it (as an operator prepares them). */
  const policyDir = mkdtempSync(path.join(os.tmpdir(), 'af-policies-'));
  cpSync(DEFAULT_POLICY_DIR, policyDir, { recursive: true });
  const purposes = path.join(policyDir, 'purposes.yaml');
  const archiveManagement = '    basis: 档案法 Arts 19, 27\n    fields:\n';
  writeFileSync(purposes, readFileSync(purposes, 'utf8').replace(archiveManagement, `${archiveManagement}      civil-affairs: [Person.civilAffairsOffice]\n`));

  beforeAll(async () => {
    archivist = await roleHeaders('archivist');
    civilClerk = await roleHeaders('archivist', { scopes: [...findRole('archivist').scopes, 'civil-affairs:read'] });
    await Promise.all([
      ...DEPARTMENTS.map(async (name) => void (subgraphs[name] = await startTestSubgraph(SUBGRAPHS[name]!, PRODUCTION_ENGINES[name], population))),
      (async () => void (fifth = await startTestSubgraph(CIVIL_AFFAIRS, 'postgres', population, policyDir)))(),
    ]);
    const urls = Object.fromEntries(DEPARTMENTS.map((name) => [name, subgraphs[name].url]));
    fourSdl = composeSupergraph({ urls });
    file = path.join(mkdtempSync(path.join(os.tmpdir(), 'af-supergraph-')), 'supergraph.graphql');
    publish(fourSdl);
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const config = loadConfig({ NODE_ENV: 'test', PUBLIC_HOST: '127.0.0.1', DATA_DIR: 'memory', AUDIT_DB_URL: auditDbUrl, SUPERGRAPH_PATH: file, ACCESS_POLICY_DIR: policyDir });
    gateway = await createGateway({ config, logger });
    running = await gateway.listen(0, '127.0.0.1');
    fiveSdl = composeSupergraph({ urls, extra: [{ name: 'civil-affairs', url: fifth.url, typeDefs: fullTypeDefs(CIVIL_AFFAIRS) }] });
  });
  afterAll(async () => {
    await running?.stop();
    await Promise.all([fifth, ...Object.values(subgraphs)].filter(Boolean).map((s) => s.stop()));
    await dropDatabase(auditDbUrl);
  });

  it('adds a fifth subgraph under load without a failed request, serving it within 10 s', async () => {
    // Before: the field does not exist, and the new department's scope on a token counts for nothing (an unknown scope is ignored).
    const missing = await gql(running.url, PROBE, { id: DEMO.husband }, archivist);
    expect(missing.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await gql(running.url, LOAD, { id: DEMO.husband }, civilClerk)).errors).toBeUndefined();

    let firing = true;
    const answers: Array<{ status: number; errors?: unknown; sent: number; answered: number }> = [];
    const workers = Array.from({ length: 6 }, async () => {
      while (firing) {
        const sent = Date.now();
        const res = await gql(running.url, LOAD, { id: DEMO.husband }, archivist);
        answers.push({ status: res.status, errors: res.errors ?? (res.data?.person?.name ? undefined : 'no person'), sent, answered: Date.now() });
      }
    });
    await until('the load is warm', async () => (answers.length >= 6 ? true : undefined), 30_000);
    const changed = Date.now();
    publish(fiveSdl);
    const served = await until('the new field answers', async () => {
      const res = await gql(running.url, PROBE, { id: DEMO.husband }, civilClerk);
      return res.data?.person?.civilAffairsOffice ? res : undefined;
    });
    const tookMs = Date.now() - changed;
    const [reloaded] = logged('supergraph reloaded');
    const switchedAt: number = reloaded.time;
    // Keep firing until requests sent after the switch have been answered too.
    await until('requests sent after the switch are answered', async () => (answers.filter((a) => a.sent > switchedAt).length >= 6 ? true : undefined), 30_000);
    firing = false;
    await Promise.all(workers);

    expect(served.errors).toBeUndefined();
    expect(served.data.person.civilAffairsOffice).toBe(`民政局 ${DEMO.husband.slice(0, 6)}`);
    expect(tookMs).toBeLessThan(10_000);
    expect(answers.filter((a) => a.status !== 200 || a.errors)).toEqual([]);
    expect(logged('supergraph reloaded')).toEqual([expect.objectContaining({ subgraphs: [...DEPARTMENTS, 'access', 'civil-affairs'].sort() })]);
    // Requests answered on the old supergraph, in flight while it switched, and on the new one.
    const counts = { before: 0, across: 0, after: 0 };
    for (const a of answers) counts[a.answered < switchedAt ? 'before' : a.sent > switchedAt ? 'after' : 'across'] += 1;
    expect(Object.values(counts).every((n) => n > 0) ? 'all three' : counts).toBe('all three');
  });

  it('authorizes the new field with the new supergraph’s policies', async () => {
    // The archivist lacks civil-affairs:read: the field is removed and null, the rest answers.
    const res = await gql(running.url, PROBE, { id: DEMO.husband }, archivist);
    expect(res.data.person).toEqual({ idNumber: DEMO.husband, civilAffairsOffice: null });
    expect(res.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['UNAUTHORIZED_FIELD_OR_TYPE', ['person', 'civilAffairsOffice']]]);
  });

  it('tells /readyz about the new subgraph', async () => {
    const ready = await fetch(running.url.replace('/graphql', '/readyz'));
    const body = await ready.json();
    expect(ready.status).toBe(200);
    expect(body).toEqual(expect.objectContaining({ status: 'ready', 'civil-affairs': 'reachable', marriage: 'reachable' }));
  });

  it.each([
    ['does not parse', () => fiveSdl.slice(0, fiveSdl.length / 2)],
    ['links an authorization spec version the gateway cannot enforce', () => fiveSdl.replace('requiresScopes/v0.1', 'requiresScopes/v0.2')],
    ['is not a supergraph', () => 'type Query { hello: String }'],
  ])('refuses a file that %s and keeps serving the previous supergraph', async (_what, content) => {
    const before = logged('new supergraph refused as invalid; still serving the current one').length;
    const served = gateway.supergraph.current.id;
    publish(content());
    await until('the refusal is logged', async () => (logged('new supergraph refused as invalid; still serving the current one').length > before ? true : undefined), POLL_MS * 3);
    expect(gateway.supergraph.current.id).toBe(served);
    const res = await gql(running.url, PROBE, { id: DEMO.husband }, civilClerk);
    expect(res.errors).toBeUndefined();
    expect(res.data.person.civilAffairsOffice).toBeTruthy();
  });

  it('does not switch to a supergraph whose new or moved subgraph does not answer', async () => {
    const served = gateway.supergraph.current.id;
    publish(fiveSdl.replace(fifth.url, 'http://127.0.0.1:9/graphql'));
    await until('the failed check is logged', async () => (logged('new supergraph not served yet: retrying at the next poll').length > 0 ? true : undefined), POLL_MS * 3);
    expect(logged('new supergraph not served yet: retrying at the next poll')[0].err.message).toMatch(/civil-affairs \(unreachable\)/);
    expect(gateway.supergraph.current.id).toBe(served);
    expect((await gql(running.url, PROBE, { id: DEMO.husband }, civilClerk)).data.person.civilAffairsOffice).toBeTruthy();
  });

  it('switches the policies when only they change', async () => {
    // civilAffairsOffice now also asks for audit:read, which the clerk lacks: the schema is the same, the policies are not.
    publish(fiveSdl.replace('[["civil-affairs:read"]]', '[["civil-affairs:read", "audit:read"]]'));
    const res = await until('the field is refused to the clerk', async () => {
      const r = await gql(running.url, PROBE, { id: DEMO.husband }, civilClerk);
      return r.data?.person && r.data.person.civilAffairsOffice === null ? r : undefined;
    });
    expect(res.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['UNAUTHORIZED_FIELD_OR_TYPE', ['person', 'civilAffairsOffice']]]);
    expect(gateway.supergraph.current.gatewaySdl).not.toBe(prepareSupergraph(fiveSdl).gatewaySdl);
  });

  it('serves the file again once it is valid, and the removed subgraph is gone from /readyz', async () => {
    publish(fourSdl);
    await until('the four-department supergraph is served', async () => (gateway.supergraph.current.subgraphs.every((s) => s.name !== 'civil-affairs') ? true : undefined));
    const res = await gql(running.url, PROBE, { id: DEMO.husband }, archivist);
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const body = await (await fetch(running.url.replace('/graphql', '/readyz'))).json();
    expect(body['civil-affairs']).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(fourSdl);
  });

  it('polls SUPERGRAPH_URL instead when set, asking with the last ETag', async () => {
    let body = fourSdl;
    const asked: Array<string | undefined> = [];
    const registry = http.createServer((req, res) => {
      asked.push(req.headers['if-none-match']);
      const etag = `"${supergraphId(body)}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304).end();
      res.writeHead(200, { etag, 'content-type': 'text/plain' }).end(body);
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/supergraph.graphql`;
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PUBLIC_HOST: '127.0.0.1', DATA_DIR: 'memory', AUDIT_DB_URL: auditDbUrl, SUPERGRAPH_URL: url, SUPERGRAPH_PATH: '/nonexistent', ACCESS_POLICY_DIR: policyDir });
    const second = await (await createGateway({ config, logger: pino({ level: 'silent' }) })).listen(0, '127.0.0.1');
    try {
      expect((await gql(second.url, PROBE, { id: DEMO.husband }, civilClerk)).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      body = fiveSdl;
      const res = await until('the registry’s new supergraph is served', async () => {
        const r = await gql(second.url, PROBE, { id: DEMO.husband }, civilClerk);
        return r.data?.person?.civilAffairsOffice ? r : undefined;
      });
      expect(res.errors).toBeUndefined();
      await until('an unchanged supergraph is asked for with its ETag', async () => (asked.at(-1) === `"${supergraphId(fiveSdl)}"` ? true : undefined), POLL_MS * 3);
    } finally {
      await second.stop();
      registry.close();
    }
  });
});
