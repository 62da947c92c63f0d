/**
 * The one subgraph server factory: every department is a `SubgraphDefinition` served by the same
 * Apollo Server + Express setup, with per-request loaders, health endpoints and error mapping.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { ResolverMap } from './resolver-map';
import { parse, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { sql, type Migration } from 'kysely';
import type { Department } from '../../lib/config';
import type { Store } from '../../lib/db';
import { codedError, ErrorCode } from '../../lib/errors';
import { createHttpServer } from '../../lib/http-server';
import type { Logger } from '../../lib/logger';
import { internalTokenVerifier, InvalidTokenError, type InternalClaims } from '../../lib/tokens';
import { accessPolicyOf } from '../../lib/access-policy';
import { DEFAULT_POLICY_DIR } from '../../lib/legal-basis';
import { traceRequests, tracingStarted } from '../../lib/tracing';
import { accessTypeDefs, applyAccessRules, type AccessContext, type RecordSubjects } from './access';
import { archivalTypeDefs } from './archival';
import type { Correction } from './corrections';
import { cacheControlTypeDefs } from './cache-control';
import { traceResolvers } from './tracing';
import { searchHitTypeDefs } from './search';
import type { Population } from './population';

/** What a resolver sees: the caller's claims, the store, this request's loaders and the logger. */
export interface SubgraphContext<DB = unknown, L = unknown> extends AccessContext {
  store: Store<DB>;
  loaders: L;
  logger: Logger;
}

/** Progress callback for seeding: rows written so far out of the total. */
export type SeedProgress = (done: number, total: number) => void;

/** Everything that makes one department's subgraph; the shared factory does the rest. */
export interface SubgraphDefinition<DB = any, L = any> {
  name: Department;
  /** The department's SDL (schema.graphql); the archival fragment is appended by the factory. */
  typeDefs: string;
  resolvers: ResolverMap<SubgraphContext<DB, L>>;
  /** Kysely migrations, applied in name order on start. */
  migrations: Record<string, Migration>;
  /** Creates this request's DataLoaders. */
  createLoaders(store: Store<DB>): L;
  /** Writes this department's share of `population` (store is empty); reports progress. */
  seed(store: Store<DB>, population: Population, progress?: SeedProgress): Promise<void>;
  /** Whether the store already holds seed data. */
  isSeeded(store: Store<DB>): Promise<boolean>;
  /** The department's record correction: its mutation and `npm run import` apply it. */
  correction: Correction<DB>;
  /** The persons each record type's rows are about (row-level rule and reported subjects), by type name. @default none */
  recordSubjects?: RecordSubjects<SubgraphContext<DB, L>>;
}

/** The subgraph's complete SDL: department SDL plus the shared archival, access and cache types and the search hit types it names. */
export function fullTypeDefs(def: SubgraphDefinition): DocumentNode {
  return parse(`${def.typeDefs}\n${archivalTypeDefs}\n${accessTypeDefs}\n${cacheControlTypeDefs}\n${searchHitTypeDefs(def.typeDefs)}`);
}

/** The subgraph's executable schema, enforcing the access rules of `policyDir`. */
export function buildSchema(def: SubgraphDefinition, policyDir: string = DEFAULT_POLICY_DIR): GraphQLSchema {
  const schema = buildSubgraphSchema([{ typeDefs: fullTypeDefs(def), resolvers: def.resolvers }]);
  return applyAccessRules(schema, accessPolicyOf(policyDir), def.recordSubjects);
}

/** A department's SDL: the `schema.graphql` beside its index.ts. */
export const readTypeDefs = (dir: string): string => readFileSync(path.join(dir, 'schema.graphql'), 'utf8');

/** What each department's index.ts exports beside its definition: the executable schema and a server factory. */
export function subgraphModule<DB, L>(def: SubgraphDefinition<DB, L>) {
  return {
    schema: buildSchema(def),
    createServer: (options: SubgraphServerOptions<DB>) => createSubgraphServer(def, options),
  };
}

export interface SubgraphServerOptions<DB> {
  store: Store<DB>;
  logger: Logger;
  /** Secret the gateway signs internal tokens with; requests without a valid one get 401. */
  internalSecret: string;
  /** The access rules' folder (ACCESS_POLICY_DIR): the same rules as the gateway's. @default policies/ */
  policyDir?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface SubgraphServer {
  name: Department;
  schema: GraphQLSchema;
  apollo: ApolloServer<SubgraphContext>;
  app: express.Express;
  /** Starts listening; port 0 picks a free port. */
  listen(port: number, host?: string): Promise<RunningServer>;
}

// Driver errors that mean "the database cannot be reached", not "the query is wrong".
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', '57P01', '57P03', '08006', '08001']);

/** Maps errors that are not already coded: store outages to STORE_UNAVAILABLE, the rest hidden. */
export function storeErrorFormatter(department: string, logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (formatted.extensions?.code && formatted.extensions.code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
    const located = (error as { originalError?: unknown })?.originalError ?? error;
    // graphql-js wraps a thrown value that is not an Error of its realm (a socket error from Node's
    // core under a VM, as in Jest) as NonErrorThrown; the driver's code is on the value it wraps.
    const original = (located as { thrownValue?: unknown })?.thrownValue ?? located;
    const code = (original as { code?: string })?.code;
    const message = (original as Error)?.message ?? '';
    logger.error({ err: original, path: formatted.path }, 'resolver failed');
    const unavailable = (code && UNAVAILABLE.has(code)) || /connect|closed|terminat|timeout/i.test(message);
    return {
      message: unavailable
        ? `The ${department} record store is unavailable; the other departments still answer. Retry later.`
        : `Internal error in the ${department} subgraph; it has been logged.`,
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: unavailable ? ErrorCode.STORE_UNAVAILABLE : ErrorCode.INTERNAL_SERVER_ERROR, department },
    };
  };
}

/** Verifies the gateway's internal token (audience = this subgraph); anything else is 401. */
async function authenticateGateway(authorization: string | undefined, verify: (token: string) => Promise<InternalClaims>) {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  try {
    if (!token) throw new InvalidTokenError('no internal token');
    return await verify(token);
  } catch (err) {
    if (!(err instanceof InvalidTokenError)) throw err;
    throw codedError(ErrorCode.UNAUTHENTICATED, `Subgraphs answer only the gateway: ${err.message}.`, { http: { status: 401 } });
  }
}

/** Reports, in `extensions.subjects`, the ID numbers whose records the response holds (for the audit log). */
const reportSubjects: ApolloServerPlugin<SubgraphContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, contextValue }) {
        if (response.body.kind === 'single' && contextValue.subjects?.size) {
          response.body.singleResult.extensions = { ...response.body.singleResult.extensions, subjects: [...contextValue.subjects] };
        }
      },
    };
  },
};

/** Builds (but does not start listening) a department's subgraph server. */
export async function createSubgraphServer<DB, L>(def: SubgraphDefinition<DB, L>, options: SubgraphServerOptions<DB>): Promise<SubgraphServer> {
  const { store, logger, internalSecret } = options;
  const verifyGateway = internalTokenVerifier(def.name, internalSecret);
  const schema = buildSchema(def, options.policyDir);
  // Resolver spans only when this process traces: a span per resolver call is not free.
  if (tracingStarted()) traceResolvers(schema, def.resolvers as Record<string, unknown>);
  const app = express();
  const httpServer = createHttpServer(app);
  const plugins: ApolloServerPlugin<SubgraphContext>[] = [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginInlineTraceDisabled(), reportSubjects];
  const apollo = new ApolloServer<SubgraphContext>({
    schema,
    plugins,
    introspection: true,
    formatError: storeErrorFormatter(def.name, logger),
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', subgraph: def.name });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await sql`select 1`.execute(store.db);
      res.json({ status: 'ready', subgraph: def.name, store: store.dialect });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', subgraph: def.name, error: (err as Error).message });
    }
  });
  app.use(
    '/graphql',
    traceRequests(),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => ({
        claims: await authenticateGateway(req.headers.authorization, verifyGateway),
        subjects: new Set<string>(),
        records: new WeakMap(),
        store,
        logger,
        loaders: def.createLoaders(store),
      }) as SubgraphContext,
    }),
  );

  return {
    name: def.name,
    schema,
    apollo: apollo as ApolloServer<SubgraphContext>,
    app,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const actual = (httpServer.address() as AddressInfo).port;
          resolve({
            url: `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${actual}/graphql`,
            port: actual,
            stop: () => apollo.stop(),
          });
        });
      }),
  };
}
