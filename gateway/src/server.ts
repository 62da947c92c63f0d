/**
 * The gateway: Apollo Server + @apollo/gateway on a supergraph file (reloaded live when it
 * changes), behind Express with health endpoints. Features plug in as Apollo Server plugins (auth,
 * limits, trusted operations, rate limits, audit) or as stages of the executor chain in front of
 * @apollo/gateway (authorize → mask → cache → execute, composed below; docs/architecture.md).
 */
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import express, { type RequestHandler } from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloGateway } from '@apollo/gateway';
import type { GatewayContext } from './context';
import { authenticationPlugin, identityResolver } from './auth/identity';
import { authorize } from './authz/stage';
import { scopesIn } from './authz/policies';
import { maskIds } from './masking/stage';
import { composeGateway } from './pipeline';
import { accessPolicyOf } from '../../lib/access-policy';
import { SignedDataSource } from './fetch/signed-data-source';
import { subgraphFetcher } from './fetch/subgraph-fetcher';
import { InFlightFetches } from './fetch/in-flight';
import { auditStateOf, createAudit } from './audit';
import { ACCESS_SUBGRAPH, AccessDataSource, createAccess, type Access } from './access';
import { createGatewayCache } from './cache';
import { MetricsRegistry } from './metrics';
import { demandControlMetrics, httpErrorHandler, httpLimits, limitsFromConfig, operationLimitsPlugin, readCostDirectives } from './limits';
import { accessLog, accessLogPlugin, accessRecord, requestId, requestIdOf, requestMetrics } from './observability';
import { endAuthorizationSpan, startAuthorizationSpan } from './observability/tracing';
import { mountWebPages } from './web';
import { createTrustedOperations } from './operations';
import { createRateLimits } from './ratelimit';
import { mountExtracts } from './extracts';
import { readinessHandler, subgraphCheck, type ReadinessCheck } from './health/readiness';
import { fileSource, LiveSupergraph, prepareSupergraph, subgraphsAnswer, urlSource, type PreparedSupergraph, type SupergraphSubgraph } from './supergraph';
import { envPrefix, KNOWN_SCOPES, type Config } from '../../lib/config';
import { createHttpServer } from '../../lib/http-server';
import { activeTraceId, traceRequests } from '../../lib/tracing';
import type { Logger } from '../../lib/logger';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  /** Supergraph SDL, served as is (no reload); read from SUPERGRAPH_URL or SUPERGRAPH_PATH, and polled, when omitted. */
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
  /** The supergraph served now, and its reload. */
  supergraph: LiveSupergraph;
  /** Requests for access and their grants (the `access` subgraph's store). */
  access: Access;
  listen(port: number, host?: string): Promise<RunningGateway>;
}

/** Builds and starts (loads the supergraph) the gateway, without listening yet. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const source = options.supergraphSdl !== undefined ? undefined : config.SUPERGRAPH_URL ? urlSource(config.SUPERGRAPH_URL, config.READYZ_TIMEOUT_MS) : fileSource(config.SUPERGRAPH_PATH);
  // The access rules (policies/): validated when loaded, and every supergraph checked against them.
  const accessPolicy = accessPolicyOf(config.ACCESS_POLICY_DIR);
  // @apollo/gateway refuses the access-control directives: read them, strip them, enforce them here.
  const initial = prepareSupergraph(options.supergraphSdl ?? (await source!.read())!, accessPolicy.catalogue);
  const production = config.NODE_ENV === 'production';
  const metrics = new MetricsRegistry();
  // Loading the rules and working out the catalogue's users run synchronously (seconds on a busy
  // machine): done before any connection opens, so no handshake in flight outlives its timeout
  // behind a blocked event loop, and no request waits for them. The grants live in the audit store.
  const access = createAccess({ db: async () => (await audit.store.get()).db, policy: accessPolicy, maxDays: config.ACCESS_GRANT_MAX_DAYS });
  // Holds every response until its audit record is committed (fail closed: 503 AUDIT_UNAVAILABLE).
  // Its database also holds the cache's durable invalidation log.
  const audit = createAudit({ config, logger, metrics, supergraphSdl: initial.sdl });
  const cache = await createGatewayCache(config, logger, metrics, async () => (await audit.store.get()).db).catch(async (err) => {
    await audit.close(); // refused to start (e.g. a Redis Cluster): leave no store or timer behind
    throw err;
  });
  const observed = requestMetrics(metrics);
  const limits = limitsFromConfig(config, readCostDirectives(initial.sdl));

  // Where each subgraph is actually called (readiness checks the same addresses).
  const urlOf = (name: string, supergraphUrl: string) => options.subgraphUrls?.[name] ?? config.subgraphUrlOverrides[envPrefix(name)] ?? supergraphUrl;
  const { READYZ_TIMEOUT_MS: timeoutMs, READYZ_CACHE_MS: cacheMs } = config;
  // The access subgraph runs in this process: it is up when the gateway is.
  const inProcess: ReadinessCheck = async () => ({ ok: true, status: 'in process' });
  const checkOf = ({ name, url }: SupergraphSubgraph) =>
    name === ACCESS_SUBGRAPH ? inProcess : subgraphCheck({ name, url: urlOf(name, url), secret: config.INTERNAL_TOKEN_SECRET, timeoutMs });
  let accepting = true;
  // What follows the served supergraph: the scopes a token may carry, /readyz's subgraphs, the audit's field owners.
  const knownScopes = new Set<string>();
  let readiness: RequestHandler;
  const useSupergraph = (served: PreparedSupergraph) => {
    knownScopes.clear();
    for (const scope of [...KNOWN_SCOPES, ...scopesIn(served.policies)]) knownScopes.add(scope);
    const checks: Record<string, ReadinessCheck> = {
      audit: async () => {
        const { ready, audit: status, reason } = await audit.readiness();
        return { ok: ready, status, reason };
      },
    };
    for (const subgraph of served.subgraphs) checks[subgraph.name] = checkOf(subgraph);
    readiness = readinessHandler({ checks, accepting: () => accepting, timeoutMs, cacheMs, degradable: served.subgraphs.map((s) => s.name) });
    audit.useSupergraph(served.sdl);
    limits.operation.demand.costs = readCostDirectives(served.sdl);
  };
  useSupergraph(initial);
  const supergraph = new LiveSupergraph({
    initial,
    source,
    intervalMs: config.SUPERGRAPH_POLL_INTERVAL_MS,
    logger,
    check: subgraphsAnswer(checkOf),
    catalogue: accessPolicy.catalogue,
    onServed: useSupergraph,
  });
  const inFlight = config.SUBGRAPH_DEDUP === 'on' ? new InFlightFetches(metrics) : undefined;
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph,
    // Also in production: a reloaded supergraph that does not validate is refused, not served.
    validateSupergraph: true,
    logger,
    buildService: ({ name, url: supergraphUrl }) => {
      // Served in process: not called over HTTP (nor checked by /readyz).
      if (name === ACCESS_SUBGRAPH) return new AccessDataSource(access.schema);
      const url = urlOf(name, supergraphUrl!);
      const fetcher = subgraphFetcher({ subgraph: name, timeoutMs: config.SUBGRAPH_TIMEOUT_MS, observe: observed.subgraph });
      return new SignedDataSource({
        name,
        url,
        secret: config.INTERNAL_TOKEN_SECRET,
        ttlSeconds: config.INTERNAL_TOKEN_TTL_SECONDS,
        fetcher: inFlight ? inFlight.fetcher(name, fetcher) : fetcher,
      });
    },
  });

  const identify = identityResolver(config, knownScopes, { catalogue: accessPolicy.catalogue, findGrant: access.findGrant });
  const app = express();
  const httpServer = createHttpServer(app);
  const plugins: ApolloServerPlugin<GatewayContext>[] = [
    ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.SHUTDOWN_DRAIN_MS }),
    production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
  ];
  plugins.push(authenticationPlugin, operationLimitsPlugin(limits.operation, demandControlMetrics(metrics)), accessLogPlugin);
  const operations = createTrustedOperations(config, logger, metrics);
  const rateLimits = await createRateLimits(config, logger, metrics);
  plugins.push(operations.plugin, ...(rateLimits ? [rateLimits.plugin] : []), audit.plugin);
  const apollo = new ApolloServer<GatewayContext>({
    // Each operation: authorized (pruned), masked (keys asked for; the result masked on its way
    // back), answered from the response cache or executed by @apollo/gateway; the `authorization`
    // span lasts until the cache takes over.
    gateway: composeGateway<GatewayContext>(gateway, [
      startAuthorizationSpan,
      authorize(gateway, { policiesFor: supergraph.policiesFor, accessPolicy, mode: config.AUTHZ_MODE }),
      maskIds,
      endAuthorizationSpan,
      cache.responses.stage,
    ]),
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

  app.disable('x-powered-by');
  // Answers are personal records sent `no-store`: an ETag would hash every body for nothing.
  app.disable('etag');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (req, res, next) => readiness(req, res, next));
  app.get('/metrics', metrics.handler());
  // The explorer (/explorer, not in production) and the auditors' page (/audit): no external assets.
  mountWebPages(app, { config, logger });
  app.use(
    '/graphql',
    traceRequests(),
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
        traceId: activeTraceId(),
      }),
    }),
    httpErrorHandler(limits.http),
  );
  await audit.mount(app, { identify, requestId: requestIdOf });
  // Certified extracts (/extracts/graphql, /extracts/<code>.pdf, /verify): records read through `apollo` as the caller.
  const extracts = await mountExtracts(app, { config, logger, audit, gateway: apollo, identify, requestId: requestIdOf });

  return {
    app,
    apollo,
    supergraph,
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
              await extracts.close();
            },
          });
        });
      }),
  };
}
