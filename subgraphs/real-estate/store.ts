/** The real-estate registration store: tables and the queries the loaders run. */
import type { Store } from '../../lib/db';
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

/** A property right found through one of its holders (`holder_id`). */
export type HeldRightRow = PropertyRightRow & { holder_id: string };

/** Every right (current or not) any of `ids` holds, oldest registration first. One statement. */
export function rightsHeldBy(store: RealEstateStore, ids: readonly string[]): Promise<HeldRightRow[]> {
  return store.db
    .selectFrom('right_holder')
    .innerJoin('property_right', 'property_right.id', 'right_holder.right_id')
    .selectAll('property_right')
    .select('right_holder.id_number as holder_id')
    .where('right_holder.id_number', 'in', ids)
    .orderBy('property_right.registered_on')
    .orderBy('property_right.id')
    .execute();
}

/** Every right registered on any of the unit numbers, newest first. One statement. */
export function rightsOnUnits(store: RealEstateStore, unitNumbers: readonly string[]): Promise<PropertyRightRow[]> {
  return store.db
    .selectFrom('property_right')
    .selectAll()
    .where('unit_number', 'in', unitNumbers)
    .orderBy('registered_on', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** The holders of any of the rights, in registration order. One statement. */
export function holdersOf(store: RealEstateStore, rightIds: readonly number[]): Promise<RightHolderRow[]> {
  return store.db.selectFrom('right_holder').selectAll().where('right_id', 'in', rightIds).orderBy('id').execute();
}

// MySQL returns BOOLEAN (tinyint) columns as 0/1.
const bool = (v: unknown) => v === true || v === 1 || v === '1';

/** Mortgages on any of the rights, oldest first. One statement. */
export async function mortgagesOf(store: RealEstateStore, rightIds: readonly number[]): Promise<MortgageRow[]> {
  const rows = await store.db.selectFrom('mortgage').selectAll().where('right_id', 'in', rightIds).orderBy('term_start').orderBy('id').execute();
  return rows.map((r) => ({ ...r, cancelled: bool(r.cancelled) }));
}

/** Seizures on any of the rights, oldest first. One statement. */
export async function seizuresOf(store: RealEstateStore, rightIds: readonly number[]): Promise<SeizureRow[]> {
  const rows = await store.db.selectFrom('seizure').selectAll().where('right_id', 'in', rightIds).orderBy('start_date').orderBy('id').execute();
  return rows.map((r) => ({ ...r, released: bool(r.released) }));
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
