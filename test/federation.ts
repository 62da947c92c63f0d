/**
 * Starts the four subgraphs (each on its production engine or embedded) and the gateway in
 * process on port 0, like apollographql/federation's startSubgraphsAndGateway.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEPARTMENTS, loadConfig, type Config, type Department } from '../lib/config';
import { createGateway } from '../gateway/src/server';
import type { Access } from '../gateway/src/access';
import { composeSupergraph } from '../schema/compose';
import { SUBGRAPHS } from '../subgraphs';
import type { Population } from '../subgraphs/common/population';
import { dropDatabase } from '../lib/db';
import type { Logger } from '../lib/logger';
import { INTERNAL_SECRET, silentLogger, startTestSubgraph, testDbUrl, testPopulation, type Engine, type TestSubgraph } from './helpers';

/** Each department's production engine (docs/architecture.md). */
export const PRODUCTION_ENGINES: Record<Department, Engine> = {
  'social-security': 'postgres',
  marriage: 'postgres',
  'real-estate': 'mysql',
  'medical-insurance': 'mysql',
};
export const EMBEDDED_ENGINES: Record<Department, Engine> = {
  'social-security': 'pglite',
  marriage: 'pglite',
  'real-estate': 'pglite',
  'medical-insurance': 'pglite',
};

export interface Federation {
  url: string;
  subgraphs: Record<Department, TestSubgraph<any>>;
  population: Population;
  /** The gateway's audit database (a throwaway PostgreSQL one; undefined when embedded). */
  auditDbUrl: string | undefined;
  /** SQL statements executed so far, per department. */
  statements(): Record<Department, number>;
  /** The gateway's requests for access and grants (its `findGrant`). */
  access: Access;
  stop(): Promise<void>;
}

export interface FederationOptions {
  engines?: Record<Department, Engine>;
  population?: Population;
  /** Extra environment for the gateway's config (e.g. `{ AUTHZ_MODE: 'reject' }`); ACCESS_POLICY_DIR reaches the subgraphs too. */
  env?: Record<string, string>;
}

export async function startFederation(options: FederationOptions | Record<Department, Engine> = {}): Promise<Federation> {
  const opts: FederationOptions = 'marriage' in options ? { engines: options as Record<Department, Engine> } : (options as FederationOptions);
  const { engines = PRODUCTION_ENGINES, population = testPopulation(), env = {} } = opts;
  const subgraphs = {} as Record<Department, TestSubgraph<any>>;
  await Promise.all(
    DEPARTMENTS.map(async (name) => {
      subgraphs[name] = await startTestSubgraph(SUBGRAPHS[name]!, engines[name], population, env.ACCESS_POLICY_DIR);
    }),
  );
  // The audit store: a throwaway PostgreSQL database beside production engines (PGlite takes seconds
  // to start), in-memory PGlite beside embedded ones; DATA_DIR memory keeps the developer's .data clean.
  const auditDbUrl = env.AUDIT_DB_URL || engines['social-security'] !== 'postgres' ? undefined : testDbUrl('postgres', 'audit');
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PUBLIC_HOST: '127.0.0.1', DATA_DIR: 'memory', AUDIT_DB_URL: auditDbUrl, ...env });
  const gateway = await createGateway({
    config,
    logger: silentLogger,
    supergraphSdl: composeSupergraph(),
    subgraphUrls: Object.fromEntries(DEPARTMENTS.map((name) => [name, subgraphs[name].url])),
  });
  const running = await gateway.listen(0, '127.0.0.1');
  return {
    url: running.url,
    subgraphs,
    population,
    auditDbUrl: config.AUDIT_DB_URL,
    statements: () => Object.fromEntries(DEPARTMENTS.map((n) => [n, subgraphs[n].store.statements])) as Record<Department, number>,
    access: gateway.access,
    async stop() {
      await running.stop();
      await Promise.all(DEPARTMENTS.map((n) => subgraphs[n].stop()));
      if (auditDbUrl) await dropDatabase(auditDbUrl);
    },
  };
}

/**
 * Another gateway replica in front of `fed`'s subgraphs (same supergraph, its own config), e.g. two
 * gateways sharing one audit store. Stop it before `fed`.
 */
export async function startGateway(
  fed: Federation,
  env: Record<string, string> = {},
  /**
   * `subgraphUrls`: send some subgraphs' calls elsewhere (a slow proxy, a closed port); `logger`: capture the gateway's logs;
   * `config`: set after the environment is validated (a production gateway that still speaks the test subgraphs' development secret).
   */
  overrides: { subgraphUrls?: Partial<Record<Department, string>>; logger?: Logger; config?: Partial<Config> } = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const config = { ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PUBLIC_HOST: '127.0.0.1', DATA_DIR: 'memory', ...env }), ...overrides.config };
  const gateway = await createGateway({
    config,
    logger: overrides.logger ?? silentLogger,
    supergraphSdl: composeSupergraph(),
    subgraphUrls: Object.fromEntries(DEPARTMENTS.map((name) => [name, overrides.subgraphUrls?.[name] ?? fed.subgraphs[name].url])),
  });
  return gateway.listen(0, '127.0.0.1');
}

/**
 * A production environment that passes production's checks (random secrets, an audit signing key
 * file), and the config to set after them so the gateway still speaks the development secrets of
 * the test subgraphs and of `clientToken` (pass both to `startGateway`).
 */
export function productionTestEnv(): { env: Record<string, string>; config: { JWT_SECRET: string; INTERNAL_TOKEN_SECRET: string } } {
  const keyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'af-key-')), 'audit-signing-key.pem');
  writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return {
    env: { NODE_ENV: 'production', JWT_SECRET: randomBytes(33).toString('base64'), INTERNAL_TOKEN_SECRET: randomBytes(33).toString('base64'), AUDIT_SIGNING_KEY_FILE: keyFile },
    config: { JWT_SECRET: loadConfig({}).JWT_SECRET!, INTERNAL_TOKEN_SECRET: INTERNAL_SECRET },
  };
}
