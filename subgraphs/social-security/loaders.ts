import { argsLoader, groupLoader, rowLoader } from '../common/loaders';
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
