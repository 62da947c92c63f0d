/**
 * The audit feature of the gateway: one hash-chained record per request, committed before the
 * response is sent (plugin.ts, writer.ts), signed checkpoints (signing.ts), the auditors' API at
 * /audit/graphql (api.ts), the utilisation register (register.ts), the citizens' access history at /me/graphql (../access-history) and
 * the store check /readyz calls.
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { Express, RequestHandler } from 'express';
import { ApolloServer, type ApolloServerOptionsWithTypeDefs, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import type { MetricsRegistry } from '../metrics';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { dbTimeouts, type Config } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import { authenticationPlugin, type Identity } from '../auth/identity';
import { httpErrorHandler, httpLimits, limitsFromConfig } from '../limits';
import {
  accessHistoryPolicy,
  accessHistoryResolvers,
  accessHistoryTypeDefs,
  accessPolicyResolvers,
  accessPolicyTypeDefs,
  requireSelfCaller,
} from '../access-history';
import { auditResolvers, auditTypeDefs, requireAuditScope } from './api';
import { coordinateOwners } from './departments';
import type { AuditedContext } from './entry';
import { InsightEvaluator, ruleSettings } from './evaluator';
import { insightResolvers } from './insight-api';
import { auditPlugin } from './plugin';
import { REGISTER_FORMATS } from './register';
import { registerDownload } from './register-download';
import type { AuditEntry, AuditRecord } from './record';
import { auditRefusals, auditStateOf } from './refusals';
import { loadCheckpointSigner, type CheckpointSigner } from './signing';
import { checkAuditReadiness, type AuditReadiness } from './readiness';
import { LazyAuditStore } from './store';
import { AuditWriter, writerSettings } from './writer';

export interface AuditOptions {
  config: Config;
  logger: Logger;
  /** Where the rules' metrics (`audit_findings_total`) go; the gateway's /metrics registry. */
  metrics?: MetricsRegistry;
  /** The supergraph, to tell which department a returned field belongs to; read from SUPERGRAPH_PATH when omitted. */
  supergraphSdl?: string;
}

export interface AuditMountOptions {
  /** The gateway's identity resolver: the same tokens and headers are accepted. */
  identify(headers: IncomingHttpHeaders): Promise<Identity>;
  /** The gateway's request-id rule. */
  requestId(header: string | string[] | undefined): string;
  /** Where the auditors' API is served. @default /audit/graphql */
  path?: string;
  /** Where the citizens' access history is served. @default /me/graphql */
  mePath?: string;
  /** Where the utilisation register is downloaded (`<path>.xlsx`, `<path>.jsonl`). @default /audit/register */
  registerPath?: string;
}

/** One small audited API: its own schema and resolvers, and the plugin holding its access rule. */
export type AuditedApi = Pick<ApolloServerOptionsWithTypeDefs<AuditedContext>, 'typeDefs' | 'resolvers'> & { rule: ApolloServerPlugin<AuditedContext> };

export interface Audit {
  /** The plugin for the gateway's ApolloServer (records every /graphql request). */
  plugin: ApolloServerPlugin<AuditedContext>;
  /**
   * Express middleware recording the /graphql requests refused before the plugin sees them; mount
   * it before the body parser and the HTTP limits, and put `auditState: auditStateOf(res)` in the context.
   */
  refusals(options: Pick<AuditMountOptions, 'identify' | 'requestId'>): RequestHandler;
  /** Serves the auditors' API and the citizens' access history on `app` (their own ApolloServers, audited by the same writer). */
  mount(app: Express, options: AuditMountOptions): Promise<void>;
  /** For /readyz: whether records can be committed now (store reachable, writer not wedged), within READYZ_TIMEOUT_MS. */
  readiness(): Promise<AuditReadiness>;
  /**
   * Serves another small API on `path` the way /audit/graphql and /me/graphql are served: its own
   * ApolloServer behind the same authentication, HTTP limits and audit plugin (`endpoint`).
   */
  serve(app: Express, path: string, endpoint: AuditEntry['endpoint'], options: Pick<AuditMountOptions, 'identify' | 'requestId'>, api: AuditedApi): Promise<void>;
  /** Commits one record written outside Apollo Server (a plain HTTP route); resolves once it is durable. */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** The Ed25519 key that signs the checkpoints; certified extracts are signed with it too. */
  signer: CheckpointSigner;
  /** The audit store (opened lazily), which also holds the cache's durable invalidation log. */
  store: LazyAuditStore;
  /** The rules and the overview's rollup (evaluated every AUDIT_RULES_INTERVAL_SECONDS, and on demand). */
  insight: InsightEvaluator;
  /** Writes what is queued, signs the tail, stops the auditors' API, closes the store. */
  close(): Promise<void>;
  /**
   * After a supergraph reload: the departments of the new supergraph's fields. Owners are added,
   * never dropped, so records of fields an older supergraph served keep their department.
   */
  useSupergraph(supergraphSdl: string): void;
}

/** Sets up the audit store (opened lazily: the gateway starts even while it is down), writer and plugin. */
export function createAudit({ config, logger, metrics, supergraphSdl }: AuditOptions): Audit {
  const store = new LazyAuditStore(config.AUDIT_DB_URL, config.DATA_DIR, undefined, {
    timeouts: dbTimeouts(config),
    onConnectionError: (err) => logger.warn({ err }, 'audit store connection lost; the next commit reconnects'),
  });
  const signer = loadCheckpointSigner({ keyFile: config.AUDIT_SIGNING_KEY_FILE, dataDir: config.DATA_DIR, production: config.NODE_ENV === 'production', logger });
  const writer = new AuditWriter({ store, signer, logger, ...writerSettings(config) });
  // Open (and migrate) now rather than on the first request; a failure is retried on use.
  store.get().catch((err) => logger.warn({ err }, 'audit store unreachable; record reads are refused until it is back'));
  const servers: Array<ApolloServer<AuditedContext>> = [];
  const owners = new Map(coordinateOwners(supergraphSdl ?? readFileSync(config.SUPERGRAPH_PATH, 'utf8')));
  const settings = ruleSettings(config);
  const insight = new InsightEvaluator({
    store,
    settings,
    departments: owners,
    batch: config.AUDIT_RULES_BATCH,
    logger,
    metrics,
  });
  let evaluating: Promise<unknown> | undefined;
  const evaluate = () => {
    evaluating ??= insight
      .tick()
      .catch((err) => logger.warn({ err }, 'audit rules not evaluated; the next tick retries'))
      .finally(() => (evaluating = undefined));
  };
  const ruleTimer = config.AUDIT_RULES_INTERVAL_SECONDS > 0 ? setInterval(evaluate, config.AUDIT_RULES_INTERVAL_SECONDS * 1000) : undefined;
  ruleTimer?.unref();

  const refusals = (endpoint: AuditEntry['endpoint'], options: Pick<AuditMountOptions, 'identify' | 'requestId'>) =>
    auditRefusals({ writer, endpoint, logger, ...options });

  /** One small API on `path`: its own ApolloServer, audited, behind the same HTTP limits as /graphql, its refusals recorded too. */
  async function serve(
    app: Express,
    path: string,
    endpoint: AuditEntry['endpoint'],
    { identify, requestId }: Pick<AuditMountOptions, 'identify' | 'requestId'>,
    api: AuditedApi,
  ): Promise<void> {
    const server = new ApolloServer<AuditedContext>({
      typeDefs: api.typeDefs,
      resolvers: api.resolvers,
      plugins: [ApolloServerPluginLandingPageDisabled(), authenticationPlugin, api.rule, auditPlugin({ writer, logger, endpoint })],
      introspection: config.NODE_ENV !== 'production',
      includeStacktraceInErrorResponses: false,
      logger,
    });
    await server.start();
    servers.push(server);
    const limits = limitsFromConfig(config).http;
    app.use(
      path,
      refusals(endpoint, { identify, requestId }),
      ...httpLimits(limits),
      expressMiddleware(server, {
        context: async ({ req, res }) => ({
          ...(await identify(req.headers)),
          requestId: requestId(req.headers['x-request-id']),
          clientAddress: req.socket.remoteAddress ?? 'unknown',
          logger,
          auditState: auditStateOf(res),
        }),
      }),
      httpErrorHandler(limits),
    );
  }

  return {
    plugin: auditPlugin({ writer, logger }),
    refusals: (options) => refusals('graphql', options),
    async mount(app, { identify, requestId, path = '/audit/graphql', mePath = '/me/graphql', registerPath = '/audit/register' }) {
      const policy = accessHistoryPolicy(config);
      // Authentication first, then the endpoint's access rule; the audit plugin sees every outcome.
      await serve(app, path, 'audit', { identify, requestId }, {
        typeDefs: [auditTypeDefs, accessPolicyTypeDefs],
        resolvers: [auditResolvers(store), insightResolvers(store, insight, settings), accessPolicyResolvers(policy)],
        rule: requireAuditScope,
      });
      await serve(app, mePath, 'me', { identify, requestId }, {
        typeDefs: accessHistoryTypeDefs,
        resolvers: accessHistoryResolvers({ store, policy, owners }),
        rule: requireSelfCaller,
      });
      for (const format of REGISTER_FORMATS) {
        app.get(`${registerPath}.${format}`, registerDownload({ format, store, writer, owners, identify, requestId, logger }));
      }
    },
    serve,
    append: (entry) => writer.append(entry),
    signer,
    readiness: () => checkAuditReadiness({ store, writer, stalledAfterMs: config.AUDIT_STALLED_AFTER_MS, timeoutMs: config.READYZ_TIMEOUT_MS }),
    store,
    insight,
    useSupergraph(sdl) {
      for (const [coordinate, departments] of coordinateOwners(sdl)) owners.set(coordinate, departments);
    },
    async close() {
      clearInterval(ruleTimer);
      await evaluating;
      await Promise.all(servers.map((server) => server.stop()));
      await writer.close();
      await store.close();
    },
  };
}


export { auditPlugin, type AuditPluginOptions } from './plugin';
export { auditStateOf, type AuditState } from './refusals';
export type { AuditEntry, AuditRecord, AuditOutcome } from './record';
