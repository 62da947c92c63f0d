/**
 * Resolver spans: each resolver the department wrote (and `_entities`, through which the gateway
 * reaches its records) runs in a span, so the SQL statements it sends are its children.
 */
import { isObjectType, responsePathAsArray, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { failed, tracer } from '../../lib/tracing';

/** Wraps, in place, the resolvers of `schema` that `resolvers` defines, and `Query._entities`. */
export function traceResolvers(schema: GraphQLSchema, resolvers: Record<string, unknown>): void {
  const coordinates = new Set(['Query._entities']);
  for (const [type, fields] of Object.entries(resolvers)) {
    if (fields && typeof fields === 'object') for (const field of Object.keys(fields)) if (!field.startsWith('__')) coordinates.add(`${type}.${field}`);
  }
  for (const coordinate of coordinates) {
    const [typeName, fieldName] = coordinate.split('.');
    const type = schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
    if (field?.resolve) field.resolve = traced(coordinate, field.resolve);
  }
}

function traced(coordinate: string, resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  const name = `resolve ${coordinate}`;
  return (source, args, ctx, info) =>
    tracer().startActiveSpan(name, { attributes: { 'graphql.field.coordinate': coordinate, 'graphql.field.path': responsePathAsArray(info.path).join('.') } }, (span) => {
      const fail = (err: unknown) => {
        failed(span, err);
        span.end();
        throw err;
      };
      try {
        const result = resolve(source, args, ctx, info);
        if (result instanceof Promise) {
          return result.then((value) => {
            span.end();
            return value;
          }, fail);
        }
        span.end();
        return result;
      } catch (err) {
        return fail(err);
      }
    });
}
