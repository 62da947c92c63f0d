/**
 * The deterministic synthetic population every department's seed is derived from: persons with
 * valid GB 11643 ID numbers in Changde (4307xx) and the marriage events between them. The same
 * `(count, seed)` always yields the same population, so the four stores agree with each other.
 */
import { makeIdNumber } from '../../lib/id-number';

export interface Person {
  idNumber: string;
  name: string;
  sex: 'MALE' | 'FEMALE';
  birthDate: string;
  phone: string;
  address: string;
}

export type MarriageKind = 'MARRIAGE' | 'DIVORCE' | 'REISSUE' | 'ANNULMENT';

/** One marriage registration event between a husband and a wife (indices into `persons`). */
export interface MarriageEvent {
  /** Sequential number, stable for a given population; used to build certificate and archival codes. */
  seq: number;
  kind: MarriageKind;
  date: string;
  husband: number;
  wife: number;
  /** Registration office county code (4307xx). */
  region: string;
}

export interface Population {
  persons: Person[];
  /** Every registration event, in date order. */
  marriages: MarriageEvent[];
  /** Couples married at the end of the history, as [husband, wife] with their marriage date. */
  couples: Array<{ husband: number; wife: number; since: string }>;
}

/** The demo family every seed contains (README, "Example"; docs/architecture.md). */
export const DEMO = {
  husband: '430702198503151239',
  wife: '430702198706222420',
  exWife: '430703198608143020',
} as const;

export const CHANGDE_REGIONS: Record<string, string> = {
  '430702': '武陵区',
  '430703': '鼎城区',
  '430721': '安乡县',
  '430722': '汉寿县',
  '430723': '澧县',
  '430724': '临澧县',
  '430725': '桃源县',
  '430726': '石门县',
  '430781': '津市市',
};
const REGION_CODES = Object.keys(CHANGDE_REGIONS);

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const MALE_GIVEN = '伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国峰文博志成';
const FEMALE_GIVEN = '芳娜敏静丽艳娟霞秀燕玲桂丹萍红玉兰英梅莉婷雪琳慧颖倩洁晶瑶璐琴蓉佳欣怡';
const STREETS = ['朗州路', '武陵大道', '人民路', '建设路', '洞庭大道', '紫菱路', '常德大道', '柳叶大道', '皂果路', '桃花源路'];

/** mulberry32: a small, fast, seedable PRNG, so data is identical across runs and machines. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = ReturnType<typeof prng>;
export const pick = <T>(rnd: Random, items: ArrayLike<T>): T => items[Math.floor(rnd() * items.length)];
export const between = (rnd: Random, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

/** Adds whole years and days to a YYYY-MM-DD date, clamped to `LATEST_DATE`. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  const out = d.toISOString().slice(0, 10);
  return out > LATEST_DATE ? LATEST_DATE : out;
}
/** Records are dated no later than this, so seeds do not depend on today's date. */
export const LATEST_DATE = '2025-12-31';

function makeName(rnd: Random, sex: 'MALE' | 'FEMALE'): string {
  const given = sex === 'MALE' ? MALE_GIVEN : FEMALE_GIVEN;
  const n = rnd() < 0.6 ? 2 : 1;
  let name = pick(rnd, SURNAMES);
  for (let i = 0; i < n; i++) name += pick(rnd, given);
  return name;
}

function makePerson(rnd: Random, used: Set<string>): Person {
  for (;;) {
    const sex = rnd() < 0.5 ? 'MALE' : 'FEMALE';
    const region = pick(rnd, REGION_CODES);
    const birthDate = addDays('1940-01-01', between(rnd, 0, 65 * 365));
    let seq = between(rnd, 0, 499) * 2 + (sex === 'MALE' ? 1 : 0);
    const idNumber = makeIdNumber(region, birthDate, seq);
    if (used.has(idNumber)) continue;
    used.add(idNumber);
    seq = between(rnd, 1, 200);
    return {
      idNumber,
      name: makeName(rnd, sex),
      sex,
      birthDate,
      phone: `1${pick(rnd, '3456789')}${String(between(rnd, 0, 999999999)).padStart(9, '0')}`,
      address: `湖南省常德市${CHANGDE_REGIONS[region]}${pick(rnd, STREETS)}${seq}号`,
    };
  }
}

const demoPerson = (idNumber: string, name: string, sex: 'MALE' | 'FEMALE', phone: string, address: string): Person => ({
  idNumber,
  name,
  sex,
  birthDate: `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`,
  phone,
  address,
});

/**
 * Generates `count` persons (at least 3: the demo family comes first) and their marriage history.
 * About 60% of adults marry; some divorce, some of those remarry; a few certificates are reissued
 * and a few marriages annulled.
 */
export function generatePopulation(count: number, seed = 20240101): Population {
  const rnd = prng(seed);
  const persons: Person[] = [
    demoPerson(DEMO.husband, '张建国', 'MALE', '13807361234', '湖南省常德市武陵区朗州路88号'),
    demoPerson(DEMO.wife, '李秀英', 'FEMALE', '13907365678', '湖南省常德市武陵区朗州路88号'),
    demoPerson(DEMO.exWife, '王芳', 'FEMALE', '13707369012', '湖南省常德市鼎城区建设路12号'),
  ];
  const used = new Set(persons.map((p) => p.idNumber));
  while (persons.length < count) persons.push(makePerson(rnd, used));

  const marriages: Omit<MarriageEvent, 'seq'>[] = [
    { kind: 'MARRIAGE', date: '2009-10-01', husband: 0, wife: 2, region: '430702' },
    { kind: 'DIVORCE', date: '2013-05-20', husband: 0, wife: 2, region: '430702' },
    { kind: 'MARRIAGE', date: '2016-01-08', husband: 0, wife: 1, region: '430702' },
  ];
  const couples: Population['couples'] = [{ husband: 0, wife: 1, since: '2016-01-08' }];

  const adult = (i: number) => persons[i].birthDate <= '2003-12-31';
  const men: number[] = [];
  const women: number[] = [];
  for (let i = 3; i < persons.length; i++) {
    if (!adult(i) || rnd() > 0.6) continue;
    (persons[i].sex === 'MALE' ? men : women).push(i);
  }
  const remarriageCandidates: number[] = [];
  const singleWomen: number[] = [];
  const pairs = Math.min(men.length, women.length);
  for (let k = 0; k < pairs; k++) {
    const husband = men[k];
    const wife = women[k];
    const older = persons[husband].birthDate < persons[wife].birthDate ? persons[wife] : persons[husband];
    const date = addDays(older.birthDate, between(rnd, 22 * 365, 32 * 365));
    const region = persons[husband].idNumber.slice(0, 6);
    marriages.push({ kind: 'MARRIAGE', date, husband, wife, region });
    const r = rnd();
    if (r < 0.15 && date < '2023-01-01') {
      marriages.push({ kind: 'DIVORCE', date: addDays(date, between(rnd, 365, 3650)), husband, wife, region });
      remarriageCandidates.push(husband);
    } else if (r < 0.155) {
      marriages.push({ kind: 'ANNULMENT', date: addDays(date, between(rnd, 30, 300)), husband, wife, region });
    } else {
      if (r > 0.95) marriages.push({ kind: 'REISSUE', date: addDays(date, between(rnd, 365, 5000)), husband, wife, region });
      couples.push({ husband, wife, since: date });
    }
  }
  for (let k = pairs; k < women.length; k++) singleWomen.push(women[k]);
  // Half of the divorced men remarry a woman who has not married before.
  for (let k = 0; k < remarriageCandidates.length && singleWomen.length > 0; k += 2) {
    const husband = remarriageCandidates[k];
    const wife = singleWomen.pop()!;
    const lastDivorce = marriages.filter((m) => m.husband === husband && m.kind === 'DIVORCE').at(-1)!;
    const date = addDays(lastDivorce.date, between(rnd, 200, 2000));
    if (date >= LATEST_DATE || date < addDays(persons[wife].birthDate, 20 * 365)) continue;
    marriages.push({ kind: 'MARRIAGE', date, husband, wife, region: persons[husband].idNumber.slice(0, 6) });
    couples.push({ husband, wife, since: date });
  }
  const ordered = marriages
    .map((m, i) => ({ m, i }))
    .sort((a, b) => (a.m.date < b.m.date ? -1 : a.m.date > b.m.date ? 1 : a.i - b.i))
    .map(({ m }, seq) => ({ ...m, seq: seq + 1 }));
  return { persons, marriages: ordered, couples };
}
