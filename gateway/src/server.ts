/**
 * The gateway: Apollo Server + @apollo/gateway on a static supergraph file, behind Express with
 * health endpoints. Features (auth, limits, cache, audit) plug in as Apollo Server plugins.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloGateway } from '@apollo/gateway';
import { authenticationPlugin, identityResolver, type Identity } from './auth/identity';
import { authorizingGateway, scopesIn, type Denial } from './authz/gateway';
import { readPolicies } from './authz/policies';
import { SignedDataSource } from './fetch/signed-data-source';
import { envPrefix, KNOWN_SCOPES, type Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { randomUUID } from 'node:crypto';

/** Per-request state every gateway plugin and data source reads. */
export interface GatewayContext extends Identity {
  requestId: string;
  /** The client's network address (the audit record's "client address"). */
  clientAddress: string;
  logger: Logger;
  /** Internal tokens already signed for this request, by subgraph. */
  internalTokens: Map<string, Promise<string>>;
  /** ID numbers whose records the subgraphs returned for this request (for the audit record). */
  subjects: Set<string>;
  /** Fields removed by authorization (set once the operation is authorized). */
  denied?: Denial[];
}

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
  listen(port: number, host?: string): Promise<RunningGateway>;
}

/** The caller's request id when it looks like one, else a fresh UUID (ids end up in logs and audit). */
function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^[\w.:-]{1,64}$/.test(header) ? header : randomUUID();
}

/** Builds and starts (loads the supergraph) the gateway, without listening yet. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const supergraphSdl = options.supergraphSdl ?? readFileSync(config.SUPERGRAPH_PATH, 'utf8');
  const production = config.NODE_ENV === 'production';

  // @apollo/gateway refuses the access-control directives: read them, strip them, enforce them here.
  const { gatewaySdl, policies } = readPolicies(supergraphSdl);
  const gateway = new ApolloGateway({
    supergraphSdl: gatewaySdl,
    logger,
    buildService: ({ name, url }) =>
      new SignedDataSource({
        name,
        url: options.subgraphUrls?.[name] ?? config.subgraphUrlOverrides[envPrefix(name)] ?? url!,
        secret: config.INTERNAL_TOKEN_SECRET,
        ttlSeconds: config.INTERNAL_TOKEN_TTL_SECONDS,
      }),
  });

  const identify = identityResolver(config, new Set([...KNOWN_SCOPES, ...scopesIn(policies)]));
  const app = express();
  const httpServer = http.createServer(app);
  const plugins: ApolloServerPlugin<GatewayContext>[] = [
    ApolloServerPluginDrainHttpServer({ httpServer }),
    production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
  ];
  plugins.push(authenticationPlugin);
  const apollo = new ApolloServer<GatewayContext>({
    gateway: authorizingGateway(gateway, { policies, mode: config.AUTHZ_MODE }),
    plugins,
    introspection: !production,
    includeStacktraceInErrorResponses: !production,
    logger,
  });
  await apollo.start();
  let ready = true;

  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'stopping', supergraph: 'loaded' });
  });
  app.use(
    '/graphql',
    express.json({ limit: config.MAX_BODY_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req }) => ({
        ...(await identify(req.headers)),
        requestId: requestIdOf(req.headers['x-request-id']),
        clientAddress: req.socket.remoteAddress ?? 'unknown',
        logger,
        internalTokens: new Map(),
        subjects: new Set<string>(),
      }),
    }),
  );

  return {
    app,
    apollo,
    listen: (port, host = config.HOST) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const actual = (httpServer.address() as AddressInfo).port;
          resolve({
            url: `http://${config.PUBLIC_HOST}:${actual}/graphql`,
            port: actual,
            stop: async () => {
              ready = false;
              await apollo.stop();
            },
          });
        });
      }),
  };
}
