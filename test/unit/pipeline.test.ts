/** The executor chain's parts: stage order and context, and a replaced document's query hash. */
import { createHash } from 'node:crypto';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { parse, print } from 'graphql';
import { composeExecutors, withDocument, type ExecutorStage } from '../../gateway/src/pipeline';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function request(query: string): GatewayGraphQLRequestContext {
  return { context: { seen: [] as string[] }, document: parse(query), queryHash: sha256(query), source: query, request: {} } as unknown as GatewayGraphQLRequestContext;
}

describe('composeExecutors', () => {
  it('runs the first stage outermost, each before and after the next, with the request context', async () => {
    const stage =
      (name: string): ExecutorStage<{ seen: string[] }> =>
      async (rc, ctx, next) => {
        ctx.seen.push(`${name} in`);
        const result = await next(rc);
        ctx.seen.push(`${name} out`);
        return { data: { ...result.data, [name]: true } };
      };
    const rc = request('{ a }');
    const execute = composeExecutors(async (r) => ((r.context as { seen: string[] }).seen.push('execute'), { data: {} }), [stage('authorize'), stage('mask'), stage('cache')]);
    expect(await execute(rc)).toEqual({ data: { cache: true, mask: true, authorize: true } });
    expect(rc.context.seen).toEqual(['authorize in', 'mask in', 'cache in', 'execute', 'cache out', 'mask out', 'authorize out']);
  });

  it('lets a stage answer without the rest of the chain', async () => {
    let executed = false;
    const refuse: ExecutorStage<object> = async () => ({ errors: [] });
    const execute = composeExecutors(async () => ((executed = true), { data: {} }), [refuse]);
    expect(await execute(request('{ a }'))).toEqual({ errors: [] });
    expect(executed).toBe(false);
  });
});

describe('withDocument', () => {
  it('hands on the same request for the same document, and a new document with its own hash', () => {
    const rc = request('{ a b }');
    expect(withDocument(rc, rc.document)).toBe(rc);
    const pruned = parse('{ a }');
    const keyed = parse('{ a k }');
    const next = withDocument(withDocument(rc, pruned), keyed);
    expect(next.document).toBe(keyed);
    expect(next.queryHash).toBe(sha256(print(keyed)));
    expect(next.context).toBe(rc.context);
    expect(next.source).toBe(rc.source);
    expect({ ...next }).toMatchObject({ document: keyed, queryHash: sha256(print(keyed)), source: '{ a b }' });
    expect(rc.queryHash).toBe(sha256('{ a b }')); // the original request is untouched
  });
});
