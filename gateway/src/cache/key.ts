/**
 * What a cached response is keyed and tagged by.
 *
 * Key: supergraph + the authorized (pruned) document's hash + operation name + variables + the
 * caller's authorization fingerprint. The pruned document already reflects the caller's scopes
 * and policy outcomes (purpose, case number); the fingerprint adds what the subgraphs themselves
 * decide with the claims in the internal token (docs/architecture.md, "Inside a subgraph"):
 * - the scopes: today `pii:unmasked` (masking) and `self` (row-level rule) change a subgraph's
 *   answer; all scopes are in, so a subgraph reading another scope later cannot leak;
 * - the persons the row-level rule limits the caller to (a citizen's own ID number, a grant's
 *   subjects): two citizens never share an entry while everyone else shares by scopes.
 * The category, purpose and evidence decide which fields are released, which the pruned document
 * already shows; the token's other claims (name, org, request id) change no answer, and the
 * gateway's own ID masking runs after the cache, per request.
 *
 * Tags: every person the response depends on, so a change to any of them drops the entry.
 */
import { canonicalJson, sha256Hex } from '../../../lib/hash';
import { printSchema, type GraphQLSchema } from 'graphql';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { isValidIdNumber } from '../../../lib/id-number';
import { suppliedArguments } from '../masking/id-numbers';
import type { Logger } from '../../../lib/logger';
import type { Identity } from '../auth/identity';
import type { EntityKeys } from './entity-keys';
import { personTag } from './store';
import { permittedSubjects, type PolicyFacts } from '../../../lib/access-policy';

/** The context fields the response cache reads (who asks) and writes (what the response showed). */
export interface CachedContext extends Identity {
  logger: Logger;
  /** ID numbers whose records the subgraphs returned for this request; a hit restores those of the request that filled the entry. */
  subjects: Set<string>;
  /** Whether the response came from the response cache (then `subjects` are those of the request that filled it). */
  cacheHit?: boolean;
  /** Entities the query plan fetched by key (entity-keys.ts); installed on a miss, shared by a batch's operations. */
  entityKeys?: EntityKeys;
}

/** The part of the key that stands for who is asking (see the module comment). */
export function authorizationFingerprint(facts: Pick<PolicyFacts, 'principal' | 'grant'>): { scopes: string[]; authenticated: boolean; subjects: string[] | null } {
  const { principal } = facts;
  const scopes = [...new Set(principal.scopes)].sort();
  const subjects = permittedSubjects(facts);
  return { scopes, authenticated: principal.authenticated, subjects: subjects ? [...subjects].sort() : null };
}

// Entries of one supergraph never answer another (a rolling deploy shares Redis between both).
const schemaIds = new WeakMap<GraphQLSchema, string>();
function schemaId(schema: GraphQLSchema): string {
  let id = schemaIds.get(schema);
  if (!id) schemaIds.set(schema, (id = sha256Hex(printSchema(schema)).slice(0, 16)));
  return id;
}

/** The response key of an authorized query; `rc.document`/`rc.queryHash` are the pruned ones. */
export function responseKey(rc: GatewayGraphQLRequestContext, ctx: CachedContext): string {
  const parts = {
    schema: schemaId(rc.schema),
    document: rc.queryHash,
    operationName: rc.request.operationName ?? null,
    variables: rc.request.variables ?? {},
    caller: authorizationFingerprint({ principal: ctx.principal, grant: ctx.basis.grant }),
  };
  // Canonical JSON: `{a, b}` and `{b, a}` variables share a key.
  return `r:${sha256Hex(canonicalJson(parts))}`;
}

/**
 * The tags of a response: the subjects the subgraphs reported (persons whose records it shows),
 * the entities the plan fetched by key (`entityKeys`, entity-keys.ts: e.g. a spouse whose medical
 * insurance came back null: enrolling them later must drop the entry) and the ID numbers the
 * operation used as arguments (a `person(idNumber:)` the register did not know yet). Strings the request carried
 * but the operation never used tag nothing: every tag is a Redis set written with the entry.
 */
export function responseTags(rc: GatewayGraphQLRequestContext, ctx: CachedContext): string[] {
  const tags = new Set<string>();
  for (const id of ctx.subjects) tags.add(personTag(id));
  for (const key of ctx.entityKeys?.tags ?? []) tags.add(key);
  for (const s of suppliedArguments(rc.document, rc.schema, rc.request.operationName, rc.request.variables)) if (s.length === 18 && isValidIdNumber(s)) tags.add(personTag(s));
  return [...tags];
}

