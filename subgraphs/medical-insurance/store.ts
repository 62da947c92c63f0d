/** The medical insurance store (医保): tables and the queries the loaders run. */
import { jsonList, parseJsonList, type Store } from '../../lib/db';
import type { ArchivalColumns } from '../common/archival';
import type { SearchableKind } from '../common/search';

/** The person types of an enrolee (the PersonType enum of the schema). */
export const PERSON_TYPES = ['EMPLOYED', 'RETIRED', 'RETIRED_CADRE', 'RESIDENT', 'STUDENT'] as const;
export type PersonType = (typeof PERSON_TYPES)[number];
export type EnrolmentStatus = 'ACTIVE' | 'SUSPENDED' | 'TERMINATED';
export type MedicalType = 'OUTPATIENT' | 'INPATIENT' | 'PHARMACY' | 'CHRONIC';

/** 险种类型 (insutype) codes of the national medical insurance platform, with their names. */
export const INSURANCE_TYPES = {
  '310': '职工基本医疗保险',
  '320': '公务员医疗补助',
  '330': '大额医疗费用补助',
  '340': '离休人员医疗保障',
  '390': '城乡居民基本医疗保险',
  '392': '城乡居民大病医疗保险',
  '510': '生育保险',
} as const;
export type InsuranceType = keyof typeof INSURANCE_TYPES;

/** A person insured at least once: 参保地 and 人员类别. */
export interface EnroleeRow {
  id_number: string;
  /** 参保地 county code (4307xx). */
  region: string;
  person_type: PersonType;
}

export interface EnrolmentRow {
  id: number;
  id_number: string;
  insutype: InsuranceType;
  start_date: string;
  /** Last day covered, when the enrolment ended or was suspended; null while active. */
  end_date: string | null;
  status: EnrolmentStatus;
}

/** A visit (就诊, mdtrt); the diagnosis lives here, not on the settlement. */
export interface VisitRow {
  mdtrt_id: string;
  id_number: string;
  hospital_code: string;
  med_type: MedicalType;
  /** Visit or admission date. */
  begin_date: string;
  /** Same day for outpatient visits; discharge date for inpatient stays. */
  end_date: string;
  /** ICD-10; null for pharmacy purchases. */
  diagnosis_code: string | null;
  diagnosis_name: string | null;
}

/** A settlement (结算) of a visit; amounts in yuan, `medfee_sumamt = fund_pay_sumamt + acct_pay + cash_payamt`. */
export interface SettlementRow extends ArchivalColumns {
  setl_id: string;
  mdtrt_id: string;
  id_number: string;
  hospital_code: string;
  hospital_name: string;
  med_type: MedicalType;
  /** YYYY-MM-DD HH:MM:SS. */
  settled_at: string;
  medfee_sumamt: number;
  fund_pay_sumamt: number;
  hifp_pay: number;
  acct_pay: number;
  cash_payamt: number;
  /** MySQL returns 0/1; the queries below normalise it to a boolean. */
  refunded: boolean;
}

export interface MedicalInsuranceDB {
  medical_enrolee: EnroleeRow;
  medical_enrolment: EnrolmentRow;
  medical_visit: VisitRow;
  medical_settlement: SettlementRow;
}

export type MedicalInsuranceStore = Store<MedicalInsuranceDB>;

/** What searchRecords finds in this store: settlements (items of a person's file, ranked below files), by person or 档号. */
export const SEARCHABLE: SearchableKind[] = [{ kind: 'MedicalSettlement', score: 1, table: 'medical_settlement', columns: {}, persons: { columns: ['id_number'] } }];

/** Inclusive settlement-date filter (YYYY-MM-DD); null = unbounded. */
export interface DateRange {
  from: string | null;
  to: string | null;
}

/** One page of the newest-first settlement list. */
export interface PageWindow extends DateRange {
  limit: number;
  offset: number;
}

// settled_at has whole seconds, so an inclusive day range is [day 00:00:00, day 23:59:59].
const startOf = (day: string) => `${day} 00:00:00`;
const endOf = (day: string) => `${day} 23:59:59`;

const ENROLMENT_COLUMNS = { id: true, id_number: true, insutype: true, start_date: true, end_date: true, status: true } as const;

/** An enrolee with, when asked for, their enrolments (oldest first). */
export type EnroleeRecord = EnroleeRow & { enrolments?: EnrolmentRow[] };

/** Enrolees among `ids`, with their enrolments when `enrolments`. One statement. */
export async function enroleesOf(store: MedicalInsuranceStore, ids: readonly string[], enrolments: boolean): Promise<EnroleeRecord[]> {
  const rows = await store.db
    .selectFrom('medical_enrolee')
    .selectAll('medical_enrolee')
    .$if(enrolments, (q) =>
      q.select((eb) =>
        eb
          .selectFrom('medical_enrolment as e')
          .whereRef('e.id_number', '=', 'medical_enrolee.id_number')
          .select(jsonList<EnrolmentRow>(store.dialect, 'e', ENROLMENT_COLUMNS, ['start_date', 'id']).as('list'))
          .as('enrolments'),
      ),
    )
    .where('id_number', 'in', ids)
    .execute();
  return rows.map(({ enrolments, ...e }) => ({ ...e, ...(enrolments !== undefined && { enrolments: parseJsonList(enrolments!) }) }));
}

/**
 * For each of `ids`, its settlements in `range`, newest first, from position `offset` up to
 * `limit + 1` rows (the extra row tells whether a next page exists). One statement for all the
 * persons: ROW_NUMBER() per person in a subquery (PostgreSQL and MariaDB 10.2+ both have it).
 */
export async function settlementPagesOf(store: MedicalInsuranceStore, ids: readonly string[], page: PageWindow): Promise<SettlementRow[]> {
  const ranked = store.db
    .selectFrom('medical_settlement')
    .selectAll()
    .select((eb) =>
      eb.fn
        .agg<number>('row_number')
        .over((ob) => ob.partitionBy('id_number').orderBy('settled_at', 'desc').orderBy('setl_id', 'desc'))
        .as('rn'),
    )
    .where('id_number', 'in', ids)
    .$if(page.from !== null, (q) => q.where('settled_at', '>=', startOf(page.from!)))
    .$if(page.to !== null, (q) => q.where('settled_at', '<=', endOf(page.to!)));
  const rows = await store.db
    .selectFrom(ranked.as('s'))
    .selectAll()
    .where('rn', '>', page.offset)
    .where('rn', '<=', page.offset + page.limit + 1)
    .orderBy('id_number')
    .orderBy('rn')
    .execute();
  return rows.map(({ rn: _rn, ...row }) => ({ ...row, refunded: Boolean(row.refunded) }));
}

/** Number of settlements in `range` for each of `ids` that has any. One GROUP BY statement. */
export function settlementCountsOf(store: MedicalInsuranceStore, ids: readonly string[], range: DateRange): Promise<Array<{ id_number: string; count: number }>> {
  return store.db
    .selectFrom('medical_settlement')
    .select((eb) => ['id_number', eb.fn.countAll<number>().as('count')])
    .where('id_number', 'in', ids)
    .$if(range.from !== null, (q) => q.where('settled_at', '>=', startOf(range.from!)))
    .$if(range.to !== null, (q) => q.where('settled_at', '<=', endOf(range.to!)))
    .groupBy('id_number')
    .execute()
    .then((rows) => rows.map((r) => ({ id_number: r.id_number, count: Number(r.count) })));
}

/** Visits by mdtrt_id. One statement. */
export function visitsOf(store: MedicalInsuranceStore, mdtrtIds: readonly string[]): Promise<VisitRow[]> {
  return store.db.selectFrom('medical_visit').selectAll().where('mdtrt_id', 'in', mdtrtIds).execute();
}

/** Corrects an enrolee's 人员类别; false when `idNumber` was never insured. */
export async function correctPersonType(store: MedicalInsuranceStore, idNumber: string, personType: PersonType): Promise<boolean> {
  const known = await store.db.selectFrom('medical_enrolee').select('id_number').where('id_number', '=', idNumber).executeTakeFirst();
  if (!known) return false;
  await store.db.updateTable('medical_enrolee').set({ person_type: personType }).where('id_number', '=', idNumber).execute();
  return true;
}
