/**
 * Social security's share of the synthetic population: a register row for every person, and for
 * about 85% of adults a social-insurance file with enrolments, an employer when employed, and
 * monthly contributions for 202301-202512. Rows are built per chunk of persons, so 100k persons
 * (about 1.6M contribution rows) never sit in memory at once.
 */
import { makeCreditCode } from '../../lib/credit-code';
import { ArchivalNumbering } from '../common/archival';
import { insertBatches } from '../common/bulk';
import { addDays, between, CHANGDE_REGIONS, DEMO, pick, prng, type Person, type Population, type Random } from '../common/population';
import type { SeedProgress } from '../common/server';
import type { ContributionRow, EmployerRow, EnrolmentRow, EnrolmentStatus, InsuranceFileRow, InsuranceType, ResidentRow, SocialSecurityStore } from './store';

/** 全宗号 of the social-insurance archive. */
export const SOCIAL_SECURITY_FONDS = 'J031';
/** The months that carry contribution records. */
export const FIRST_PERIOD = '202301';
export const LAST_PERIOD = '202512';
export const EMPLOYER_COUNT = 300;

/** This department's own random stream, independent of the population's. */
const SEED = 310031;
const INSURED_SHARE = 0.85;
const EMPLOYED_SHARE = 0.9;
const UNPAID_SHARE = 0.03;
const ADULT_BORN_BY = '2007-12-31';
/** Contribution rates (Hunan, simplified): employer 16+8+0.7+0.5 %, personal 8+2+0.3 %. */
const EMPLOYER_RATE = 0.252;
const PERSONAL_RATE = 0.103;
/** When each insurance type started locally; earlier workers were enrolled on its introduction. */
const INTRODUCED: Record<InsuranceType, string> = {
  PENSION: '1995-01-01',
  MEDICAL: '2000-01-01',
  UNEMPLOYMENT: '1999-01-01',
  WORK_INJURY: '2004-01-01',
  MATERNITY: '2005-01-01',
};
const TYPES = Object.keys(INTRODUCED) as InsuranceType[];
const REGIONS = Object.keys(CHANGDE_REGIONS);
const CREDIT_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const BRANDS = ['华新', '金健', '德山', '沅澧', '桃花源', '柳叶', '善卷', '朗州', '湘北', '洞庭', '芙蓉', '鸿泰', '恒安', '利民', '同德', '汇源', '楚天', '振华', '白马湖', '穿紫河'];
const TRADES = ['建材', '烟草', '纺织', '机械', '电子', '物流', '食品', '医药', '建设', '置业', '商贸', '科技', '酒业', '印务', '汽车服务', '农业'];
const FORMS = ['有限公司', '有限责任公司', '股份有限公司'];
const INSTITUTIONS = ['人民医院', '中医医院', '第一中学', '实验小学', '疾病预防控制中心', '图书馆', '自来水公司', '职业中专'];

/** 经办机构 of a county: districts are the city's, counties and Jinshi have their own. */
export function agencyOf(region: string): string {
  const county = CHANGDE_REGIONS[region];
  return county.endsWith('区') ? `常德市${county}社会保险服务中心` : `${county}社会保险服务中心`;
}

const periodOf = (date: string) => date.slice(0, 4) + date.slice(5, 7);
function shiftPeriod(period: string, months: number): string {
  const m = Number(period.slice(0, 4)) * 12 + Number(period.slice(4, 6)) - 1 + months;
  return `${Math.floor(m / 12)}${String((m % 12) + 1).padStart(2, '0')}`;
}
const laterOf = (a: string, b: string) => (a > b ? a : b);

/** Months from `from` to `to`, inclusive (0 when from > to). */
export function monthsBetween(from: string, to: string): number {
  const index = (p: string) => Number(p.slice(0, 4)) * 12 + Number(p.slice(4, 6));
  return Math.max(0, index(to) - index(from) + 1);
}

/** The employer pool: valid GB 32100 credit codes registered in Changde (4307xx). */
export function employerRows(count = EMPLOYER_COUNT): EmployerRow[] {
  const rnd = prng(SEED + 1);
  const rows: EmployerRow[] = [];
  const names = new Set<string>();
  const codes = new Set<string>();
  while (rows.length < count) {
    const region = pick(rnd, REGIONS);
    // About one unit in ten is a public institution (registered by 机构编制, type 事业单位).
    const institution = rnd() < 0.1;
    const name = institution ? `常德市${CHANGDE_REGIONS[region]}${pick(rnd, INSTITUTIONS)}` : `常德${pick(rnd, BRANDS)}${pick(rnd, TRADES)}${pick(rnd, FORMS)}`;
    let entity = rnd() < 0.6 ? 'MA4' : '';
    while (entity.length < 9) entity += entity.startsWith('MA') ? pick(rnd, CREDIT_ALPHABET) : String(between(rnd, 0, 9));
    const creditCode = makeCreditCode((institution ? '12' : '91') + region + entity);
    if (names.has(name) || codes.has(creditCode)) continue;
    names.add(name);
    codes.add(creditCode);
    rows.push({ unit_number: `${region}${String(rows.length + 1).padStart(5, '0')}`, name, credit_code: creditCode, region });
  }
  return rows;
}

/** A person's contributions before expansion: the months covered, the base and the unpaid-month draw. */
export interface ContributionSpec {
  idNumber: string;
  from: string;
  to: string;
  /** 缴费基数 for 2023; raised 5% a year after. */
  base: number;
  seed: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The monthly rows a spec describes, oldest first: a few months (about 3%) unpaid. */
export function contributionRows(spec: ContributionSpec): ContributionRow[] {
  const rnd = prng(spec.seed);
  const rows: ContributionRow[] = [];
  for (let period = spec.from; period <= spec.to; period = shiftPeriod(period, 1)) {
    const base = Math.round(spec.base * 1.05 ** (Number(period.slice(0, 4)) - 2023));
    rows.push({
      id_number: spec.idNumber,
      period,
      base,
      employer_amount: round2(base * EMPLOYER_RATE),
      personal_amount: round2(base * PERSONAL_RATE),
      paid: rnd() >= UNPAID_SHARE,
    });
  }
  return rows;
}

/** One chunk of persons' rows; contributions as specs, expanded with `contributionRows`. */
export interface SocialSecurityChunk {
  residents: ResidentRow[];
  files: InsuranceFileRow[];
  enrolments: EnrolmentRow[];
  contributions: ContributionSpec[];
}

const DEMO_IDS = new Set<string>([DEMO.husband, DEMO.wife]);

/**
 * The rows for `population`, `chunkSize` persons at a time, in person order. Deterministic: the
 * same population always yields the same rows, whatever the chunk size.
 */
export function* socialSecurityChunks(population: Population, employers: EmployerRow[], chunkSize = 2000): Generator<SocialSecurityChunk> {
  const rnd = prng(SEED);
  const numbering = new ArchivalNumbering(SOCIAL_SECURITY_FONDS, 'SB');
  const counters = { insured: 0, enrolment: 0 };
  for (let start = 0; start < population.persons.length; start += chunkSize) {
    const chunk: SocialSecurityChunk = { residents: [], files: [], enrolments: [], contributions: [] };
    population.persons.slice(start, start + chunkSize).forEach((person, k) => {
      chunk.residents.push({ id_number: person.idNumber, name: person.name, phone: person.phone, address: person.address });
      insure(person, start + k, rnd, employers, numbering, counters, chunk);
    });
    yield chunk;
  }
}

/** Adds one person's file, enrolments and contribution spec to `chunk`, if they are insured. */
function insure(person: Person, index: number, rnd: Random, employers: EmployerRow[], numbering: ArchivalNumbering, counters: { insured: number; enrolment: number }, chunk: SocialSecurityChunk): void {
  const demo = DEMO_IDS.has(person.idNumber);
  if (!demo && (person.birthDate > ADULT_BORN_BY || rnd() >= INSURED_SHARE)) return;
  const began = addDays(person.birthDate, between(rnd, 18 * 365, 26 * 365));
  if (!demo && began >= '2025-12-01') return; // not working yet
  const retirement = shiftPeriod(periodOf(person.birthDate), (person.sex === 'MALE' ? 60 : 55) * 12);
  const retired = retirement <= LAST_PERIOD;
  const employed = !retired && (demo || rnd() < EMPLOYED_SHARE);
  const status: EnrolmentStatus = retired ? 'TERMINATED' : employed ? 'PAYING' : 'SUSPENDED';

  const region = person.idNumber.slice(0, 6);
  const firstDates = TYPES.map((type) => (began >= INTRODUCED[type] ? began : addDays(INTRODUCED[type], between(rnd, 0, 90))));
  const pensionFrom = firstDates[0];
  chunk.files.push({
    id_number: person.idNumber,
    insured_number: `${region}${String(++counters.insured).padStart(8, '0')}`,
    agency: agencyOf(region),
    employer_unit: employed ? pick(rnd, employers).unit_number : null,
    ...numbering.next(pensionFrom.slice(0, 4), 'PERMANENT'),
  });
  TYPES.forEach((type, t) => {
    // A type introduced after the person retired was never joined; pension always was.
    if (type !== 'PENSION' && periodOf(firstDates[t]) >= retirement) return;
    chunk.enrolments.push({
      id: ++counters.enrolment,
      id_number: person.idNumber,
      insurance_type: type,
      status,
      first_enrolled_on: firstDates[t],
      ...numbering.next(firstDates[t].slice(0, 4), type === 'PENSION' ? 'PERMANENT' : 'Y30'),
    });
  });

  // Contributions run from enrolment (or 202301) to now, to the month before a suspension, or to retirement.
  const from = laterOf(FIRST_PERIOD, periodOf(pensionFrom));
  let to = LAST_PERIOD;
  if (retired) to = shiftPeriod(retirement, -1);
  else if (!employed) {
    // Suspended in some month from 202302 to 202511 (after enrolment); paid up to the month before.
    const earliest = laterOf(shiftPeriod(from, 1), '202302');
    const suspended = earliest >= '202511' ? earliest : shiftPeriod(earliest, between(rnd, 0, monthsBetween(earliest, '202511') - 1));
    to = shiftPeriod(suspended, -1);
  }
  const base = between(rnd, 36, 150) * 100;
  if (from <= to) chunk.contributions.push({ idNumber: person.idNumber, from, to, base, seed: (SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0 });
}

/** Every row for `population` at once: the pure builder, for tests and small seeds. */
export function socialSecurityRows(population: Population) {
  const employers = employerRows();
  const all = { employers, residents: [] as ResidentRow[], files: [] as InsuranceFileRow[], enrolments: [] as EnrolmentRow[], contributions: [] as ContributionRow[] };
  for (const chunk of socialSecurityChunks(population, employers)) {
    all.residents.push(...chunk.residents);
    all.files.push(...chunk.files);
    all.enrolments.push(...chunk.enrolments);
    for (const spec of chunk.contributions) all.contributions.push(...contributionRows(spec));
  }
  return all;
}

const rowsIn = (chunk: SocialSecurityChunk) =>
  chunk.residents.length + chunk.files.length + chunk.enrolments.length + chunk.contributions.reduce((n, s) => n + monthsBetween(s.from, s.to), 0);

/** Writes the rows chunk by chunk with multi-row inserts; `progress` counts rows of every table. */
export async function seed(store: SocialSecurityStore, population: Population, progress?: SeedProgress): Promise<void> {
  const employers = employerRows();
  // A counting pass first (cheap: contributions are counted from their specs, not built) so
  // progress has a true total.
  let total = employers.length;
  for (const chunk of socialSecurityChunks(population, employers)) total += rowsIn(chunk);
  let done = 0;
  const tick = (n: number) => progress?.((done += n), total);
  await insertBatches(store.db, 'employer', employers as never, tick);
  for (const chunk of socialSecurityChunks(population, employers)) {
    // Three concurrent insert streams per chunk (the tables have no foreign keys): a server store
    // then works on three connections, about 1.6x faster than one; an embedded store queues them.
    const contributions = chunk.contributions.flatMap(contributionRows);
    const half = Math.ceil(contributions.length / 2000) * 1000; // split on a batch boundary
    const streams = await Promise.allSettled([
      (async () => {
        await insertBatches(store.db, 'resident', chunk.residents as never, tick);
        await insertBatches(store.db, 'insurance_file', chunk.files as never, tick);
        await insertBatches(store.db, 'insurance_enrolment', chunk.enrolments as never, tick);
      })(),
      insertBatches(store.db, 'contribution', contributions.slice(0, half) as never, tick),
      insertBatches(store.db, 'contribution', contributions.slice(half) as never, tick),
    ]);
    // Wait for every stream before failing, so none still writes after the caller closes the store.
    const failed = streams.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

export async function isSeeded(store: SocialSecurityStore): Promise<boolean> {
  return (await store.db.selectFrom('resident').select('id_number').limit(1).execute()).length > 0;
}
