/**
 * A subgraph's resolvers, typed with the context they see. It is the shape `buildSubgraphSchema`
 * takes (@apollo/subgraph's `GraphQLResolverMap`, which the package exports only from a `dist/`
 * path): every map is handed to `buildSubgraphSchema` (subgraphs/common/server.ts,
 * gateway/src/access), which checks it against the package's own type.
 */
import type { GraphQLFieldResolver, GraphQLScalarType } from 'graphql';

export interface ResolverMap<TContext = unknown> {
  [typeName: string]:
    | { [fieldName: string]: GraphQLFieldResolver<any, TContext> | { requires?: string; resolve?: GraphQLFieldResolver<any, TContext>; subscribe?: GraphQLFieldResolver<any, TContext> } }
    | GraphQLScalarType
    | { [enumValue: string]: string | number };
}
