/**
 * Social security's share of the synthetic population: a register row for every person, and for
 * about 85% of adults a social-insurance file with enrolments, an employer when employed, and
 * monthly contributions for 202301-202512. Rows are built per chunk of persons, so 100k persons
 * (about 1.6M contribution rows) never sit in memory at once.
 */
import { makeCreditCode, organisationCheckChar } from '../../lib/credit-code';
import { ArchivalNumbering } from '../common/archival';
import { insertBatches } from '../common/bulk';
import { EMPLOYEE_MEDICAL_FROM, FIRST_PERIOD, LAST_PERIOD, monthsBetween, periodOf, shiftPeriod, workHistory, type WorkHistory } from '../common/employment';
import { addDays, between, CHANGDE_REGIONS, pick, prng, type Person, type Population, type Random } from '../common/population';
import type { SeedProgress } from '../common/server';
import type { ContributionRow, EmployerRow, EnrolmentRow, EnrolmentStatus, InsuranceFileRow, InsuranceType, ResidentRow, SocialSecurityStore } from './store';

/** 全宗号 of the social-insurance archive. */
export const SOCIAL_SECURITY_FONDS = 'J031';
export { FIRST_PERIOD, LAST_PERIOD, monthsBetween } from '../common/employment';
export const EMPLOYER_COUNT = 300;

/** This department's own random stream, independent of the population's. */
const SEED = 310031;
const UNPAID_SHARE = 0.03;
/** Contribution rates (Hunan, simplified): employer 16+8+0.7+0.5 %, personal 8+2+0.3 %. */
const EMPLOYER_RATE = 0.252;
const PERSONAL_RATE = 0.103;
/** When each insurance type started locally; earlier workers were enrolled on its introduction. */
const INTRODUCED: Record<InsuranceType, string> = {
  PENSION: '1995-01-01',
  MEDICAL: EMPLOYEE_MEDICAL_FROM,
  UNEMPLOYMENT: '1999-01-01',
  WORK_INJURY: '2004-01-01',
  MATERNITY: '2005-01-01',
};
const TYPES = Object.keys(INTRODUCED) as InsuranceType[];
const REGIONS = Object.keys(CHANGDE_REGIONS);
const BRANDS = ['华新', '金健', '德山', '沅澧', '桃花源', '柳叶', '善卷', '朗州', '湘北', '洞庭', '芙蓉', '鸿泰', '恒安', '利民', '同德', '汇源', '楚天', '振华', '白马湖', '穿紫河'];
const TRADES = ['建材', '烟草', '纺织', '机械', '电子', '物流', '食品', '医药', '建设', '置业', '商贸', '科技', '酒业', '印务', '汽车服务', '农业'];
const FORMS = ['有限公司', '有限责任公司', '股份有限公司'];
const INSTITUTIONS = ['人民医院', '中医医院', '第一中学', '实验小学', '疾病预防控制中心', '图书馆', '自来水公司', '职业中专'];
/** State organs (机关), whose staff are civil servants. */
const ORGANS = ['财政局', '教育局', '民政局', '自然资源局', '人力资源和社会保障局', '住房和城乡建设局', '交通运输局', '农业农村局', '市场监督管理局', '审计局', '统计局', '司法局'];
/** About one unit in eight is a state organ (credit code type 11), one in ten a public institution (12). */
const ORGAN_SHARE = 0.12;
const INSTITUTION_SHARE = 0.1;
const ORG_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** 经办机构 of a county: districts are the city's, counties and Jinshi have their own. */
export function agencyOf(region: string): string {
  const county = CHANGDE_REGIONS[region];
  return county.endsWith('区') ? `常德市${county}社会保险服务中心` : `${county}社会保险服务中心`;
}

const laterOf = (a: string, b: string) => (a > b ? a : b);

/** Employers split by kind: civil servants work for state organs, everyone else elsewhere. */
interface EmployerPools {
  organs: EmployerRow[];
  others: EmployerRow[];
}

/** Whether an employer is a state organ (机关, credit code type 11): its staff are civil servants. */
export const isStateOrgan = (e: EmployerRow) => e.credit_code.startsWith('11');

/**
 * The employer pool: valid GB 32100 credit codes registered in Changde (4307xx), each holding a
 * GB 11714 organisation code that passes its own check.
 */
export function employerRows(count = EMPLOYER_COUNT): EmployerRow[] {
  const rnd = prng(SEED + 1);
  const rows: EmployerRow[] = [];
  const names = new Set<string>();
  const codes = new Set<string>();
  while (rows.length < count) {
    const region = pick(rnd, REGIONS);
    const r = rnd();
    const kind = r < ORGAN_SHARE ? '11' : r < ORGAN_SHARE + INSTITUTION_SHARE ? '12' : '91';
    const county = `${CHANGDE_REGIONS[region].endsWith('区') ? '常德市' : ''}${CHANGDE_REGIONS[region]}`;
    const name = kind === '11' ? `${county}${pick(rnd, ORGANS)}` : kind === '12' ? `${county}${pick(rnd, INSTITUTIONS)}` : `常德${pick(rnd, BRANDS)}${pick(rnd, TRADES)}${pick(rnd, FORMS)}`;
    // Codes issued with a credit code start MA; older organisation codes are 8 digits.
    let body = rnd() < 0.6 ? 'MA4' : '';
    while (body.length < 8) body += body.startsWith('MA') ? pick(rnd, ORG_ALPHABET) : String(between(rnd, 0, 9));
    const creditCode = makeCreditCode(kind + region + body + organisationCheckChar(body));
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

/**
 * The rows for `population`, `chunkSize` persons at a time, in person order. Deterministic: the
 * same population always yields the same rows, whatever the chunk size.
 */
export function* socialSecurityChunks(population: Population, employers: EmployerRow[], chunkSize = 2000): Generator<SocialSecurityChunk> {
  const rnd = prng(SEED);
  const pools: EmployerPools = { organs: employers.filter(isStateOrgan), others: employers.filter((e) => !isStateOrgan(e)) };
  const numbering = new ArchivalNumbering(SOCIAL_SECURITY_FONDS, 'SB');
  const counters = { insured: 0, enrolment: 0 };
  for (let start = 0; start < population.persons.length; start += chunkSize) {
    const chunk: SocialSecurityChunk = { residents: [], files: [], enrolments: [], contributions: [] };
    population.persons.slice(start, start + chunkSize).forEach((person, k) => {
      chunk.residents.push({ id_number: person.idNumber, name: person.name, phone: person.phone, address: person.address });
      insure(person, start + k, rnd, pools, numbering, counters, chunk);
    });
    yield chunk;
  }
}

/**
 * 参保状态 of each type from the person's employment: payers pay; those who left work have every
 * type suspended; a pensioner draws pension and keeps retirees' medical insurance (离退休), and
 * the other types end.
 */
function statusOf(type: InsuranceType, work: WorkHistory): EnrolmentStatus {
  if (work.status === 'EMPLOYED') return 'PAYING';
  if (work.status === 'LEFT') return 'SUSPENDED';
  return type === 'PENSION' || type === 'MEDICAL' ? 'RETIRED' : 'TERMINATED';
}

/** Adds one person's file, enrolments and contribution spec to `chunk`, if they are insured. */
function insure(person: Person, index: number, rnd: Random, employers: EmployerPools, numbering: ArchivalNumbering, counters: { insured: number; enrolment: number }, chunk: SocialSecurityChunk): void {
  const work = workHistory(person, index);
  if (!work) return;
  const { retirement } = work;
  const region = person.idNumber.slice(0, 6);
  const firstDates = TYPES.map((type) => (type === 'MEDICAL' ? work.medicalFrom : work.began >= INTRODUCED[type] ? work.began : addDays(INTRODUCED[type], between(rnd, 0, 90))));
  const pensionFrom = firstDates[0];
  const pool = work.civilServant ? employers.organs : employers.others;
  chunk.files.push({
    id_number: person.idNumber,
    insured_number: `${region}${String(++counters.insured).padStart(8, '0')}`,
    agency: agencyOf(region),
    employer_unit: work.status === 'EMPLOYED' ? pool[Math.floor(work.employerDraw * pool.length)].unit_number : null,
    ...numbering.next(pensionFrom.slice(0, 4), 'PERMANENT'),
  });
  TYPES.forEach((type, t) => {
    // A type introduced after the person retired was never joined; pension and (retirees') medical always were.
    if (type !== 'PENSION' && type !== 'MEDICAL' && periodOf(firstDates[t]) >= retirement) return;
    chunk.enrolments.push({
      id: ++counters.enrolment,
      id_number: person.idNumber,
      insurance_type: type,
      status: statusOf(type, work),
      first_enrolled_on: firstDates[t],
      ...numbering.next(firstDates[t].slice(0, 4), type === 'PENSION' ? 'PERMANENT' : 'Y30'),
    });
  });

  // Contributions run from enrolment (or 202301) to now, to the month before leaving, or to retirement.
  const from = laterOf(FIRST_PERIOD, periodOf(pensionFrom));
  const to = work.status === 'RETIRED' ? shiftPeriod(retirement, -1) : work.leftIn ? shiftPeriod(work.leftIn, -1) : LAST_PERIOD;
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
