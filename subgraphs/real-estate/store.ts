/** The real-estate registration store: tables and the queries the loaders run. */
import { jsonList, parseJsonList, type Store } from '../../lib/db';
import type { ArchivalColumns } from '../common/archival';
import type { SearchableKind } from '../common/search';

export type PropertyUse = 'RESIDENTIAL' | 'COMMERCIAL' | 'INDUSTRIAL' | 'OFFICE';
export type RightType = 'STATE_LAND_USE' | 'HOUSE_OWNERSHIP';
export type RegistrationType = 'FIRST' | 'TRANSFER' | 'CHANGE' | 'MORTGAGE' | 'SEIZURE' | 'CANCELLATION';
export type Holding = 'SOLE' | 'JOINT' | 'SHARES';
export type RightStatus = 'CURRENT' | 'TRANSFERRED' | 'CANCELLED';

export interface PropertyRightRow extends ArchivalColumns {
  id: number;
  unit_number: string;
  certificate_number: string;
  location: string;
  area: number;
  /** 用途 (`use` is a reserved word in MySQL). */
  purpose: PropertyUse;
  right_type: RightType;
  registration_type: RegistrationType;
  registered_on: string;
  status: RightStatus;
  ended_on: string | null;
  holding: Holding;
}

export interface RightHolderRow {
  id: number;
  right_id: number;
  id_number: string;
  name: string;
  /** Percent; null for 共同共有. */
  share: number | null;
}

export interface MortgageRow {
  id: number;
  right_id: number;
  mortgagee: string;
  amount: number;
  term_start: string;
  term_end: string;
  certificate_number: string;
  cancelled: boolean;
}

export interface SeizureRow {
  id: number;
  right_id: number;
  court: string;
  case_number: string;
  start_date: string;
  end_date: string;
  released: boolean;
}

export interface RealEstateDB {
  property_right: PropertyRightRow;
  right_holder: RightHolderRow;
  mortgage: MortgageRow;
  seizure: SeizureRow;
}

export type RealEstateStore = Store<RealEstateDB>;

/** What searchRecords finds in this store: property rights, by holder, certificate, unit number, address (坐落) or 档号. */
export const SEARCHABLE: SearchableKind[] = [
  {
    kind: 'PropertyRight',
    score: 2,
    table: 'property_right',
    columns: { certificateNumber: 'certificate_number', unitNumber: 'unit_number', address: 'location' },
    persons: { table: 'right_holder', recordKey: 'id', linkKey: 'right_id', column: 'id_number' },
  },
];

// Every column of each child table, so a list's objects read like the table's rows.
const HOLDER_COLUMNS = { id: true, right_id: true, id_number: true, name: true, share: true } as const;
const MORTGAGE_COLUMNS = { id: true, right_id: true, mortgagee: true, amount: true, term_start: true, term_end: true, certificate_number: true, cancelled: true } as const;
const SEIZURE_COLUMNS = { id: true, right_id: true, court: true, case_number: true, start_date: true, end_date: true, released: true } as const;

/** Which of a right's child lists to read with it; its holders always come (they are whom it is about). */
export interface RightLists {
  mortgages: boolean;
  seizures: boolean;
}

/** A property right with its holders (registration order) and, when asked for, its mortgages and seizures (oldest first). */
export type RightRow = PropertyRightRow & { holders: RightHolderRow[]; mortgages?: MortgageRow[]; seizures?: SeizureRow[] };

/** A property right found through one of its holders (`holder_id`). */
export type HeldRightRow = RightRow & { holder_id: string };

/** Rights with their lists, one correlated subquery per list (on the right_id indexes). */
function rights(store: RealEstateStore, lists: RightLists) {
  const { dialect } = store;
  return store.db
    .selectFrom('property_right')
    .selectAll('property_right')
    .select((eb) =>
      eb.selectFrom('right_holder as h').whereRef('h.right_id', '=', 'property_right.id').select(jsonList<RightHolderRow>(dialect, 'h', HOLDER_COLUMNS, ['id']).as('list')).as('holders'),
    )
    .$if(lists.mortgages, (q) =>
      q.select((eb) =>
        eb.selectFrom('mortgage as m').whereRef('m.right_id', '=', 'property_right.id').select(jsonList<MortgageRow>(dialect, 'm', MORTGAGE_COLUMNS, ['term_start', 'id']).as('list')).as('mortgages'),
      ),
    )
    .$if(lists.seizures, (q) =>
      q.select((eb) =>
        eb.selectFrom('seizure as s').whereRef('s.right_id', '=', 'property_right.id').select(jsonList<SeizureRow>(dialect, 's', SEIZURE_COLUMNS, ['start_date', 'id']).as('list')).as('seizures'),
      ),
    );
}

// MySQL returns BOOLEAN (tinyint) columns as 0/1.
const bool = (v: unknown) => v === true || v === 1 || v === '1';

type ListColumns = { holders: RightHolderRow[] | string | null; mortgages?: MortgageRow[] | string | null; seizures?: SeizureRow[] | string | null };

/** A row of `rights` with its list columns parsed. */
function withLists<R extends ListColumns>({ holders, mortgages, seizures, ...right }: R) {
  return {
    ...right,
    holders: parseJsonList(holders!),
    ...(mortgages !== undefined && { mortgages: parseJsonList(mortgages!).map((m) => ({ ...m, cancelled: bool(m.cancelled) })) }),
    ...(seizures !== undefined && { seizures: parseJsonList(seizures!).map((s) => ({ ...s, released: bool(s.released) })) }),
  };
}

/** Every right (current or not) any of `ids` holds, oldest registration first, with `lists`. One statement. */
export async function rightsHeldBy(store: RealEstateStore, ids: readonly string[], lists: RightLists): Promise<HeldRightRow[]> {
  const rows = await rights(store, lists)
    .innerJoin('right_holder as holder', 'holder.right_id', 'property_right.id')
    .select('holder.id_number as holder_id')
    .where('holder.id_number', 'in', ids)
    .orderBy('property_right.registered_on')
    .orderBy('property_right.id')
    .execute();
  return rows.map(withLists);
}

/** Every right registered on any of the unit numbers, newest first, with `lists`. One statement. */
export async function rightsOnUnits(store: RealEstateStore, unitNumbers: readonly string[], lists: RightLists): Promise<RightRow[]> {
  const rows = await rights(store, lists).where('unit_number', 'in', unitNumbers).orderBy('registered_on', 'desc').orderBy('id', 'desc').execute();
  return rows.map(withLists);
}

/** Corrects the location of every right on a unit; returns every holder, past and present (none: no such unit). */
export async function correctUnitLocation(store: RealEstateStore, unitNumber: string, location: string): Promise<string[]> {
  const holders = await store.db
    .selectFrom('right_holder')
    .innerJoin('property_right', 'property_right.id', 'right_holder.right_id')
    .select('right_holder.id_number')
    .distinct()
    .where('property_right.unit_number', '=', unitNumber)
    .execute();
  if (holders.length > 0) await store.db.updateTable('property_right').set({ location }).where('unit_number', '=', unitNumber).execute();
  return holders.map((h) => h.id_number).sort();
}
