import { groupLoader } from '../common/loaders';
import { documentsOf, registrationsOf, type MarriageStore } from './store';

export function createLoaders(store: MarriageStore) {
  return {
    registrationsByPerson: groupLoader((ids: readonly string[]) => registrationsOf(store, ids), (r) => [r.husband_id, r.wife_id]),
    documentsByRegistration: groupLoader((ids: readonly number[]) => documentsOf(store, ids), (d) => d.registration_id),
  };
}

export type MarriageLoaders = ReturnType<typeof createLoaders>;
