import DataLoader from 'dataloader';
import type { GraphQLResolveInfo, OperationDefinitionNode } from 'graphql';
import { walkSelections } from '../../lib/graphql/walk';

/**
 * A per-request DataLoader returning, for each key, every row whose `keyOf` is that key: one
 * `fetch` (one SQL statement) for all the keys asked for in the same tick.
 */
export function groupLoader<K, V>(fetch: (keys: readonly K[]) => Promise<V[]>, keyOf: (row: V) => K | K[]): DataLoader<K, V[]> {
  return new DataLoader<K, V[]>(async (keys) => {
    const rows = await fetch(keys);
    const byKey = new Map<K, V[]>(keys.map((k) => [k, []]));
    for (const row of rows) {
      const k = keyOf(row);
      for (const key of Array.isArray(k) ? k : [k]) byKey.get(key)?.push(row);
    }
    return keys.map((k) => byKey.get(k)!);
  });
}

/** A per-request DataLoader returning the one row (or null) whose `keyOf` is each key. */
export function rowLoader<K, V>(fetch: (keys: readonly K[]) => Promise<V[]>, keyOf: (row: V) => K): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(async (keys) => {
    const rows = await fetch(keys);
    const byKey = new Map<K, V>(rows.map((r) => [keyOf(r), r]));
    return keys.map((k) => byKey.get(k) ?? null);
  });
}

/**
 * A per-request DataLoader over `(idNumber, args)` keys, for paged or filtered lists: keys asked
 * for in the same tick that share their arguments are fetched together, so each distinct argument
 * set costs one statement however many persons ask for it.
 */
export function argsLoader<A extends object, V>(
  fetch: (ids: readonly string[], args: A) => Promise<V[]>,
  idOf: (row: V) => string,
): DataLoader<A & { idNumber: string }, V[], string> {
  const argsKey = ({ idNumber: _id, ...args }: A & { idNumber: string }) => JSON.stringify(args, Object.keys(args).sort());
  return new DataLoader<A & { idNumber: string }, V[], string>(
    async (keys) => {
      const groups = new Map<string, { args: A; ids: string[] }>();
      for (const key of keys) {
        const k = argsKey(key);
        const { idNumber, ...args } = key;
        const group = groups.get(k) ?? groups.set(k, { args: args as unknown as A, ids: [] }).get(k)!;
        group.ids.push(idNumber);
      }
      const byKey = new Map<string, V[]>();
      await Promise.all(
        [...groups].map(async ([k, { args, ids }]) => {
          for (const id of ids) byKey.set(`${id}|${k}`, []);
          for (const row of await fetch(ids, args)) byKey.get(`${idOf(row)}|${k}`)?.push(row);
        }),
      );
      return keys.map((key) => byKey.get(`${key.idNumber}|${argsKey(key)}`)!);
    },
    { cacheKeyFn: (key) => `${key.idNumber}|${argsKey(key)}` },
  );
}

const selections = new WeakMap<OperationDefinitionNode, ReadonlySet<string>>();

/**
 * Every field the request's operation selects anywhere, fragments included, as `Type.field` with
 * the type the selection names (`Person.socialInsurance`, `PropertyRight.mortgages`). Fields under
 * `@skip`/`@include` count as selected, so at worst a list is read and not returned. Worked out
 * once per parsed operation (the server keeps parsed documents), not per request.
 */
export function operationFields(info: GraphQLResolveInfo): ReadonlySet<string> {
  let fields = selections.get(info.operation);
  if (!fields) {
    const found = new Set<string>();
    const root = info.schema.getRootType(info.operation.operation)!;
    const options = { schema: info.schema, fragments: new Map(Object.entries(info.fragments)) };
    walkSelections(options, info.operation.selectionSet, root, ({ parentType, node }) => void found.add(`${parentType.name}.${node.name.value}`));
    selections.set(info.operation, (fields = found));
  }
  return fields;
}

/**
 * A per-request loader made on first use from the fields the operation selects (`operationFields`),
 * so one statement can read rows together with the child lists the operation asks for: call it
 * with the resolver's `info`. A request runs one operation, so every call sees the same fields.
 */
export function lookahead<L>(make: (selected: ReadonlySet<string>) => L): (info: GraphQLResolveInfo) => L {
  let loader: L | undefined;
  return (info) => (loader ??= make(operationFields(info)));
}
