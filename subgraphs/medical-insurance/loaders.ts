import DataLoader from 'dataloader';
import { groupLoader, rowLoader } from '../common/loaders';
import {
  enroleesOf,
  enrolmentsOf,
  settlementCountsOf,
  settlementPagesOf,
  visitsOf,
  type DateRange,
  type MedicalInsuranceStore,
  type PageWindow,
  type SettlementRow,
} from './store';

/** A settlement page of one person: the loader key carries the page arguments. */
export type PageKey = PageWindow & { idNumber: string };
/** The settlement count of one person in a date range. */
export type CountKey = DateRange & { idNumber: string };

/**
 * A per-request DataLoader over (person, arguments) keys: keys asked for in the same tick are
 * grouped by their arguments, and each group is one `fetch` for all its persons. With the usual
 * query (every person asked for the same page) that is one statement.
 */
function perArgumentsLoader<A extends object, V>(
  fetch: (ids: readonly string[], args: A) => Promise<V[]>,
  personOf: (row: V) => string,
): DataLoader<A & { idNumber: string }, V[], string> {
  const argsKey = (a: A) => JSON.stringify(Object.entries(a).filter(([k]) => k !== 'idNumber').sort());
  return new DataLoader<A & { idNumber: string }, V[], string>(
    async (keys) => {
      const groups = new Map<string, { args: A; ids: string[] }>();
      for (const key of keys) {
        const k = argsKey(key);
        if (!groups.has(k)) groups.set(k, { args: key, ids: [] });
        groups.get(k)!.ids.push(key.idNumber);
      }
      const results = new Map<string, V[]>();
      await Promise.all(
        [...groups].map(async ([k, { args, ids }]) => {
          for (const id of ids) results.set(`${id}|${k}`, []);
          for (const row of await fetch(ids, args)) results.get(`${personOf(row)}|${k}`)?.push(row);
        }),
      );
      return keys.map((key) => results.get(`${key.idNumber}|${argsKey(key)}`)!);
    },
    { cacheKeyFn: (key) => `${key.idNumber}|${argsKey(key)}` },
  );
}

export function createLoaders(store: MedicalInsuranceStore) {
  return {
    enroleeById: rowLoader((ids: readonly string[]) => enroleesOf(store, ids), (e) => e.id_number),
    enrolmentsByPerson: groupLoader((ids: readonly string[]) => enrolmentsOf(store, ids), (e) => e.id_number),
    /** Up to `limit + 1` rows per key (the extra one says whether a next page exists). */
    settlementPage: perArgumentsLoader<PageWindow, SettlementRow>(
      (ids, { from, to, limit, offset }) => settlementPagesOf(store, ids, { from, to, limit, offset }),
      (s) => s.id_number,
    ),
    settlementCount: perArgumentsLoader<DateRange, { id_number: string; count: number }>(
      (ids, { from, to }) => settlementCountsOf(store, ids, { from, to }),
      (c) => c.id_number,
    ),
    visitById: rowLoader((ids: readonly string[]) => visitsOf(store, ids), (v) => v.mdtrt_id),
  };
}

export type MedicalInsuranceLoaders = ReturnType<typeof createLoaders>;
