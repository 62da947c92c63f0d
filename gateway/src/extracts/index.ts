/**
 * Certified extracts (出具档案证明): issued at /extracts/graphql from the records the caller may read
 * (issue.ts runs the records query through the gateway as the caller), drawn as an A4 PDF with the
 * archive's name, the year's serial, the records and a QR code of the verification URL
 * (template.ts), signed with the audit checkpoints' Ed25519 key and stored append-only in the
 * audit database (store.ts), verifiable by anyone at /verify/<code> (http.ts).
 */
import { accessPolicyOf } from '../../../lib/access-policy';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import type { Express } from 'express';
import type { Config } from '../../../lib/config';
import { codedError, ErrorCode } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import type { Identity } from '../auth/identity';
import type { Audit } from '../audit';
import type { AuditedContext } from '../audit/entry';
import type { GatewayContext } from '../context';
import { MemoryCounters, RedisCounters, type Counters } from '../ratelimit/counters';
import { extractRoutes } from './http';
import { extractService } from './issue';
import type { ExtractKind } from './kinds';

export const extractsTypeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

/** Refuses anonymous callers before anything runs (401); which records they may certify is the records query's business. */
const requireToken: ApolloServerPlugin<AuditedContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue: { principal } }) {
        if (!principal.authenticated) throw codedError(ErrorCode.UNAUTHENTICATED, 'Certified extracts need a bearer token.', { http: { status: 401 } });
      },
    };
  },
};

export interface ExtractsOptions {
  config: Config;
  logger: Logger;
  audit: Audit;
  /** The gateway's ApolloServer (the records query runs through it). */
  gateway: ApolloServer<GatewayContext>;
  identify(headers: IncomingHttpHeaders): Promise<Identity>;
  requestId(header: string | string[] | undefined): string;
}

/** Mounts /extracts/graphql, /extracts/<code>.pdf and /verify on `app`; returns what closes the rate-limit counters. */
export async function mountExtracts(app: Express, options: ExtractsOptions): Promise<{ close(): Promise<void> }> {
  const { config, logger, audit, identify, requestId } = options;
  const publicUrl = (config.PUBLIC_URL ?? `http://${config.PUBLIC_HOST}:${config.GATEWAY_PORT}`).replace(/\/+$/, '');
  const service = extractService({ store: audit.store, signer: audit.signer, gateway: options.gateway, archive: config.ARCHIVE_NAME, publicUrl, catalogue: accessPolicyOf(config.ACCESS_POLICY_DIR).catalogue, logger });
  await audit.serve(app, '/extracts/graphql', 'extracts', { identify, requestId }, {
    typeDefs: extractsTypeDefs,
    resolvers: {
      Query: { extract: (_: unknown, { code }: { code: string }, ctx: AuditedContext) => service.status(code, ctx) },
      Mutation: {
        issueExtract: (_: unknown, { kind, idNumber }: { kind: ExtractKind; idNumber: string }, ctx: AuditedContext) => service.issue(kind, idNumber, ctx),
        revokeExtract: (_: unknown, { code, reason }: { code: string; reason: string }, ctx: AuditedContext) => service.revoke(code, reason, ctx),
      },
    },
    rule: requireToken,
  });
  let counters: Counters = new MemoryCounters();
  if (config.redis && config.VERIFY_RATE_LIMIT_PER_MINUTE > 0) {
    const redis = new RedisCounters({ redis: config.redis, prefix: `${config.CACHE_KEY_PREFIX}rl:`, commandTimeoutMs: config.CACHE_COMMAND_TIMEOUT_MS });
    await redis.connect(2000);
    counters = redis;
  }
  app.use(
    extractRoutes({
      service,
      append: audit.append,
      identify,
      requestId,
      verifyPerMinute: config.VERIFY_RATE_LIMIT_PER_MINUTE,
      counters,
      maxPdfBytes: config.VERIFY_MAX_PDF_BYTES,
      logger,
    }),
  );
  return { close: () => counters.close() };
}
