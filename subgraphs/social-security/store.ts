/** The social-security store: the resident register, insurance files and contributions, and the queries the loaders run. */
import type { GeneratedAlways } from 'kysely';
import { jsonList, parseJsonList, type Store } from '../../lib/db';
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

/** Which parts of a person to read with the register row: the insurance file, and with it its enrolments and employer. */
export interface PersonParts {
  file: boolean;
  enrolments: boolean;
  employer: boolean;
}

/** An insurance file with, when asked for, its enrolments (pension first) and employer (null when none is registered). */
export type InsuranceFile = InsuranceFileRow & { enrolments?: EnrolmentRow[]; employer?: EmployerRow | null };

/** What this store knows of a person: the register row and (when asked for) the insurance file; null where there is none. */
export interface PersonRecord {
  id_number: string;
  resident: ResidentRow | null;
  file?: InsuranceFile | null;
}

const ENROLMENT_COLUMNS = { id: true, id_number: true, insurance_type: true, status: true, first_enrolled_on: true, archival_code: true, fonds: true, retention: true, classification: true, open_status: true } as const;

/**
 * The persons among `ids` on the register or with an insurance file, with the `parts` asked for.
 * One statement: the register row, the file and the employer joined to the persons' keys, the
 * enrolments as a JSON list.
 */
export async function personsOf(store: SocialSecurityStore, ids: readonly string[], parts: PersonParts): Promise<PersonRecord[]> {
  if (!parts.file) {
    const residents = await store.db.selectFrom('resident').selectAll().where('id_number', 'in', ids).execute();
    return residents.map((resident) => ({ id_number: resident.id_number, resident }));
  }
  // A file is answered whether or not its person is on the register, as the two are separate records.
  const keys = store.db
    .selectFrom('resident')
    .select('id_number')
    .where('id_number', 'in', ids)
    .union(store.db.selectFrom('insurance_file').select('id_number').where('id_number', 'in', ids));
  const rows = await store.db
    .selectFrom(keys.as('k'))
    .leftJoin('resident as r', 'r.id_number', 'k.id_number')
    .leftJoin('insurance_file as f', 'f.id_number', 'k.id_number')
    .select(['k.id_number', 'r.id_number as resident_id', 'r.name', 'r.phone', 'r.address'])
    .select(['f.id_number as file_id', 'f.insured_number', 'f.agency', 'f.employer_unit', 'f.archival_code', 'f.fonds', 'f.retention', 'f.classification', 'f.open_status'])
    .$if(parts.enrolments, (q) =>
      q.select((eb) =>
        eb.selectFrom('insurance_enrolment as e').whereRef('e.id_number', '=', 'k.id_number').select(jsonList<EnrolmentRow>(store.dialect, 'e', ENROLMENT_COLUMNS, ['id']).as('list')).as('enrolments'),
      ),
    )
    .$if(parts.employer, (q) => q.leftJoin('employer as u', 'u.unit_number', 'f.employer_unit').select(['u.name as employer_name', 'u.credit_code', 'u.region']))
    .execute();
  return rows.map(({ id_number, resident_id, name, phone, address, file_id, enrolments, employer_name, credit_code, region, ...file }) => ({
    id_number,
    resident: resident_id === null ? null : { id_number, name: name!, phone, address },
    file:
      file_id === null
        ? null
        : {
            ...(file as InsuranceFileRow),
            id_number,
            ...(enrolments !== undefined && { enrolments: parseJsonList(enrolments!) }),
            ...(parts.employer && { employer: employer_name == null ? null : { unit_number: file.employer_unit!, name: employer_name, credit_code: credit_code!, region: region! } }),
          },
  }));
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
