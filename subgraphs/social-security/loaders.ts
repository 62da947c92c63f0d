import { argsLoader, lookahead, rowLoader } from '../common/loaders';
import { contributionCountsOf, contributionPagesOf, personsOf, type ContributionPageQuery, type ContributionRow, type PeriodRange, type PersonParts, type SocialSecurityStore } from './store';

/** The parts of a person the operation asks for: read with the register row, in the same statement. */
const partsOf = (selected: ReadonlySet<string>): PersonParts => ({
  file: selected.has('Person.socialInsurance'),
  enrolments: selected.has('SocialInsurance.enrolments'),
  employer: selected.has('SocialInsurance.employer'),
});

export function createLoaders(store: SocialSecurityStore) {
  return {
    /** Register row, insurance file, enrolments and employer, as far as the operation asks: one statement for any number of persons. */
    persons: lookahead((selected) => rowLoader((ids: readonly string[]) => personsOf(store, ids, partsOf(selected)), (p) => p.id_number)),
    /** One page (plus one look-ahead row) of contributions per person and page arguments. */
    contributionPages: argsLoader<ContributionPageQuery, ContributionRow>((ids, page) => contributionPagesOf(store, ids, page), (c) => c.id_number),
    /** `[{ total }]` per person and period range (empty when the person has none in range). */
    contributionCounts: argsLoader<PeriodRange, { id_number: string; total: number }>((ids, range) => contributionCountsOf(store, ids, range), (c) => c.id_number),
  };
}

export type SocialSecurityLoaders = ReturnType<typeof createLoaders>;
