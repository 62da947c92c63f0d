/**
 * Medical insurance's share of the synthetic population: everyone social security insures, in
 * employees' insurance (310) on the same employment history, and about 95% of the others in the
 * resident scheme (390); 0–8 settlements each over 2023–2025, only while enrolled.
 */
import { ArchivalNumbering, type ArchivalColumns } from '../common/archival';
import { writeTables } from '../common/bulk';
import { periodStart, workHistory, type WorkHistory } from '../common/employment';
import { addDays, between, DEMO, pick, prng, type Person, type Population, type Random } from '../common/population';
import type { SeedProgress } from '../common/server';
import type { EnroleeRow, EnrolmentRow, EnrolmentStatus, InsuranceType, MedicalInsuranceStore, MedicalType, PersonType, SettlementRow, VisitRow } from './store';

/** 全宗号 of the healthcare security (医保) archive. */
export const MEDICAL_INSURANCE_FONDS = 'J035';
/** This department's own PRNG stream, so its data does not shift when another department's does. */
const SEED = 23032304;
/** Settlements are dated within these years. */
const FIRST_DAY = '2023-01-01';
const LAST_DAY = '2025-12-31';

/** 定点医药机构 as [code, name]: city hospitals, one hospital per county, and pharmacies. */
const CITY_HOSPITALS: Array<[string, string]> = [
  ['H43070200001', '常德市第一人民医院'],
  ['H43070200002', '常德市第二人民医院'],
  ['H43070200003', '常德市中医医院'],
  ['H43070200004', '常德市第四人民医院'],
  ['H43070200005', '常德市妇幼保健院'],
];
const COUNTY_HOSPITALS: Record<string, [string, string]> = {
  '430703': ['H43070300001', '常德市鼎城区人民医院'],
  '430721': ['H43072100001', '安乡县人民医院'],
  '430722': ['H43072200001', '汉寿县人民医院'],
  '430723': ['H43072300001', '澧县人民医院'],
  '430724': ['H43072400001', '临澧县人民医院'],
  '430725': ['H43072500001', '桃源县人民医院'],
  '430726': ['H43072600001', '石门县人民医院'],
  '430781': ['H43078100001', '津市市人民医院'],
};
const PHARMACIES: Array<[string, string]> = [
  ['P43070200001', '益丰大药房常德朗州路店'],
  ['P43070200002', '老百姓大药房常德人民路店'],
  ['P43070300001', '益丰大药房鼎城建设路店'],
  ['P43072500001', '老百姓大药房桃源漳江店'],
];

/** ICD-10 diagnoses by medical type; pharmacy purchases carry none. */
const DIAGNOSES: Record<Exclude<MedicalType, 'PHARMACY'>, Array<[string, string]>> = {
  OUTPATIENT: [
    ['J06.9', '急性上呼吸道感染'],
    ['J20.9', '急性支气管炎'],
    ['K29.7', '胃炎'],
    ['M54.5', '腰痛'],
    ['L30.9', '皮炎'],
    ['H10.9', '结膜炎'],
    ['I10', '原发性高血压'],
    ['E11.9', '2型糖尿病'],
  ],
  CHRONIC: [
    ['I10', '原发性高血压'],
    ['E11.9', '2型糖尿病'],
    ['I25.1', '动脉粥样硬化性心脏病'],
    ['J44.9', '慢性阻塞性肺疾病'],
    ['N18.9', '慢性肾脏病'],
  ],
  INPATIENT: [
    ['J18.9', '肺炎'],
    ['I63.9', '脑梗死'],
    ['I25.1', '动脉粥样硬化性心脏病'],
    ['J44.1', '慢性阻塞性肺疾病伴急性加重'],
    ['K80.2', '胆囊结石不伴有胆囊炎'],
    ['K35.8', '急性阑尾炎'],
    ['H25.9', '老年性白内障'],
    ['S72.0', '股骨颈骨折'],
  ],
};

export interface MedicalInsuranceRows {
  enrolees: EnroleeRow[];
  enrolments: EnrolmentRow[];
  visits: VisitRow[];
  settlements: SettlementRow[];
}

/** Amounts in fen (cents), so they add up exactly before they become yuan. */
interface Amounts {
  total: number;
  fund: number;
  basic: number;
  account: number;
  cash: number;
}

const daysFrom = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);
const later = (a: string, b: string) => (a > b ? a : b);
const clock = (seconds: number) => [seconds / 3600, (seconds / 60) % 60, seconds % 60].map((n) => String(Math.floor(n)).padStart(2, '0')).join(':');
const yuan = (fen: number) => fen / 100;
/** Placeholder archival columns, replaced once settlements are in time order. */
const UNFILED: ArchivalColumns = { archival_code: '', fonds: MEDICAL_INSURANCE_FONDS, retention: 'Y30', classification: null, open_status: 'CONTROLLED' };

/** A span of cover: dates in which claims may settle, and whether a personal account pays. */
interface Cover {
  from: string;
  to: string;
  account: boolean;
}

/** The resident scheme (国发〔2016〕3号) took effect locally in 2017. */
const RESIDENT_SCHEME_FROM = '2017-01-01';
/** Residents: 390, with 392 大病 for every 390 enrolee. */
const RESIDENT_TYPES: InsuranceType[] = ['390', '392'];
/** Employees: 310 and, as Changde has it, 大额医疗费用补助 (330); civil servants also 320. */
const EMPLOYEE_TYPES: InsuranceType[] = ['310', '330'];
const CIVIL_SERVANT_TYPES: InsuranceType[] = ['310', '320', '330'];
const dayBefore = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/**
 * Person type, enrolments and spans of cover, from the person's employment history (the same
 * one social security uses): employees in 310 + 330 (+ 320 for civil servants) from the day
 * social security enrolled them in medical insurance; retirees keep it as 离退休; those who left
 * work have it suspended from the month they stopped paying and join 390 + 392 next January;
 * everyone else is a resident in 390 + 392.
 */
function enrol(p: Person, work: WorkHistory | null): { personType: PersonType; enrolments: Array<Omit<EnrolmentRow, 'id' | 'id_number'>>; cover: Cover[] } {
  const rows: Array<Omit<EnrolmentRow, 'id' | 'id_number'>> = [];
  const cover: Cover[] = [];
  const join = (types: InsuranceType[], start: string, end: string | null, status: EnrolmentStatus, account: boolean) => {
    for (const insutype of types) rows.push({ insutype, start_date: start, end_date: end, status });
    cover.push({ from: start, to: end ?? LAST_DAY, account });
  };
  const age = 2025 - Number(p.birthDate.slice(0, 4));
  const residentType: PersonType = age <= 22 ? 'STUDENT' : 'RESIDENT';
  if (!work) {
    join(RESIDENT_TYPES, later(RESIDENT_SCHEME_FROM, p.birthDate), null, 'ACTIVE', false);
    return { personType: residentType, enrolments: rows, cover };
  }
  const employee = work.civilServant ? CIVIL_SERVANT_TYPES : EMPLOYEE_TYPES;
  if (work.status !== 'LEFT') {
    join(employee, work.medicalFrom, null, 'ACTIVE', true);
    return { personType: work.status === 'RETIRED' ? 'RETIRED' : 'EMPLOYED', enrolments: rows, cover };
  }
  join(employee, work.medicalFrom, dayBefore(periodStart(work.leftIn!)), 'SUSPENDED', true);
  const nextJanuary = `${Number(work.leftIn!.slice(0, 4)) + 1}-01-01`;
  if (nextJanuary <= LAST_DAY) join(RESIDENT_TYPES, nextJanuary, null, 'ACTIVE', false);
  return { personType: nextJanuary <= LAST_DAY ? residentType : 'EMPLOYED', enrolments: rows, cover };
}

/** Amounts for one settlement: fund share by medical type, the rest from the personal account (employees only) or cash. */
function amountsFor(rnd: Random, type: MedicalType, hasAccount: boolean): Amounts {
  let total: number;
  let fund: number;
  let basic: number;
  if (type === 'INPATIENT') {
    total = between(rnd, 300_000, 6_000_000);
    fund = Math.round((total * between(rnd, 55, 85)) / 100);
    // Above 20,000 yuan the 大额/大病 insurance pays part of the fund share.
    basic = total >= 2_000_000 ? Math.round(fund * 0.8) : fund;
  } else if (type === 'CHRONIC') {
    total = between(rnd, 10_000, 150_000);
    fund = basic = Math.round((total * between(rnd, 50, 70)) / 100);
  } else if (type === 'OUTPATIENT') {
    total = between(rnd, 3_000, 80_000);
    fund = basic = rnd() < 0.3 ? 0 : Math.round((total * between(rnd, 30, 60)) / 100); // below the deductible: nothing
  } else {
    total = between(rnd, 1_500, 30_000);
    fund = basic = 0;
  }
  const rest = total - fund;
  const account = hasAccount ? (type === 'PHARMACY' && rnd() < 0.8 ? rest : Math.round(rest * rnd())) : 0;
  return { total, fund, basic, account, cash: rest - account };
}

/** The rows for `population`; pure and deterministic. */
export function medicalInsuranceRows(population: Population): MedicalInsuranceRows {
  const rnd = prng(SEED);
  const enrolees: EnroleeRow[] = [];
  const enrolments: EnrolmentRow[] = [];
  const visits: VisitRow[] = [];
  const settlements: SettlementRow[] = [];
  population.persons.forEach((p, index) => {
    const work = workHistory(p, index);
    // Everyone with insured employment is enrolled (310); about 95% of the others join 390.
    if (!work && rnd() >= 0.95) return;
    const ownRegion = p.idNumber.slice(0, 6);
    const region = rnd() < 0.9 || !COUNTY_HOSPITALS[ownRegion] ? ownRegion : pick(rnd, Object.keys(COUNTY_HOSPITALS));
    const { personType, enrolments: own, cover } = enrol(p, work);
    enrolees.push({ id_number: p.idNumber, region, person_type: personType });
    for (const e of own) enrolments.push({ id: enrolments.length + 1, id_number: p.idNumber, ...e });

    // Claims settle only inside a span of cover within the settlement years.
    const spans = cover.map((c) => ({ ...c, from: later(FIRST_DAY, c.from) })).filter((c) => c.from <= c.to);
    const days = spans.map((c) => daysFrom(c.from, c.to) + 1);
    const totalDays = days.reduce((a, b) => a + b, 0);
    const age = 2025 - Number(p.birthDate.slice(0, 4));
    let count = between(rnd, 0, 8);
    if (age >= 60) count = Math.max(count, between(rnd, 0, 8));
    if (p.idNumber === DEMO.husband || p.idNumber === DEMO.wife) count = Math.max(count, 3);
    const local = COUNTY_HOSPITALS[region];
    for (let n = 0; n < count && totalDays > 0; n++) {
      let day = between(rnd, 0, totalDays - 1);
      let k = 0;
      while (day >= days[k]) day -= days[k++];
      const span = spans[k];
      const hasAccount = span.account;
      const x = rnd();
      const type: MedicalType = x < 0.45 ? 'OUTPATIENT' : x < 0.7 ? 'PHARMACY' : x < (age >= 55 ? 0.88 : 0.8) ? 'CHRONIC' : 'INPATIENT';
      const [hospitalCode, hospitalName] = type === 'PHARMACY' ? pick(rnd, PHARMACIES) : local && rnd() < 0.4 ? local : pick(rnd, CITY_HOSPITALS);
      const settledOn = addDays(span.from, day);
      const beginDate = type === 'INPATIENT' ? later(span.from, addDays(settledOn, -between(rnd, 3, 20))) : settledOn;
      const diagnosis = type === 'PHARMACY' ? null : pick(rnd, DIAGNOSES[type]);
      const mdtrtId = `MD${hospitalCode.slice(1, 7)}${beginDate.replace(/-/g, '')}${String(visits.length + 1).padStart(8, '0')}`;
      visits.push({
        mdtrt_id: mdtrtId,
        id_number: p.idNumber,
        hospital_code: hospitalCode,
        med_type: type,
        begin_date: beginDate,
        end_date: settledOn,
        diagnosis_code: diagnosis?.[0] ?? null,
        diagnosis_name: diagnosis?.[1] ?? null,
      });
      const a = amountsFor(rnd, type, hasAccount);
      const seconds = between(rnd, 8 * 3600, 17 * 3600 + 59 * 60);
      const refunded = rnd() < 0.04;
      const settle = (settledAt: string, isRefunded: boolean): SettlementRow => ({
        setl_id: '', // assigned below, in time order
        mdtrt_id: mdtrtId,
        id_number: p.idNumber,
        hospital_code: hospitalCode,
        hospital_name: hospitalName,
        med_type: type,
        settled_at: settledAt,
        medfee_sumamt: yuan(a.total),
        fund_pay_sumamt: yuan(a.fund),
        hifp_pay: yuan(a.basic),
        acct_pay: yuan(a.account),
        cash_payamt: yuan(a.cash),
        refunded: isRefunded,
        ...UNFILED,
      });
      settlements.push(settle(`${settledOn} ${clock(seconds)}`, refunded));
      // A refunded visit is usually settled again (重新结算) a day or two later: same visit, new settlement.
      const resettledOn = addDays(settledOn, between(rnd, 1, 2));
      if (refunded && n + 1 < count && resettledOn <= span.to && settledOn < '2025-12-29' && rnd() < 0.7) {
        n++;
        settlements.push(settle(`${resettledOn} ${clock(seconds)}`, false));
      }
    }
  });

  // Settlement ids and 档号 follow settlement time, as the archive files them (the sort is stable).
  settlements.sort((a, b) => (a.settled_at < b.settled_at ? -1 : a.settled_at > b.settled_at ? 1 : 0));
  const numbering = new ArchivalNumbering(MEDICAL_INSURANCE_FONDS, 'YB');
  settlements.forEach((s, i) => {
    s.setl_id = `ST430700${s.settled_at.slice(0, 10).replace(/-/g, '')}${String(i + 1).padStart(8, '0')}`;
    Object.assign(s, numbering.next(s.settled_at.slice(0, 4), 'Y30'));
  });
  return { enrolees, enrolments, visits, settlements };
}

export async function seed(store: MedicalInsuranceStore, population: Population, progress?: SeedProgress): Promise<void> {
  const { enrolees, enrolments, visits, settlements } = medicalInsuranceRows(population);
  await writeTables(store.db, [['medical_enrolee', enrolees], ['medical_enrolment', enrolments], ['medical_visit', visits], ['medical_settlement', settlements]], progress);
}

export async function isSeeded(store: MedicalInsuranceStore): Promise<boolean> {
  return (await store.db.selectFrom('medical_enrolee').select('id_number').limit(1).execute()).length > 0;
}
