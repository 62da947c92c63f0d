/**
 * Shared test plumbing: real stores in throwaway databases, subgraphs on port 0, GraphQL calls.
 * A test that needs PostgreSQL or MariaDB fails (never skips) when the server is missing.
 */
import net from 'node:net';
import { loadConfig } from '../lib/config';
import { dropAllTables, dropDatabase, openStore, type Store } from '../lib/db';
import { findRole } from '../lib/roles';
import { signClientToken, signInternalToken, type Principal } from '../lib/tokens';
import { createLogger } from '../lib/logger';
import { createSubgraphServer, type RunningServer, type SubgraphDefinition } from '../subgraphs/common/server';
import { generatePopulation, type Population } from '../subgraphs/common/population';

export const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The development internal-token secret, which the in-process gateway uses too. */
export const INTERNAL_SECRET = loadConfig({}).INTERNAL_TOKEN_SECRET;

/** A principal holding every record scope and pii:unmasked: sees everything, unmasked. */
export const ARCHIVIST: Principal = {
  authenticated: true,
  sub: 'archivist-001',
  name: '档案员',
  org: '常德市档案馆',
  category: 'archive',
  scopes: ['social-security:read', 'real-estate:read', 'marriage:read', 'medical-insurance:read', 'medical:sensitive', 'pii:unmasked'],
};

/** A client JWT signed with the development secret, as `npm run token` makes. */
export function clientToken(claims: { sub?: string; scopes: string[]; org?: string; name?: string; category?: string; extra?: Record<string, string> }, ttl: string | number = '10m'): Promise<string> {
  const config = loadConfig({});
  return signClientToken({ sub: claims.sub ?? 'tester', ...claims }, { secret: config.JWT_SECRET!, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttl });
}

/**
 * Request headers for a role of lib/roles.ts: its token (with its category), its declared purpose
 * and its typical evidence. `scopes`, `sub`, `category`, `purpose` and `evidence` override the
 * role's (`null` = none); `caseNumber` sends X-Case-Number (`null` = drop the role's case number).
 */
export async function roleHeaders(
  roleKey: string,
  options: { sub?: string; scopes?: string[]; category?: string | null; caseNumber?: string | null; purpose?: string | null; evidence?: string[] | null; grant?: string } = {},
): Promise<Record<string, string>> {
  const role = findRole(roleKey);
  const category = options.category === undefined ? role.category : (options.category ?? undefined);
  const token = await clientToken({ sub: options.sub ?? `${role.key}-001`, scopes: options.scopes ?? role.scopes, org: role.org, category });
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  const purpose = options.purpose === undefined ? role.purpose : options.purpose;
  if (purpose) headers['x-access-purpose'] = encodeURIComponent(purpose);
  let evidence = options.evidence === undefined ? role.evidence : (options.evidence ?? []);
  if (options.caseNumber !== undefined) evidence = evidence.filter((e) => !e.startsWith('case-number='));
  if (evidence.length) headers['x-evidence'] = encodeURIComponent(evidence.join('; '));
  if (options.caseNumber) headers['x-case-number'] = encodeURIComponent(options.caseNumber);
  if (options.grant) headers['x-access-grant'] = options.grant;
  return headers;
}

/** Headers the gateway would send to subgraph `audience` on behalf of `principal` (an archivist managing the archive by default). */
export async function internalHeaders(audience: string, principal: Principal = ARCHIVIST): Promise<Record<string, string>> {
  const token = await signInternalToken({ principal, purpose: 'archive-management' }, audience, INTERNAL_SECRET, 60);
  return { authorization: `Bearer ${token}` };
}

export type Engine = 'postgres' | 'mysql' | 'pglite';
export const silentLogger = createLogger('silent', 'test');

let databases = 0;

/** A URL for a fresh throwaway database on `engine` (undefined = embedded in memory). */
export function testDbUrl(engine: Engine, name: string): string | undefined {
  // Unique per process and call, so parallel checkouts and several federations in one file never
  // share a database; each is dropped when its subgraph stops.
  const db = `af_test_${name.replace(/[^a-z0-9]/gi, '_')}_${process.pid}_${++databases}`;
  if (engine === 'postgres') return `${PG_URL}/${db}`;
  if (engine === 'mysql') return `${MYSQL_URL}/${db}`;
  return undefined;
}

/** A migrated, empty store for `def` on `engine` in a throwaway database. */
export async function openTestStore<DB>(def: SubgraphDefinition<DB>, engine: Engine, url = testDbUrl(engine, def.name)): Promise<Store<DB>> {
  const first = await openStore<DB>({ name: def.name, url, dataDir: 'memory' });
  await dropAllTables(first);
  await first.close();
  return openStore<DB>({ name: def.name, url, dataDir: 'memory', migrations: def.migrations });
}

/** A small population shared by the tests: the demo family plus `count - 3` generated persons. */
export const testPopulation = (count = 300): Population => generatePopulation(count);

export interface TestSubgraph<DB> {
  store: Store<DB>;
  server: RunningServer;
  url: string;
  /** Calls the subgraph as the gateway would, with an internal token for `principal` (default: an archivist). */
  gql(query: string, variables?: Record<string, unknown>, principal?: Principal): Promise<GraphQLResponse & { status: number }>;
  stop(): Promise<void>;
}

/** Opens a store on `engine`, seeds it with `population`, and serves the subgraph on port 0 (under the access rules of `policyDir`). */
export async function startTestSubgraph<DB>(def: SubgraphDefinition<DB>, engine: Engine, population: Population, policyDir?: string): Promise<TestSubgraph<DB>> {
  const url = testDbUrl(engine, def.name);
  const store = await openTestStore(def, engine, url);
  await def.seed(store, population);
  const sub = await createSubgraphServer(def, { store, logger: silentLogger, internalSecret: INTERNAL_SECRET, policyDir });
  const server = await sub.listen(0);
  return {
    store,
    server,
    url: server.url,
    gql: async (query, variables, principal = ARCHIVIST) => gql(server.url, query, variables, await internalHeaders(def.name, principal)),
    async stop() {
      await server.stop();
      await store.close();
      if (url) await dropDatabase(url);
    },
  };
}

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
  extensions?: Record<string, any>;
}

/** POSTs a GraphQL request and returns the parsed body and HTTP status. */
export async function gql<T = any>(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse<T> & { status: number }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as GraphQLResponse<T>) };
  } catch {
    throw new Error(`Non-JSON response ${res.status}: ${text.slice(0, 300)}`);
  }
}

/** An `_entities` query for Person references with the given selection. */
export function entitiesQuery(selection: string): string {
  return `query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { idNumber ${selection} } } }`;
}
export const personRefs = (ids: string[]) => ({ r: ids.map((idNumber) => ({ __typename: 'Person', idNumber })) });

/** A TCP port free on 127.0.0.1 right now (for a private server a test starts itself). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
