/**
 * The gateway: Apollo Server + @apollo/gateway on a static supergraph file, behind Express with
 * health endpoints. Features (auth, limits, cache, audit) plug in as Apollo Server plugins.
 */
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloGateway } from '@apollo/gateway';
import { loadAccessPolicy } from '../../lib/legal-basis';
import type { GatewayContext } from './context';
import { authenticationPlugin, identityResolver } from './auth/identity';
import { authorizingGateway, scopesIn } from './authz/gateway';
import { readPolicies } from './authz/policies';
import { SignedDataSource } from './fetch/signed-data-source';
import { auditStateOf, createAudit } from './audit';
import { ACCESS_SUBGRAPH, AccessDataSource, createAccess, type Access } from './access';
import { createGatewayCache } from './cache';
import { createMetricsRegistry, metricsHandler } from './metrics/registry';
import { httpErrorHandler, httpLimits, limitsFromConfig, operationLimitsPlugin, subgraphFetcher } from './limits';
import { accessLog, accessLogPlugin, accessRecord, requestId, requestIdOf, requestMetrics } from './observability';
import { mountWebPages } from './web';
import { createTrustedOperations } from './operations';
import { createRateLimits } from './ratelimit';
import { readinessHandler, subgraphCheck, type ReadinessCheck } from './health/readiness';
import { envPrefix, KNOWN_SCOPES, type Config } from '../../lib/config';
import { createHttpServer } from '../../lib/http-server';
import type { Logger } from '../../lib/logger';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  /** Supergraph SDL; read from `config.SUPERGRAPH_PATH` when omitted. */
  supergraphSdl?: string;
  /** Subgraph URLs by subgraph name, overriding the supergraph's (tests start subgraphs on port 0). */
  subgraphUrls?: Record<string, string>;
}

export interface RunningGateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface Gateway {
  app: express.Express;
  apollo: ApolloServer<GatewayContext>;
  /** Requests for access and their grants (the `access` subgraph's store). */
  access: Access;
  listen(port: number, host?: string): Promise<RunningGateway>;
}

/** Builds and starts (loads the supergraph) the gateway, without listening yet. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const supergraphSdl = options.supergraphSdl ?? readFileSync(config.SUPERGRAPH_PATH, 'utf8');
  const production = config.NODE_ENV === 'production';
  const metrics = createMetricsRegistry();
  // Loading the rules and working out the catalogue's users run synchronously (seconds on a busy
  // machine): done before any connection opens, so no handshake in flight outlives its timeout
  // behind a blocked event loop, and no request waits for them. The grants live in the audit store.
  const access = createAccess({ db: async () => (await audit.store.get()).db, policy: loadAccessPolicy(), maxDays: config.ACCESS_GRANT_MAX_DAYS });
  // Holds every response until its audit record is committed (fail closed: 503 AUDIT_UNAVAILABLE).
  // Its database also holds the cache's durable invalidation log.
  const audit = createAudit({ config, logger, metrics, supergraphSdl });
  const cache = await createGatewayCache(config, logger, metrics, async () => (await audit.store.get()).db).catch(async (err) => {
    await audit.close(); // refused to start (e.g. a Redis Cluster): leave no store or timer behind
    throw err;
  });
  const observed = requestMetrics(metrics);
  const limits = limitsFromConfig(config);

  // @apollo/gateway refuses the access-control directives: read them, strip them, enforce them here.
  const { gatewaySdl, policies } = readPolicies(supergraphSdl);
  // Where each subgraph is actually called (readiness checks the same addresses).
  const subgraphUrls = new Map<string, string>();
  const gateway = new ApolloGateway({
    supergraphSdl: gatewaySdl,
    logger,
    buildService: ({ name, url: supergraphUrl }) => {
      // Served in process: not called over HTTP, so not in `subgraphUrls` (nor checked by /readyz).
      if (name === ACCESS_SUBGRAPH) return new AccessDataSource(access.schema);
      const url = options.subgraphUrls?.[name] ?? config.subgraphUrlOverrides[envPrefix(name)] ?? supergraphUrl!;
      subgraphUrls.set(name, url);
      return new SignedDataSource({
        name,
        url,
        secret: config.INTERNAL_TOKEN_SECRET,
        ttlSeconds: config.INTERNAL_TOKEN_TTL_SECONDS,
        fetcher: subgraphFetcher({ subgraph: name, timeoutMs: config.SUBGRAPH_TIMEOUT_MS, observe: observed.subgraph }),
      });
    },
  });

  const identify = identityResolver(config, new Set([...KNOWN_SCOPES, ...scopesIn(policies)]));
  const app = express();
  const httpServer = createHttpServer(app);
  const plugins: ApolloServerPlugin<GatewayContext>[] = [
    ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.SHUTDOWN_DRAIN_MS }),
    production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
  ];
  plugins.push(authenticationPlugin, operationLimitsPlugin(limits.operation), accessLogPlugin);
  const operations = createTrustedOperations(config, logger, metrics);
  const rateLimits = await createRateLimits(config, logger, metrics);
  plugins.push(operations.plugin, ...(rateLimits ? [rateLimits.plugin] : []), audit.plugin);
  const apollo = new ApolloServer<GatewayContext>({
    gateway: authorizingGateway(gateway, { policies, mode: config.AUTHZ_MODE, responseCache: cache.responses }),
    plugins,
    persistedQueries: { cache: cache.persistedQueries, ttl: config.CACHE_APQ_TTL_SECONDS },
    introspection: !production,
    // No "Did you mean …?" in production: suggestions let a caller map the schema with introspection off.
    hideSchemaDetailsFromClientErrors: production,
    csrfPrevention: true,
    allowBatchedHttpRequests: config.MAX_BATCH_OPERATIONS > 0,
    // Backstop for documents that skip the HTTP token check; the parser stops at the limit.
    parseOptions: { maxTokens: config.MAX_TOKENS },
    includeStacktraceInErrorResponses: !production,
    logger,
  });
  await apollo.start();
  let accepting = true;

  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const { READYZ_TIMEOUT_MS: timeoutMs, READYZ_CACHE_MS: cacheMs } = config;
  const readinessChecks: Record<string, ReadinessCheck> = {
    audit: async () => {
      const { ready, audit: status, reason } = await audit.readiness();
      return { ok: ready, status, reason };
    },
  };
  for (const [name, url] of subgraphUrls) readinessChecks[name] = subgraphCheck({ name, url, secret: config.INTERNAL_TOKEN_SECRET, timeoutMs });
  app.get('/readyz', readinessHandler({ checks: readinessChecks, accepting: () => accepting, timeoutMs, cacheMs, degradable: [...subgraphUrls.keys()] }));
  app.get('/metrics', metricsHandler(metrics));
  // The explorer (/explorer, not in production) and the auditors' page (/audit): no external assets.
  mountWebPages(app, { config, logger });
  app.use(
    '/graphql',
    requestId(),
    accessLog({ logger, metrics: observed }),
    audit.refusals({ identify, requestId: requestIdOf }),
    ...httpLimits(limits.http),
    operations.idField,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => ({
        ...(await identify(req.headers)),
        requestId: requestIdOf(req.headers['x-request-id']),
        clientAddress: req.socket.remoteAddress ?? 'unknown',
        logger,
        internalTokens: new Map(),
        subjects: new Set<string>(),
        access: accessRecord(res),
        auditState: auditStateOf(res),
      }),
    }),
    httpErrorHandler(limits.http),
  );
  await audit.mount(app, { identify, requestId: requestIdOf });

  return {
    app,
    apollo,
    access,
    listen: (port, host = config.HOST) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const actual = (httpServer.address() as AddressInfo).port;
          resolve({
            url: `http://${config.PUBLIC_HOST}:${actual}/graphql`,
            port: actual,
            // Not ready first (load balancers stop sending) while still serving; then drain, then close the audit log.
            stop: async () => {
              accepting = false;
              logger.info({ delayMs: config.SHUTDOWN_DELAY_MS, drainMs: config.SHUTDOWN_DRAIN_MS }, 'not ready: serving until the delay ends, then draining');
              await setTimeout(config.SHUTDOWN_DELAY_MS);
              await apollo.stop();
              await audit.close();
              await cache.cache.close();
              await operations.close();
              await rateLimits?.close();
            },
          });
        });
      }),
  };
}
