/** The social-security store: the resident register, insurance files and contributions, and the queries the loaders run. */
import type { GeneratedAlways } from 'kysely';
import type { Store } from '../../lib/db';
import type { ArchivalColumns } from '../common/archival';
import type { SearchableKind } from '../common/search';

export type InsuranceType = 'PENSION' | 'MEDICAL' | 'UNEMPLOYMENT' | 'WORK_INJURY' | 'MATERNITY';
export type EnrolmentStatus = 'PAYING' | 'SUSPENDED' | 'RETIRED' | 'TERMINATED';

/** The resident register (居民信息): every person the federation knows. */
export interface ResidentRow {
  id_number: string;
  name: string;
  phone: string | null;
  address: string | null;
}

export interface EmployerRow {
  unit_number: string;
  name: string;
  credit_code: string;
  region: string;
}

/** A person's social-insurance file; at most one per person. */
export interface InsuranceFileRow extends ArchivalColumns {
  id_number: string;
  insured_number: string;
  agency: string;
  employer_unit: string | null;
}

export interface EnrolmentRow extends ArchivalColumns {
  id: number;
  id_number: string;
  insurance_type: InsuranceType;
  status: EnrolmentStatus;
  first_enrolled_on: string;
}

/** One month's contribution; amounts in yuan. `paid` reads back as 0/1 on MySQL. */
export interface ContributionRow {
  id_number: string;
  period: string;
  base: number;
  employer_amount: number;
  personal_amount: number;
  paid: boolean | number;
}

export interface SocialSecurityDB {
  /** `birth_date` (YYYYMMDD) is generated from the ID number, for searchRecords. */
  resident: ResidentRow & { birth_date: GeneratedAlways<string> };
  employer: EmployerRow;
  insurance_file: InsuranceFileRow;
  insurance_enrolment: EnrolmentRow;
  contribution: ContributionRow;
}

export type SocialSecurityStore = Store<SocialSecurityDB>;

/**
 * ID numbers of the residents with this name (when given) born within [bornFrom, bornTo]
 * (YYYYMMDD, when given), `self` only when given; at most `limit`. One statement on the
 * (name, birth_date) or birth_date index.
 */
export async function residentsNamed(store: SocialSecurityStore, terms: { name?: string; bornFrom?: string; bornTo?: string }, self: string | null, limit: number): Promise<string[]> {
  let q = store.db.selectFrom('resident').select('id_number');
  if (terms.name !== undefined) q = q.where('name', '=', terms.name);
  if (terms.bornFrom) q = q.where('birth_date', '>=', terms.bornFrom);
  if (terms.bornTo) q = q.where('birth_date', '<=', terms.bornTo);
  if (self) q = q.where('id_number', '=', self);
  return (await q.limit(limit).execute()).map((r) => r.id_number);
}

/** What searchRecords finds in this store: social-insurance files, by person or 档号. */
export const SEARCHABLE: SearchableKind[] = [{ kind: 'SocialInsurance', score: 2, table: 'insurance_file', columns: {}, persons: { columns: ['id_number'] } }];

/** Register rows of `ids` (unknown IDs simply have none). One statement. */
export function residentsOf(store: SocialSecurityStore, ids: readonly string[]): Promise<ResidentRow[]> {
  return store.db.selectFrom('resident').selectAll().where('id_number', 'in', ids).execute();
}

/** Insurance files of `ids`. One statement. */
export function filesOf(store: SocialSecurityStore, ids: readonly string[]): Promise<InsuranceFileRow[]> {
  return store.db.selectFrom('insurance_file').selectAll().where('id_number', 'in', ids).execute();
}

/** Enrolments of `ids`, in enrolment order (pension first). One statement. */
export function enrolmentsOf(store: SocialSecurityStore, ids: readonly string[]): Promise<EnrolmentRow[]> {
  return store.db.selectFrom('insurance_enrolment').selectAll().where('id_number', 'in', ids).orderBy('id').execute();
}

/** Employers by unit number. One statement. */
export function employersOf(store: SocialSecurityStore, unitNumbers: readonly string[]): Promise<EmployerRow[]> {
  return store.db.selectFrom('employer').selectAll().where('unit_number', 'in', unitNumbers).execute();
}

/** A contribution period filter: YYYYMM bounds, inclusive; null = unbounded. */
export interface PeriodRange {
  from: string | null;
  to: string | null;
}

/** A period filter plus a page: `limit` rows after skipping `offset`. */
export interface ContributionPageQuery extends PeriodRange {
  limit: number;
  offset: number;
}

function inRange(store: SocialSecurityStore, ids: readonly string[], range: PeriodRange) {
  return store.db
    .selectFrom('contribution')
    .where('id_number', 'in', ids)
    .$if(range.from !== null, (qb) => qb.where('period', '>=', range.from!))
    .$if(range.to !== null, (qb) => qb.where('period', '<=', range.to!));
}

/**
 * The same page of contributions for each of `ids`, newest first, plus one row beyond the page
 * so callers can tell whether another page follows. One statement for any number of persons:
 * rows are ranked per person with ROW_NUMBER() (PostgreSQL, MySQL 8 and MariaDB 10.2+).
 */
export function contributionPagesOf(store: SocialSecurityStore, ids: readonly string[], page: ContributionPageQuery): Promise<ContributionRow[]> {
  const ranked = inRange(store, ids, page)
    .selectAll()
    .select((eb) => eb.fn.agg<number>('row_number').over((ob) => ob.partitionBy('id_number').orderBy('period', 'desc')).as('rn'));
  return store.db
    .selectFrom(ranked.as('ranked'))
    .select(['id_number', 'period', 'base', 'employer_amount', 'personal_amount', 'paid'])
    .where('rn', '>', page.offset)
    .where('rn', '<=', page.offset + page.limit + 1)
    .orderBy('id_number')
    .orderBy('period', 'desc')
    .execute();
}

/** How many contributions of each of `ids` fall in `range`; persons with none are absent. One statement. */
export async function contributionCountsOf(store: SocialSecurityStore, ids: readonly string[], range: PeriodRange): Promise<Array<{ id_number: string; total: number }>> {
  const rows = await inRange(store, ids, range)
    .select((eb) => ['id_number', eb.fn.countAll<number | string>().as('total')])
    .groupBy('id_number')
    .execute();
  return rows.map((r) => ({ id_number: r.id_number, total: Number(r.total) }));
}

/** Corrects a resident's registered name; false when the register does not know `idNumber`. */
export async function correctResidentName(store: SocialSecurityStore, idNumber: string, name: string): Promise<boolean> {
  const known = await store.db.selectFrom('resident').select('id_number').where('id_number', '=', idNumber).executeTakeFirst();
  if (!known) return false;
  await store.db.updateTable('resident').set({ name }).where('id_number', '=', idNumber).execute();
  return true;
}
