import { groupLoader, lookahead } from '../common/loaders';
import { rightsHeldBy, rightsOnUnits, type RealEstateStore, type RightLists } from './store';

/** The lists the operation asks of its rights: read with them, in the same statement. */
const listsOf = (selected: ReadonlySet<string>): RightLists => ({ mortgages: selected.has('PropertyRight.mortgages'), seizures: selected.has('PropertyRight.seizures') });

/**
 * This request's loaders, made on first use (`lookahead`): realEstate with owners, coOwners,
 * holders, mortgages and seizures costs one statement for any number of persons.
 */
export function createLoaders(store: RealEstateStore) {
  return {
    rightsByPerson: lookahead((selected) => groupLoader((ids: readonly string[]) => rightsHeldBy(store, ids, listsOf(selected)), (r) => r.holder_id)),
    rightsByUnit: lookahead((selected) => groupLoader((units: readonly string[]) => rightsOnUnits(store, units, listsOf(selected)), (r) => r.unit_number)),
  };
}

export type RealEstateLoaders = ReturnType<typeof createLoaders>;
