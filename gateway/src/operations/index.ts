/**
 * Trusted operations (persisted-document safelist) per client system: client systems publish
 * their operations as an Apollo persisted-query manifest (`npm run operations`), the archive
 * approves them, and the gateway serves each client only those (TRUSTED_OPERATIONS=refuse) or
 * logs the others (log). Requests may send only the operation's id.
 */
import type { ApolloServerPlugin, HeaderMap } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { MetricsRegistry } from '../metrics';
import { dbTimeouts, type Config } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import type { Principal } from '../../../lib/tokens';
import { operationsMetrics } from './metrics';
import { operationIdField, trustedOperationsPlugin, type OperationsContext } from './plugin';
import { Safelist } from './safelist';
import { openOperationsStore } from './store';

export type { OperationsContext } from './plugin';
export { openOperationsStore, publishOperations, setOperationStatus, listOperations, type OperationsStore } from './store';
export { parseManifest } from './manifest';

/** The header naming the client system, as Apollo's clients send it. */
export const CLIENT_NAME_HEADER = 'apollographql-client-name';

export interface TrustedOperations {
  plugin: ApolloServerPlugin<OperationsContext>;
  /** Mount after the body parser: turns `documentId`/`id` into the persisted-query form. */
  idField: RequestHandler;
  /** The client system a request comes from: the configured token claim, else the header. */
  clientOf(headers: HeaderMap, principal: Principal): string | undefined;
  close(): Promise<void>;
}

export function createTrustedOperations(config: Config, logger: Logger, registry: MetricsRegistry): TrustedOperations {
  const safelist = new Safelist({
    // Opened on first use: a gateway with the feature off and no id-only requests never opens it.
    open: () =>
      openOperationsStore(config.OPERATIONS_DB_URL ?? config.AUDIT_DB_URL, config.DATA_DIR, {
        timeouts: dbTimeouts(config),
        onConnectionError: (err) => logger.warn({ err }, 'trusted operations store connection lost'),
      }),
    ttlMs: config.TRUSTED_OPERATIONS_CACHE_SECONDS * 1000,
    logger,
  });
  const claim = config.TRUSTED_OPERATIONS_CLIENT_CLAIM;
  const clientOf: TrustedOperations['clientOf'] = (headers, principal) => {
    // With a claim configured the token decides; a header would let a caller choose another client's list.
    if (claim) return principal.client;
    const value = headers.get(CLIENT_NAME_HEADER)?.trim();
    return value ? value.slice(0, 200) : undefined;
  };
  return {
    plugin: trustedOperationsPlugin({
      mode: config.TRUSTED_OPERATIONS,
      safelist,
      clientOf,
      exemptScopes: new Set(config.TRUSTED_OPERATIONS_EXEMPT_SCOPES),
      requireClient: config.TRUSTED_OPERATIONS_REQUIRE_CLIENT,
      metrics: operationsMetrics(registry),
    }),
    idField: operationIdField(),
    clientOf,
    close: () => safelist.close(),
  };
}
