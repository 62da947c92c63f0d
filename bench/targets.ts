/**
 * What is measured: the project's gateway with and without its cache, the two gateways it is
 * compared with, the subgraph on its own, and a bare HTTP server — each its own process on its
 * own port (5000–5099), so CPU and memory are per target.
 */
import path from 'node:path';
import { envPrefix, DEPARTMENTS } from '../lib/config';
import type { ScenarioName } from './scenarios';
import { spawnNode, waitUntil, type Child } from './processes';
import { post } from './load';
import { AUDIT_DB_URL, CACHE_PREFIX, REDIS } from './databases';

export const TARGET_IDS = ['full', 'full-nocache', 'apollo', 'hive', 'subgraph', 'ceiling'] as const;
export type TargetId = (typeof TARGET_IDS)[number];

/** Subgraphs listen on 5001–5004 (DEPARTMENTS order), their statement counters on 5005. */
export const SUBGRAPH_PORT_BASE = 5001;
export const CONTROL_PORT = 5005;
const PORTS: Record<TargetId, number> = { full: 5010, 'full-nocache': 5011, apollo: 5012, hive: 5013, subgraph: SUBGRAPH_PORT_BASE, ceiling: 5014 };

export interface TargetInfo {
  id: TargetId;
  label: string;
  /** Scenarios this target can answer; absent = every scenario. */
  scenarios?: ScenarioName[];
}

export const TARGETS: Record<TargetId, TargetInfo> = {
  full: { id: 'full', label: 'gateway (auth+audit+cache)' },
  'full-nocache': { id: 'full-nocache', label: 'gateway, cache off' },
  apollo: { id: 'apollo', label: 'plain @apollo/gateway' },
  hive: { id: 'hive', label: 'Hive Gateway' },
  subgraph: { id: 'subgraph', label: 'social-security subgraph direct', scenarios: ['contributions'] },
  ceiling: { id: 'ceiling', label: 'bare node:http (ceiling)', scenarios: ['hot'] },
};

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
  /** Secrets the bench gateways and subgraphs share. */
  jwtSecret: string;
  internalSecret: string;
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

/** The environment of the project's gateway, as `npm run gateway` would get it in a deployment. */
function gatewayEnv(ctx: TargetContext, port: number, cache: boolean): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    GATEWAY_PORT: String(port),
    LOG_LEVEL: 'warn',
    JWT_SECRET: ctx.jwtSecret,
    INTERNAL_TOKEN_SECRET: ctx.internalSecret,
    SUPERGRAPH_PATH: 'schema/supergraph.graphql',
    ...subgraphUrlEnv(),
    AUDIT_DB_URL,
    REDIS_URL: REDIS,
    CACHE_ENABLED: String(cache),
    CACHE_KEY_PREFIX: CACHE_PREFIX,
    // The audit signing key is generated once into the bench's own data folder.
    DATA_DIR: 'bench/.data',
  };
}

/** Answers a trivial query: the server is up and talks to its subgraphs' schema. */
async function answers(url: string, headers: Record<string, string>): Promise<boolean> {
  const res = await post(url, JSON.stringify({ query: '{ __typename }' }), headers);
  return res.status === 200;
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
      child = spawnNode(id, 'gateway/src/main.ts', { ...common, env: gatewayEnv(ctx, port, id === 'full') });
      headers = ctx.clientHeaders;
      break;
    case 'apollo':
      child = spawnNode(id, 'bench/apollo-gateway.ts', { ...common, env: standalone });
      break;
    case 'hive':
      child = spawnNode(id, 'bench/hive-gateway.ts', { ...common, env: standalone });
      break;
    case 'subgraph':
      child = ctx.subgraphs;
      headers = { authorization: `Bearer ${ctx.internalTokens['social-security']}` };
      break;
    case 'ceiling':
      if (!ctx.hotBody) throw new Error('the ceiling needs the hot response; no gateway target gave one');
      child = spawnNode(id, 'bench/ceiling.ts', { ...common, env: { BENCH_PORT: String(port), BENCH_BODY: ctx.hotBody } });
      break;
  }
  await waitUntil(child, () => answers(url, headers));
  const metricsUrl = id === 'full' || id === 'full-nocache' ? `http://127.0.0.1:${port}/metrics` : undefined;
  return { ...TARGETS[id], url, headers, child, metricsUrl };
}
