import DataLoader from 'dataloader';
import { groupLoader, rowLoader } from '../common/loaders';
import {
  contributionCountsOf,
  contributionPagesOf,
  employersOf,
  enrolmentsOf,
  filesOf,
  residentsOf,
  type ContributionPageQuery,
  type ContributionRow,
  type PeriodRange,
  type SocialSecurityStore,
} from './store';

/**
 * A per-request DataLoader over `(idNumber, args)` keys: keys asked for in the same tick that share
 * their arguments are fetched together, so each distinct argument set costs one statement however
 * many persons ask for it.
 */
function argsLoader<A extends object, V>(
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

export function createLoaders(store: SocialSecurityStore) {
  return {
    residents: rowLoader((ids: readonly string[]) => residentsOf(store, ids), (r) => r.id_number),
    files: rowLoader((ids: readonly string[]) => filesOf(store, ids), (f) => f.id_number),
    enrolmentsByPerson: groupLoader((ids: readonly string[]) => enrolmentsOf(store, ids), (e) => e.id_number),
    employers: rowLoader((units: readonly string[]) => employersOf(store, units), (e) => e.unit_number),
    /** One page (plus one look-ahead row) of contributions per person and page arguments. */
    contributionPages: argsLoader<ContributionPageQuery, ContributionRow>((ids, page) => contributionPagesOf(store, ids, page), (c) => c.id_number),
    /** `[{ total }]` per person and period range (empty when the person has none in range). */
    contributionCounts: argsLoader<PeriodRange, { id_number: string; total: number }>((ids, range) => contributionCountsOf(store, ids, range), (c) => c.id_number),
  };
}

export type SocialSecurityLoaders = ReturnType<typeof createLoaders>;
