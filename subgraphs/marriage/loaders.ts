import { groupLoader, lookahead } from '../common/loaders';
import { registrationsOf, type MarriageStore } from './store';

export function createLoaders(store: MarriageStore) {
  return {
    /** A person's registrations, with their documents when the operation asks for them: one statement for any number of persons. */
    registrationsByPerson: lookahead((selected) =>
      groupLoader((ids: readonly string[]) => registrationsOf(store, ids, selected.has('MarriageRecord.documents')), (r) => [r.husband_id, r.wife_id]),
    ),
  };
}

export type MarriageLoaders = ReturnType<typeof createLoaders>;
