/**
 * The masking stage of the executor chain (gateway/src/pipeline.ts), after authorization and
 * before the response cache: for a caller without `pii:unmasked` it asks the subgraphs for each
 * Person's key where the operation selects what an ID number encodes (the cache therefore sees,
 * and keys by, that document), and masks the ID numbers in the result, whether the cache or
 * execution produced it (id-numbers.ts).
 */
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Principal } from '../../../lib/tokens';
import { withDocument, type ExecutorStage } from '../pipeline';
import { maskIdNumbers, mentionsIdDerivedFields, suppliedArguments, withMaskingKeys } from './id-numbers';

/** The context fields masking reads. */
export interface MaskedContext {
  principal: Pick<Principal, 'sub' | 'scopes'>;
}

/** Each document with the Person keys masking needs, by schema and document: a repeated document gets the same one. */
const keyed = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, DocumentNode>>();
function keyedDocument(document: DocumentNode, schema: GraphQLSchema, source: string | undefined): DocumentNode {
  let bySchema = keyed.get(schema);
  if (!bySchema) keyed.set(schema, (bySchema = new WeakMap()));
  let out = bySchema.get(document);
  if (!out) bySchema.set(document, (out = withMaskingKeys(document, schema, source)));
  return out;
}

export const maskIds: ExecutorStage<MaskedContext> = async (rc, ctx, next) => {
  if (ctx.principal.scopes.includes('pii:unmasked')) return next(rc);
  // Masking what an ID encodes needs to know whose record each Person is: ask for the key too.
  const executed = mentionsIdDerivedFields(rc.source) ? keyedDocument(rc.document, rc.schema, rc.source) : rc.document;
  const result = await next(withDocument(rc, executed));
  const { data } = result;
  if (!data || (rc.source && !rc.source.includes('idNumber') && !mentionsIdDerivedFields(rc.source))) return result; // cheap exit: nothing to mask
  const keep = suppliedArguments(executed, rc.schema, rc.request.operationName, rc.request.variables);
  keep.add(ctx.principal.sub);
  maskIdNumbers(data, executed, rc.schema, keep, rc.request.operationName);
  return result;
};
