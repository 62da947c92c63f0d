import DataLoader from 'dataloader';

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
