/**
 * The executor chain: the stages an operation passes between Apollo Server and @apollo/gateway's
 * executor (server.ts composes them: authorize → mask → cache → execute). A stage runs before the
 * next one (it may hand on another document, or answer itself) and after it (it may rewrite the
 * result). Each stage declares the context fields it reads and writes as its own type; the chain
 * hands every stage the request's context typed so, and server.ts checks that the gateway's
 * context has them all.
 */
import type { GatewayExecutionResult, GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import { print, type DocumentNode } from 'graphql';
import { sha256Hex } from '../../lib/hash';

/** One stage: `rc`'s operation, its context (`rc.context`, typed) and the rest of the chain. */
export type ExecutorStage<C extends object> = (rc: GatewayGraphQLRequestContext, ctx: C, next: GatewayExecutor) => Promise<GatewayExecutionResult>;

/** `execute` behind `stages`, the first one outermost. */
export function composeExecutors<C extends object>(execute: GatewayExecutor, stages: ReadonlyArray<ExecutorStage<C>>): GatewayExecutor {
  return stages.reduceRight<GatewayExecutor>((next, stage) => (rc) => stage(rc, rc.context as C, next), execute);
}

/** `gateway` whose executor, for each schema it loads, runs behind `stages` (see composeExecutors). */
export function composeGateway<C extends object>(gateway: GatewayInterface, stages: ReadonlyArray<ExecutorStage<C>>): GatewayInterface {
  return {
    async load(options) {
      const loaded = await gateway.load(options);
      return loaded.executor ? { ...loaded, executor: composeExecutors(loaded.executor, stages) } : loaded;
    },
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
  };
}

/** The hash of each document a stage handed on: a remembered one (an authorization decision, masking keys) is printed once. */
const hashes = new WeakMap<DocumentNode, string>();
const hashOf = (document: DocumentNode) => {
  let hash = hashes.get(document);
  if (hash === undefined) hashes.set(document, (hash = sha256Hex(print(document))));
  return hash;
};

/**
 * `rc` running `document` instead. Its `queryHash` (the key of @apollo/gateway's query plans and of
 * the response cache) is that document's, computed when first read: a document a later stage
 * replaces again is never printed. Copied property by property rather than spread, since a
 * spread would read (compute) the replaced document's hash.
 */
export function withDocument(rc: GatewayGraphQLRequestContext, document: DocumentNode): GatewayGraphQLRequestContext {
  if (document === rc.document) return rc;
  let queryHash: string | undefined;
  return Object.defineProperties({} as GatewayGraphQLRequestContext, {
    ...Object.getOwnPropertyDescriptors(rc),
    document: { value: document, enumerable: true },
    queryHash: { get: () => (queryHash ??= hashOf(document)), enumerable: true },
  });
}
