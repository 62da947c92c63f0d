import { argsLoader, lookahead, rowLoader } from '../common/loaders';
import {
  enroleesOf,
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

export function createLoaders(store: MedicalInsuranceStore) {
  return {
    /** Enrolees, with their enrolments when the operation asks for them: one statement for any number of persons. */
    enroleeById: lookahead((selected) => rowLoader((ids: readonly string[]) => enroleesOf(store, ids, selected.has('MedicalInsurance.enrolments')), (e) => e.id_number)),
    /** Up to `limit + 1` rows per key (the extra one says whether a next page exists). */
    settlementPage: argsLoader<PageWindow, SettlementRow>(
      (ids, { from, to, limit, offset }) => settlementPagesOf(store, ids, { from, to, limit, offset }),
      (s) => s.id_number,
    ),
    settlementCount: argsLoader<DateRange, { id_number: string; count: number }>(
      (ids, { from, to }) => settlementCountsOf(store, ids, { from, to }),
      (c) => c.id_number,
    ),
    visitById: rowLoader((ids: readonly string[]) => visitsOf(store, ids), (v) => v.mdtrt_id),
  };
}

export type MedicalInsuranceLoaders = ReturnType<typeof createLoaders>;
