/**
 * Remembers how an operation was authorized, so a request that repeats one (the same parsed
 * document, operation name and variables, for a caller the decision cannot tell apart) skips the
 * pruning walk, the rules' explanations and the pruned document's printing and hashing.
 *
 * The decision depends on the document and the selected operation, the variables (`@skip` and
 * `@include`), the schema and its policy index, and, of the caller, exactly what
 * `authorizeOperation` and the access rules read: authentication, scopes, and the legal facts
 * (`legalFacts`: category, organisation, purpose, evidence kinds, the approval). All of it is in
 * the key (the schema and document by identity: Apollo Server hands every request of one query
 * text the same parsed document, and the policy index belongs to the schema). Authorization is
 * still decided per request: the memo only answers a request whose inputs are the same as one
 * already decided.
 */
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { legalFacts, type PolicyFacts } from '../../../lib/access-policy';
import { BoundedMap } from '../../../lib/bounded-map';

/** Most remembered decisions per document (callers × variables); the oldest goes first. @default 64 */
const PER_DOCUMENT = 64;

/** The key of one decision on one document: everything but the schema and the document. */
export function decisionKey(operationName: string | null | undefined, variables: Record<string, unknown> | undefined, facts: PolicyFacts): string {
  const { principal } = facts;
  return JSON.stringify([operationName ?? null, variables ?? null, principal.authenticated, [...new Set(principal.scopes)].sort(), legalFacts(facts)]);
}

/**
 * Values by schema, document and a key (here `decisionKey`; the operation limits remember their
 * measurements in one too). Each value must be treated as read-only by its users.
 */
export class DocumentMemo<T> {
  private readonly bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, BoundedMap<string, T>>>();

  /** The remembered decision, or `decide()`'s, remembered. */
  get(schema: GraphQLSchema, document: DocumentNode, key: string, decide: () => T): T {
    let byDocument = this.bySchema.get(schema);
    if (!byDocument) this.bySchema.set(schema, (byDocument = new WeakMap()));
    let decisions = byDocument.get(document);
    if (!decisions) byDocument.set(document, (decisions = new BoundedMap(PER_DOCUMENT)));
    const known = decisions.get(key);
    if (known !== undefined) return known;
    const decided = decide();
    decisions.set(key, decided);
    return decided;
  }
}
