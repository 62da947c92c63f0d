/**
 * Real-estate's share of the synthetic population: a joint home for every married couple, sole
 * homes for about 30% of the other adults, shares between unrelated persons, a few transfers and
 * cancellations, mortgages on about 40% of rights and seizures on about 2%.
 */
import { ArchivalNumbering } from '../common/archival';
import { writeTables } from '../common/bulk';
import { addDays, between, CHANGDE_REGIONS, COUNTY_PLACES, DEMO, LATEST_DATE, pick, prng, type Person, type Population, type Random } from '../common/population';
import type { SeedProgress } from '../common/server';
import type { Holding, MortgageRow, PropertyRightRow, PropertyUse, RealEstateStore, RegistrationType, RightHolderRow, RightStatus, SeizureRow } from './store';

/** 全宗号 of the real-estate registration archive. */
export const REAL_ESTATE_FONDS = 'J027';
/** This department's own PRNG stream, so its data does not shift when another department's does. */
const SEED = 20240427;

const BANKS = ['中国工商银行常德分行', '中国建设银行常德分行', '中国农业银行常德分行', '中国银行常德分行', '交通银行常德分行', '中国邮政储蓄银行常德市分行', '湖南常德农村商业银行', '华融湘江银行常德分行'];
const SPLITS: Array<[number, number]> = [[50, 50], [60, 40], [70, 30], [51, 49], [80, 20]];
/** Price per m² (yuan) by use, for plausible mortgage amounts. */
const PRICE: Record<PropertyUse, [number, number]> = { RESIDENTIAL: [4000, 9000], COMMERCIAL: [8000, 20000], OFFICE: [5000, 12000], INDUSTRIAL: [300, 1500] };
const AREA: Record<PropertyUse, [number, number]> = { RESIDENTIAL: [55, 180], COMMERCIAL: [20, 300], OFFICE: [40, 400], INDUSTRIAL: [500, 5000] };

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const later = (a: string, b: string) => (a > b ? a : b);
/** Adds whole years without clamping (terms may run past LATEST_DATE); 29 Feb becomes 28 Feb. */
export const addYears = (date: string, years: number) => `${Number(date.slice(0, 4)) + years}-${date.slice(5) === '02-29' ? '02-28' : date.slice(5)}`;
/** A uniformly random date in [from, to]. */
function dateBetween(rnd: Random, from: string, to: string): string {
  if (from >= to) return from;
  return addDays(from, between(rnd, 0, Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000)));
}
/** Districts register at city level (常德市), counties at their own registration centre. */
const authority = (region: string) => (region === '430702' || region === '430703' ? '常德市' : CHANGDE_REGIONS[region]);
const court = (region: string) => `${authority(region) === '常德市' ? '常德市' : ''}${CHANGDE_REGIONS[region]}人民法院`;

/**
 * Unified real-estate registration (不动产统一登记) began in Changde around 2016: only since then
 * are 不动产权证书 / 不动产登记证明 numbers issued. Older rights carry 房屋所有权证 or 国有土地使用证
 * numbers and older mortgages 他项权证 numbers, and court case numbers (案号) took their current
 * form under the Supreme People's Court's 2016 rules.
 */
export const UNIFIED_REGISTRATION_FROM = '2016-01-01';
/** County names without their suffix, as old certificates and case numbers abbreviate them. */
const SHORT: Record<string, string> = { '430702': '武陵', '430703': '鼎城', '430721': '安乡', '430722': '汉寿', '430723': '澧县', '430724': '临澧', '430725': '桃源', '430726': '石门', '430781': '津市' };
/** The issuing authority's one-character abbreviation on old certificates: 常 for the city's districts. */
const ABBREVIATION = (region: string) => (authority(region) === '常德市' ? '常' : SHORT[region][0]);

interface Unit {
  number: string;
  location: string;
  area: number;
  purpose: PropertyUse;
  landOnly: boolean;
  region: string;
}

/** Issues unique 不动产单元号 with a matching 坐落 (building and room are encoded in the unit number). */
class Units {
  private readonly used = new Set<string>();
  constructor(private readonly rnd: Random) {}

  make(region: string, purpose: PropertyUse, at?: { street: string; no: number }): Unit {
    const { rnd } = this;
    const landOnly = purpose === 'INDUSTRIAL' && rnd() < 0.5;
    for (;;) {
      const parcel = between(rnd, 1, 3000);
      const building = between(rnd, 1, 30);
      const floor = between(rnd, 1, purpose === 'RESIDENTIAL' ? 33 : 20);
      const room = between(rnd, 1, 6);
      const prefix = `${region}${pad(between(rnd, 1, 12), 3)}${pad(between(rnd, 1, 30), 3)}GB${pad(parcel, 5)}`;
      const number = landOnly ? `${prefix}W00000000` : `${prefix}F${pad(building, 4)}${pad(floor * 100 + room, 4)}`;
      if (this.used.has(number)) continue;
      this.used.add(number);
      const places = COUNTY_PLACES[region];
      const street = at?.street ?? places[parcel % places.length];
      const site = `湖南省常德市${CHANGDE_REGIONS[region]}${street}${at?.no ?? (parcel % 300) + 1}号`;
      const [lo, hi] = AREA[purpose];
      return {
        number,
        location: landOnly ? site : purpose === 'RESIDENTIAL' ? `${site}${building}栋${floor}${pad(room, 2)}室` : `${site}${building}栋${floor}层${room}号`,
        area: between(rnd, lo * 100, hi * 100) / 100,
        purpose,
        landOnly,
        region,
      };
    }
  }
}

type Encumbrances = Pick<Draft, 'mortgages' | 'seizures'>;
/** A right before ids and numbers are issued (they follow registration order). */
interface Draft {
  unit: Unit;
  registeredOn: string;
  registrationType: RegistrationType;
  holding: Holding;
  holders: Array<[person: number, share: number | null]>;
  status: RightStatus;
  endedOn: string | null;
  mortgages: Array<Pick<MortgageRow, 'mortgagee' | 'amount' | 'term_start' | 'term_end' | 'cancelled'>>;
  seizures: Array<Pick<SeizureRow, 'start_date' | 'end_date' | 'released'>>;
  /** Demo rights carry fixed encumbrances instead of random ones. */
  fixed?: Encumbrances;
}

export interface RealEstateRows {
  rights: PropertyRightRow[];
  holders: RightHolderRow[];
  mortgages: MortgageRow[];
  seizures: SeizureRow[];
}

/** Builds every row of the real-estate store for `population`; pure and deterministic. */
export function realEstateRows(population: Population): RealEstateRows {
  const rnd = prng(SEED);
  const { persons, couples } = population;
  const units = new Units(rnd);
  const drafts: Draft[] = [];
  const regionOf = (i: number) => persons[i].idNumber.slice(0, 6);
  const husband = persons.findIndex((p) => p.idNumber === DEMO.husband);
  const wife = persons.findIndex((p) => p.idNumber === DEMO.wife);
  // The demo couple's records are fixed below; random sellers, co-buyers and expropriations skip them.
  const adults = persons.map((_, i) => i).filter((i) => persons[i].birthDate <= '2003-12-31' && i !== husband && i !== wife);
  /** The earliest date person `i` buys property: 22 years old, and not before 1995. */
  const buyerFrom = (i: number) => later(addDays(persons[i].birthDate, 22 * 365), '1995-01-01');
  const usePick = (): PropertyUse => {
    const r = rnd();
    return r < 0.85 ? 'RESIDENTIAL' : r < 0.92 ? 'COMMERCIAL' : r < 0.96 ? 'OFFICE' : 'INDUSTRIAL';
  };
  const add = (unit: Unit, registeredOn: string, registrationType: RegistrationType, holding: Holding, holders: Draft['holders'], more: Partial<Draft> = {}) =>
    drafts.push({ unit, registeredOn, registrationType, holding, holders, status: 'CURRENT', endedOn: null, mortgages: [], seizures: [], ...more });

  /** A sole right for `i` registered on `date`; sometimes bought from an earlier owner (whose right becomes TRANSFERRED). */
  const addSole = (i: number, date: string, purpose = usePick()) => {
    const unit = units.make(regionOf(i), purpose);
    const seller = date > '2000-01-01' && rnd() < 0.08 ? pick(rnd, adults) : -1;
    if (seller >= 0 && seller !== i && buyerFrom(seller) < date) {
      add(unit, dateBetween(rnd, buyerFrom(seller), addDays(date, -1)), 'FIRST', 'SOLE', [[seller, 100]], { status: 'TRANSFERRED', endedOn: date });
      add(unit, date, 'TRANSFER', 'SOLE', [[i, 100]]);
    } else {
      add(unit, date, rnd() < 0.7 ? 'TRANSFER' : 'FIRST', 'SOLE', [[i, 100]]);
    }
  };

  if (husband >= 0 && wife >= 0) {
    // The demo family: his flat from 2012 (loan repaid; a seizure since released) and their joint home.
    add(units.make('430702', 'RESIDENTIAL', { street: '建设路', no: 25 }), '2012-04-16', 'TRANSFER', 'SOLE', [[husband, 100]], {
      fixed: {
        mortgages: [{ mortgagee: '中国工商银行常德分行', amount: 360000, term_start: '2012-04-16', term_end: '2032-04-16', cancelled: true }],
        seizures: [{ start_date: '2014-09-03', end_date: '2017-09-02', released: true }],
      },
    });
    add(units.make('430702', 'RESIDENTIAL', { street: '朗州路', no: 88 }), '2017-03-18', 'TRANSFER', 'JOINT', [[husband, null], [wife, null]], {
      fixed: { mortgages: [{ mortgagee: '中国建设银行常德分行', amount: 820000, term_start: '2017-03-18', term_end: '2047-03-18', cancelled: false }], seizures: [] },
    });
  }

  const married = new Set<number>();
  const spouseOf = new Map<number, number>();
  for (const c of couples) {
    married.add(c.husband).add(c.wife);
    spouseOf.set(c.husband, c.wife).set(c.wife, c.husband);
    if (c.husband === husband && c.wife === wife) continue;
    // Every couple owns a home jointly, bought after the wedding (couples married before the 1990s
    // housing reform bought theirs in the reform years).
    // Within six years, drawn inside the history rather than clamped onto its last day.
    const from = later(c.since, '1992-01-01');
    add(units.make(regionOf(c.husband), 'RESIDENTIAL'), dateBetween(rnd, from, addDays(from, 6 * 365)), rnd() < 0.8 ? 'TRANSFER' : 'FIRST', 'JOINT', [[c.husband, null], [c.wife, null]]);
    if (rnd() < 0.15) {
      const owner = rnd() < 0.6 ? c.husband : c.wife; // a home one of them owned before marrying
      if (buyerFrom(owner) < c.since) addSole(owner, dateBetween(rnd, buyerFrom(owner), addDays(c.since, -1)), 'RESIDENTIAL');
    }
  }
  divisions(population, adults, rnd, units, add);
  for (const i of adults) {
    if (!married.has(i) && rnd() < 0.3 && buyerFrom(i) < LATEST_DATE) addSole(i, dateBetween(rnd, buyerFrom(i), LATEST_DATE));
    if (rnd() < 0.01 && buyerFrom(i) < '2020-01-01') {
      // An old house expropriated (征收): the right was cancelled.
      const on = dateBetween(rnd, buyerFrom(i), '2019-12-31');
      add(units.make(regionOf(i), 'RESIDENTIAL'), on, 'FIRST', 'SOLE', [[i, 100]], { status: 'CANCELLED', endedOn: dateBetween(rnd, addDays(on, 365), LATEST_DATE) });
    }
  }
  for (let k = Math.round(adults.length * 0.03); k > 0; k--) {
    // Shops, offices and flats bought together by two unrelated persons, in shares.
    const a = pick(rnd, adults);
    const b = pick(rnd, adults);
    const [sa, sb] = pick(rnd, SPLITS);
    const from = later(later(buyerFrom(a), buyerFrom(b)), '2000-01-01');
    if (a === b || spouseOf.get(a) === b || from >= LATEST_DATE) continue;
    const purpose = pick<PropertyUse>(rnd, ['COMMERCIAL', 'COMMERCIAL', 'OFFICE', 'RESIDENTIAL', 'INDUSTRIAL']);
    add(units.make(regionOf(a), purpose), dateBetween(rnd, from, LATEST_DATE), 'TRANSFER', 'SHARES', [[a, sa], [b, sb]]);
  }

  for (const d of drafts) Object.assign(d, d.fixed ?? encumbrances(rnd, d));
  return number(drafts, persons);
}

/**
 * The property-division trail of divorced couples: a home they bought jointly during the marriage
 * is, after the divorce, transferred to one of them (about 70%) or sold to someone else; the joint
 * right becomes TRANSFERRED on that day. The demo family's divorce is left as README tells it.
 */
function divisions(population: Population, adults: number[], rnd: Random, units: Units, add: (unit: Unit, on: string, type: RegistrationType, holding: Holding, holders: Draft['holders'], more?: Partial<Draft>) => void): void {
  const demo = new Set<string>([DEMO.husband, DEMO.exWife]);
  const weddings = new Map(population.marriages.filter((m) => m.kind === 'MARRIAGE').map((m) => [`${m.husband}/${m.wife}`, m.date]));
  for (const d of population.marriages) {
    if (d.kind !== 'DIVORCE' || demo.has(population.persons[d.husband].idNumber) || rnd() >= 0.8) continue;
    const wedding = weddings.get(`${d.husband}/${d.wife}`)!;
    const bought = dateBetween(rnd, later(wedding, '1992-01-01'), addDays(d.date, -60));
    const dividedOn = addDays(d.date, between(rnd, 10, 240));
    if (bought >= addDays(d.date, -60) || dividedOn >= LATEST_DATE) continue;
    const unit = units.make(population.persons[d.husband].idNumber.slice(0, 6), 'RESIDENTIAL');
    add(unit, bought, rnd() < 0.8 ? 'TRANSFER' : 'FIRST', 'JOINT', [[d.husband, null], [d.wife, null]], { status: 'TRANSFERRED', endedOn: dividedOn });
    const buyer = rnd() < 0.7 ? (rnd() < 0.5 ? d.husband : d.wife) : pick(rnd, adults);
    add(unit, dividedOn, 'TRANSFER', 'SOLE', [[buyer, 100]]);
  }
}

/** Random mortgages (about 40%) and seizures (about 2%, current rights only) for a right. */
function encumbrances(rnd: Random, d: Draft): Encumbrances {
  const out: Encumbrances = { mortgages: [], seizures: [] };
  // Personal mortgage loans start with the 1998 housing reform.
  const earliest = later(d.registeredOn, '1998-01-01');
  if (rnd() < 0.4 && earliest < (d.endedOn ?? LATEST_DATE)) {
    // Usually the purchase loan; sometimes a later business loan secured on the property.
    const start = rnd() < 0.75 ? earliest : dateBetween(rnd, earliest, d.endedOn ?? LATEST_DATE);
    const end = addYears(start, pick(rnd, [5, 10, 15, 20, 25, 30]));
    const [lo, hi] = PRICE[d.unit.purpose];
    const amount = Math.max(10_000, Math.round((d.unit.area * between(rnd, lo, hi) * between(rnd, 40, 70)) / 100 / 1000) * 1000);
    const cancelled = end <= LATEST_DATE || d.status !== 'CURRENT' || rnd() < 0.15;
    out.mortgages.push({ mortgagee: pick(rnd, BANKS), amount, term_start: start, term_end: end, cancelled });
  }
  if (d.status === 'CURRENT' && rnd() < 0.02) {
    const start = dateBetween(rnd, later(d.registeredOn, '2010-01-01'), LATEST_DATE);
    const end = addYears(start, 3); // 查封期限: three years for real estate, renewable
    out.seizures.push({ start_date: start, end_date: end, released: end <= LATEST_DATE || rnd() < 0.3 });
  }
  return out;
}

/** The certificate of a right: a 不动产权证书 since unified registration, an older right's own certificate before. */
function rightCertificate(d: Draft, serial: (key: string, base: number) => number): string {
  const { region } = d.unit;
  const year = d.registeredOn.slice(0, 4);
  if (d.registeredOn >= UNIFIED_REGISTRATION_FROM) return `湘(${year})${authority(region)}不动产权第${pad(serial(`权${authority(region)}${year}`, 10_000), 7)}号`;
  if (d.unit.landOnly) return `${ABBREVIATION(region)}国用(${year})第${pad(serial(`地${ABBREVIATION(region)}${year}`, 100), 5)}号`;
  return `${ABBREVIATION(region)}房权证${SHORT[region]}字第${pad(serial(`房${region}`, 10_000), 8)}号`;
}

/** Issues ids, certificate numbers, 档号 and case numbers in date order, so serials rise with time. */
function number(drafts: Draft[], persons: Person[]): RealEstateRows {
  const serials = new Map<string, number>();
  const serial = (key: string, base: number) => {
    const n = (serials.get(key) ?? base) + 1;
    serials.set(key, n);
    return n;
  };
  const archival = new ArchivalNumbering(REAL_ESTATE_FONDS, 'BD');
  const rows: RealEstateRows = { rights: [], holders: [], mortgages: [], seizures: [] };
  const mortgages: Array<MortgageRow & { region: string }> = [];
  const seizures: Array<SeizureRow & { region: string }> = [];
  drafts.sort((a, b) => (a.registeredOn < b.registeredOn ? -1 : a.registeredOn > b.registeredOn ? 1 : 0)); // stable
  drafts.forEach((d, index) => {
    const id = index + 1;
    const year = d.registeredOn.slice(0, 4);
    const region = d.unit.region;
    rows.rights.push({
      id,
      unit_number: d.unit.number,
      certificate_number: rightCertificate(d, serial),
      location: d.unit.location,
      area: d.unit.area,
      purpose: d.unit.purpose,
      right_type: d.unit.landOnly ? 'STATE_LAND_USE' : 'HOUSE_OWNERSHIP',
      registration_type: d.registrationType,
      registered_on: d.registeredOn,
      status: d.status,
      ended_on: d.endedOn,
      holding: d.holding,
      ...archival.next(year, 'PERMANENT'),
    });
    for (const [i, share] of d.holders) rows.holders.push({ id: rows.holders.length + 1, right_id: id, id_number: persons[i].idNumber, name: persons[i].name, share });
    for (const m of d.mortgages) mortgages.push({ ...m, id: 0, right_id: id, certificate_number: '', region });
    for (const s of d.seizures) seizures.push({ ...s, id: 0, right_id: id, court: court(region), case_number: '', region });
  });
  const byDate = <T>(date: (r: T) => string) => (a: T, b: T) => (date(a) < date(b) ? -1 : date(a) > date(b) ? 1 : 0);
  mortgages.sort(byDate((m) => m.term_start));
  for (const [i, { region, ...m }] of mortgages.entries()) {
    const year = m.term_start.slice(0, 4);
    const certificate =
      m.term_start >= UNIFIED_REGISTRATION_FROM
        ? `湘(${year})${authority(region)}不动产证明第${pad(serial(`证${authority(region)}${year}`, 1000), 7)}号`
        : `${ABBREVIATION(region)}房他证${SHORT[region]}字第${pad(serial(`他${region}`, 1000), 8)}号`;
    rows.mortgages.push({ ...m, id: i + 1, certificate_number: certificate });
  }
  seizures.sort(byDate((s) => s.start_date));
  for (const [i, { region, ...s }] of seizures.entries()) {
    const year = s.start_date.slice(0, 4);
    const n = serial(`执${region}${year}`, 100);
    const caseNumber = s.start_date >= UNIFIED_REGISTRATION_FROM ? `（${year}）湘${region.slice(2)}执${n}号` : `（${year}）${ABBREVIATION(region)}${SHORT[region]}执字第${pad(n, 5)}号`;
    rows.seizures.push({ ...s, id: i + 1, case_number: caseNumber });
  }
  return rows;
}

export async function seed(store: RealEstateStore, population: Population, progress?: SeedProgress): Promise<void> {
  const { rights, holders, mortgages, seizures } = realEstateRows(population);
  await writeTables(store.db, [['property_right', rights], ['right_holder', holders], ['mortgage', mortgages], ['seizure', seizures]], progress);
}

export async function isSeeded(store: RealEstateStore): Promise<boolean> {
  return (await store.db.selectFrom('property_right').select('id').limit(1).execute()).length > 0;
}
