import { groupLoader } from '../common/loaders';
import { holdersOf, mortgagesOf, rightsHeldBy, rightsOnUnits, seizuresOf, type RealEstateStore } from './store';

/**
 * This request's loaders: realEstate with owners, coOwners, holders, mortgages and seizures costs
 * four statements for any number of persons (rights by person, holders, mortgages, seizures).
 */
export function createLoaders(store: RealEstateStore) {
  return {
    rightsByPerson: groupLoader((ids: readonly string[]) => rightsHeldBy(store, ids), (r) => r.holder_id),
    rightsByUnit: groupLoader((units: readonly string[]) => rightsOnUnits(store, units), (r) => r.unit_number),
    holdersByRight: groupLoader((ids: readonly number[]) => holdersOf(store, ids), (h) => h.right_id),
    mortgagesByRight: groupLoader((ids: readonly number[]) => mortgagesOf(store, ids), (m) => m.right_id),
    seizuresByRight: groupLoader((ids: readonly number[]) => seizuresOf(store, ids), (s) => s.right_id),
  };
}

export type RealEstateLoaders = ReturnType<typeof createLoaders>;
