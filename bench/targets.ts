/**
 * What is measured: the project's gateway with and without its cache, the two gateways it is
 * compared with, the subgraph on its own, and a bare HTTP server — each its own process on its
 * own port (5000–5099), so CPU and memory are per target.
 */
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { envPrefix, DEPARTMENTS, loadConfig } from '../lib/config';
import { findRole } from '../lib/roles';
import { signClientToken, signInternalToken, type Principal } from '../lib/tokens';
import { readPolicies } from '../gateway/src/authz/policies';
import { ACCESS_SUBGRAPH } from '../gateway/src/access';
import { CLIENT_NAME_HEADER, openOperationsStore, publishOperations } from '../gateway/src/operations';
import { sha256Hex } from '../lib/hash';
import type { ScenarioName } from './scenarios';
import { spawnNode, waitUntil, type Child } from './processes';
import { post } from './load';
import { AUDIT_DB_URL, CACHE_PREFIX, REDIS, dbEnv } from './databases';

// The bench's own secrets: its gateways, subgraphs and tokens agree on them, nothing else does.
export const JWT_SECRET = 'archive-federation-bench-jwt-secret';
export const INTERNAL_SECRET = 'archive-federation-bench-internal-secret';
/** Internal tokens for the plain gateways outlive any run. */
const INTERNAL_TOKEN_TTL_SECONDS = 12 * 3600;

export const TARGET_IDS = ['full', 'full-nocache', 'traced', 'features', 'apollo', 'hive', 'hive-rust', 'subgraph', 'ceiling', 'floor'] as const;
export type TargetId = (typeof TARGET_IDS)[number];

/** Added to every port below (BENCH_PORT_OFFSET, e.g. 100: 5101–5117), so two checkouts can run the bench side by side. @default 0 */
const OFFSET = Number(process.env.BENCH_PORT_OFFSET ?? 0);
/** Subgraphs listen on 5001–5004 (DEPARTMENTS order), their statement counters on 5005. */
export const SUBGRAPH_PORT_BASE = 5001 + OFFSET;
export const CONTROL_PORT = 5005 + OFFSET;
const PORTS: Record<TargetId, number> = { full: 5010 + OFFSET, 'full-nocache': 5011 + OFFSET, apollo: 5012 + OFFSET, hive: 5013 + OFFSET, subgraph: SUBGRAPH_PORT_BASE, ceiling: 5014 + OFFSET, traced: 5015 + OFFSET, 'hive-rust': 5016 + OFFSET, features: 5017 + OFFSET, floor: 5018 + OFFSET };

export interface TargetInfo {
  id: TargetId;
  label: string;
  /** Scenarios this target can answer; absent = every scenario. */
  scenarios?: ScenarioName[];
}

export const TARGETS: Record<TargetId, TargetInfo> = {
  full: { id: 'full', label: 'gateway (auth+audit+cache)' },
  'full-nocache': { id: 'full-nocache', label: 'gateway, cache off' },
  traced: { id: 'traced', label: 'gateway, cache off, tracing on (in-memory exporter)' },
  features: { id: 'features', label: 'gateway, cache off, trusted operations (refuse) + quotas + tracing on' },
  apollo: { id: 'apollo', label: 'plain @apollo/gateway' },
  hive: { id: 'hive', label: 'Hive Gateway' },
  'hive-rust': { id: 'hive-rust', label: 'Hive Gateway, Rust query planner' },
  subgraph: { id: 'subgraph', label: 'social-security subgraph direct', scenarios: ['contributions'] },
  ceiling: { id: 'ceiling', label: 'bare node:http (ceiling)', scenarios: ['hot'] },
  floor: { id: 'floor', label: 'bare Express + Apollo Server in gateway mode, answer in memory (floor)', scenarios: ['hot'] },
};

/** Every port a run may use: the subgraphs', their counters', and the targets'. */
export const BENCH_PORTS = [...DEPARTMENTS.map((_, i) => SUBGRAPH_PORT_BASE + i), CONTROL_PORT, ...Object.values(PORTS).filter((p) => p !== SUBGRAPH_PORT_BASE)];

export const fits = (target: TargetId, scenario: ScenarioName) => TARGETS[target].scenarios?.includes(scenario) ?? true;

/** A started target: where to send requests, with which headers, and whose CPU to measure. */
export interface RunningTarget extends TargetInfo {
  url: string;
  headers: Record<string, string>;
  /** The process serving it (for `subgraph`: the bench subgraphs process). */
  child: Child;
  /** The project's gateway's Prometheus endpoint (cache counters). */
  metricsUrl?: string;
}

export interface TargetContext {
  logDir: string;
  /** How long a started target may take to answer. */
  startTimeoutMs: number;
  /** Headers of an archivist client (JWT, purpose, case number) for the project's gateway. */
  clientHeaders: Record<string, string>;
  /** Long-lived internal tokens by subgraph, for the gateways that do not sign their own. */
  internalTokens: Record<string, string>;
  /** The stripped supergraph pointing at the bench subgraphs (a file). */
  strippedSupergraph: string;
  /** File with the hot response, for the ceiling. */
  hotBody?: string;
  /** The bench subgraphs process. */
  subgraphs: Child;
}

/** `SOCIAL_SECURITY_SUBGRAPH_URL=http://127.0.0.1:5001/graphql` etc. */
export function subgraphUrlEnv(): Record<string, string> {
  return Object.fromEntries(DEPARTMENTS.map((name, i) => [`${envPrefix(name)}_SUBGRAPH_URL`, `http://127.0.0.1:${SUBGRAPH_PORT_BASE + i}/graphql`]));
}

/** The gateway targets: the project's gateway in its configurations. */
export const isProjectGateway = (id: TargetId) => id === 'full' || id === 'full-nocache' || id === 'traced' || id === 'features';

/**
 * The project's gateway as the image runs it: the compiled JavaScript of `npm run build` (the
 * harness builds it first), not TypeScript through tsx, whose transform and module hooks the
 * deployed gateway does not pay.
 */
const GATEWAY_MAIN = 'dist/gateway/src/main.js';

/** The client system the `features` target's requests name; every bench document is on its trusted list. */
export const BENCH_CLIENT = 'bench-client';

/**
 * The optional features, all on for `features`: trusted operations refusing an unlisted document
 * (requests name BENCH_CLIENT), rate limits and quotas counted in Redis on every request (limits
 * high enough never to refuse the bench), and tracing exported to memory. The other gateway
 * targets run with them off. Demand control and live reload (polling SUPERGRAPH_PATH) are on in
 * every gateway target: they are the defaults.
 */
function featureEnv(features: boolean): Record<string, string> {
  return features
    ? { TRUSTED_OPERATIONS: 'refuse', TRUSTED_OPERATIONS_REQUIRE_CLIENT: 'true', RATE_LIMIT_REQUESTS_PER_MINUTE: '100000000', RATE_LIMIT_SUBJECTS_PER_DAY: '100000000', OTEL_TRACES_EXPORTER: 'memory' }
    : { TRUSTED_OPERATIONS: 'off' };
}

/** Puts `queries` (and the readiness probe's `{ __typename }`) on BENCH_CLIENT's trusted list, approved. */
export async function trustBenchOperations(queries: string[]): Promise<void> {
  const store = await openOperationsStore(AUDIT_DB_URL, 'bench/.data');
  try {
    const operations = [...new Set(['{ __typename }', ...queries])].map((body) => ({ id: sha256Hex(body), type: 'query' as const, body }));
    await publishOperations(store, BENCH_CLIENT, operations, true);
  } finally {
    await store.close();
  }
}

/** The environment of the project's gateway, as `npm run gateway` would get it in a deployment. */
function gatewayEnv(ctx: TargetContext, port: number, cache: boolean, traced = false): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    GATEWAY_PORT: String(port),
    LOG_LEVEL: 'warn',
    JWT_SECRET,
    INTERNAL_TOKEN_SECRET: INTERNAL_SECRET,
    SUPERGRAPH_PATH: 'schema/supergraph.graphql',
    ...subgraphUrlEnv(),
    AUDIT_DB_URL,
    REDIS_URL: REDIS,
    CACHE_ENABLED: String(cache),
    CACHE_KEY_PREFIX: CACHE_PREFIX,
    DATA_DIR: 'bench/.data',
    AUDIT_SIGNING_KEY_FILE: benchSigningKey(),
    // Every span recorded and exported (batched) to memory: tracing's whole cost in the gateway, no network.
    OTEL_TRACES_EXPORTER: traced ? 'memory' : 'none',
  };
}

/** Production requires a configured audit signing key: the bench's own, generated once into its data folder. */
function benchSigningKey(): string {
  const file = 'bench/.data/audit-signing-key.pem';
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return file;
}

/** Answers a trivial query: the server is up and talks to its subgraphs' schema. */
async function answers(url: string, headers: Record<string, string>): Promise<boolean> {
  const res = await post(url, JSON.stringify({ query: '{ __typename }' }), headers);
  return res.status === 200 && res.json?.data !== undefined;
}

/** Starts (or, for `subgraph`, adopts) a target and waits until it answers. */
export async function startTarget(id: TargetId, ctx: TargetContext): Promise<RunningTarget> {
  const port = PORTS[id];
  const url = `http://127.0.0.1:${port}/graphql`;
  const log = path.join(ctx.logDir, `${id}.log`);
  const common = { log };
  const standalone = { NODE_ENV: 'production', BENCH_PORT: String(port), BENCH_SUPERGRAPH: ctx.strippedSupergraph, BENCH_TOKENS: JSON.stringify(ctx.internalTokens) };
  let child: Child;
  let headers: Record<string, string> = {};
  switch (id) {
    case 'full':
    case 'full-nocache':
    case 'traced':
    case 'features':
      child = spawnNode(id, GATEWAY_MAIN, { ...common, env: { ...gatewayEnv(ctx, port, id === 'full', id === 'traced'), ...featureEnv(id === 'features') } });
      headers = id === 'features' ? { ...ctx.clientHeaders, [CLIENT_NAME_HEADER]: BENCH_CLIENT } : ctx.clientHeaders;
      break;
    case 'apollo':
      child = spawnNode(id, 'bench/apollo-gateway.ts', { ...common, env: standalone });
      break;
    case 'hive':
    case 'hive-rust':
      child = spawnNode(id, 'bench/hive-gateway.ts', { ...common, env: { ...standalone, BENCH_HIVE_ROUTER_RUNTIME: id === 'hive-rust' ? '1' : '0' } });
      break;
    case 'subgraph':
      child = ctx.subgraphs;
      headers = { authorization: `Bearer ${ctx.internalTokens['social-security']}` };
      break;
    case 'ceiling':
      if (!ctx.hotBody) throw new Error('the ceiling needs the hot response; no gateway target gave one');
      child = spawnNode(id, 'bench/ceiling.ts', { ...common, env: { BENCH_PORT: String(port), BENCH_BODY: ctx.hotBody } });
      break;
    case 'floor':
      if (!ctx.hotBody) throw new Error('the floor needs the hot response; no gateway target gave one');
      child = spawnNode(id, 'bench/apollo-server-floor.ts', { ...common, env: { BENCH_PORT: String(port), BENCH_BODY: ctx.hotBody } });
      break;
  }
  try {
    await waitUntil(child, () => answers(url, headers), ctx.startTimeoutMs);
  } catch (err) {
    if (child !== ctx.subgraphs) await child.stop();
    throw err;
  }
  const metricsUrl = isProjectGateway(id) ? `http://127.0.0.1:${port}/metrics` : undefined;
  return { ...TARGETS[id], url, headers, child, metricsUrl };
}


/** Client headers of an archivist, and internal tokens per subgraph on the archivist's behalf. */
export async function credentials() {
  const role = findRole('archivist');
  const defaults = loadConfig({});
  const token = await signClientToken(
    { sub: 'bench-archivist', name: role.labelZh, org: role.org, scopes: role.scopes, category: role.category },
    { secret: JWT_SECRET, issuer: defaults.JWT_ISSUER, audience: defaults.JWT_AUDIENCE, ttl: INTERNAL_TOKEN_TTL_SECONDS },
  );
  const clientHeaders = { authorization: `Bearer ${token}`, 'x-access-purpose': encodeURIComponent(role.purpose) };
  const principal: Principal = { authenticated: true, sub: 'bench-archivist', name: role.labelZh, org: role.org, category: role.category, scopes: role.scopes };
  const internalTokens: Record<string, string> = {};
  for (const name of DEPARTMENTS) {
    internalTokens[name] = await signInternalToken({ principal, purpose: role.purpose, evidence: [] }, name, INTERNAL_SECRET, INTERNAL_TOKEN_TTL_SECONDS);
  }
  return { clientHeaders, internalTokens };
}

/** The supergraph a plain @apollo/gateway or Hive Gateway accepts, pointing at the bench subgraphs. */
export function strippedSupergraph(file: string): string {
  const { gatewaySdl } = readPolicies(readFileSync('schema/supergraph.graphql', 'utf8'));
  const sdl = gatewaySdl.replace(/(@join__graph\(name:\s*"([^"]+)",\s*url:\s*")[^"]*(")/g, (_m: string, head: string, name: string, tail: string) => {
    // The gateway's own `access` subgraph: peers keep its never-fetched URL (the bench does not query it).
    if (name === ACCESS_SUBGRAPH) return _m;
    const i = DEPARTMENTS.indexOf(name as (typeof DEPARTMENTS)[number]);
    if (i < 0) throw new Error(`supergraph names an unknown subgraph "${name}"`);
    return `${head}http://127.0.0.1:${SUBGRAPH_PORT_BASE + i}/graphql${tail}`;
  });
  writeFileSync(file, sdl);
  return file;
}

export function startSubgraphs(logDir: string): Child {
  const ports = Object.fromEntries(DEPARTMENTS.map((name, i) => [`${envPrefix(name)}_PORT`, String(SUBGRAPH_PORT_BASE + i)]));
  return spawnNode('subgraphs', 'bench/subgraphs.ts', {
    log: path.join(logDir, 'subgraphs.log'),
    env: { ...dbEnv(), ...ports, NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'warn', JWT_SECRET, INTERNAL_TOKEN_SECRET: INTERNAL_SECRET, BENCH_CONTROL_PORT: String(CONTROL_PORT) },
  });
}
