/**
 * The deterministic synthetic population every department's seed is derived from: persons with
 * valid GB 11643 ID numbers in Changde (4307xx) and the marriage events between them. The same
 * `(count, seed)` always yields the same population, so the four stores agree with each other.
 */
import { DEMO } from '../../lib/demo';
import { makeIdNumber } from '../../lib/id-number';
import { marriageHistory } from './marriages';
import type { MarriageEvent, Person } from './persons';
import { addDays, between, pick, prng, type Random } from './random';

export type { MarriageEvent, MarriageKind, Person } from './persons';

export interface Population {
  persons: Person[];
  /** Every registration event, in date order. */
  marriages: MarriageEvent[];
  /** Couples married at the end of the history, as [husband, wife] with their marriage date. */
  couples: Array<{ husband: number; wife: number; since: string }>;
}

export { DEMO };

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
/**
 * Streets (districts) and towns/sub-districts (counties) of each county, so an address names a
 * place that lies in the county its code says.
 */
export const COUNTY_PLACES: Record<string, readonly string[]> = {
  '430702': ['朗州路', '武陵大道', '人民路', '建设路', '洞庭大道', '紫菱路', '柳叶大道', '皂果路', '穿紫河路', '沅安路'],
  '430703': ['玉霞街道', '郭家铺街道', '武陵镇', '灌溪镇', '斗姆湖街道', '石公桥镇', '蒿子港镇', '周家店镇', '草坪镇', '双桥坪镇'],
  '430721': ['深柳镇', '黄山头镇', '官垱镇', '大鲸港镇', '安丰乡', '安福乡', '三岔河镇', '陈家嘴镇'],
  '430722': ['龙阳街道', '辰阳街道', '沧港镇', '坡头镇', '岩汪湖镇', '罐头嘴镇', '太子庙镇', '丰家铺镇'],
  '430723': ['澧阳街道', '澧西街道', '小渡口镇', '梦溪镇', '王家厂镇', '复兴厂镇', '城头山镇', '涔南镇'],
  '430724': ['安福街道', '望城街道', '合口镇', '新安镇', '佘市桥镇', '四新岗镇', '停弦渡镇', '修梅镇'],
  '430725': ['漳江街道', '陬市镇', '桃花源镇', '三阳港镇', '茶庵铺镇', '热市镇', '郑家驿镇', '漆家河镇'],
  '430726': ['楚江街道', '永兴街道', '宝峰街道', '易家渡镇', '新关镇', '皂市镇', '蒙泉镇', '夹山镇'],
  '430781': ['襄阳街街道', '汪家桥街道', '金鱼岭街道', '新洲镇', '白衣镇', '药山镇', '灵泉镇', '毛里湖镇'],
};
/** Allocated mobile prefixes (13x, 15x, 166, 17x, 18x, 19x); 140 and 160 are not issued to subscribers. */
export const MOBILE_PREFIXES = [
  ...'0123456789'.split('').map((d) => `13${d}`),
  ...'01235789'.split('').map((d) => `15${d}`),
  '166',
  ...'3678'.split('').map((d) => `17${d}`),
  ...'0123456789'.split('').map((d) => `18${d}`),
  ...'135789'.split('').map((d) => `19${d}`),
];

export { addDays, between, LATEST_DATE, pick, prng, type Random } from './random';

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
    // Born 1940-2025: the register holds minors too (about a fifth of the persons).
    const birthDate = addDays('1940-01-01', between(rnd, 0, 86 * 365));
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
      phone: `${pick(rnd, MOBILE_PREFIXES)}${String(between(rnd, 0, 99999999)).padStart(8, '0')}`,
      address: `湖南省常德市${CHANGDE_REGIONS[region]}${pick(rnd, COUNTY_PLACES[region])}${seq}号`,
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
 * Generates `count` persons (at least 3: the demo family comes first) and their marriage history
 * (see `marriageHistory`).
 */
export function generatePopulation(count: number, seed = 20240101): Population {
  const rnd = prng(seed);
  const persons: Person[] = [
    demoPerson(DEMO.husband, '张建国', 'MALE', '13807361234', '湖南省常德市武陵区朗州路88号'),
    demoPerson(DEMO.wife, '李秀英', 'FEMALE', '13907365678', '湖南省常德市武陵区朗州路88号'),
    demoPerson(DEMO.exWife, '王芳', 'FEMALE', '13707369012', '湖南省常德市鼎城区玉霞街道12号'),
  ];
  const used = new Set(persons.map((p) => p.idNumber));
  while (persons.length < count) persons.push(makePerson(rnd, used));

  const demo: Omit<MarriageEvent, 'seq'>[] = [
    { kind: 'MARRIAGE', date: '2009-10-01', husband: 0, wife: 2, region: '430702' },
    { kind: 'DIVORCE', date: '2013-05-20', husband: 0, wife: 2, region: '430702' },
    { kind: 'MARRIAGE', date: '2016-01-08', husband: 0, wife: 1, region: '430702' },
  ];
  const history = marriageHistory(persons, rnd, 3);
  const ordered = [...demo, ...history.marriages]
    .map((m, i) => ({ m, i }))
    .sort((a, b) => (a.m.date < b.m.date ? -1 : a.m.date > b.m.date ? 1 : a.i - b.i))
    .map(({ m }, seq) => ({ ...m, seq: seq + 1 }));
  return { persons, marriages: ordered, couples: [{ husband: 0, wife: 1, since: '2016-01-08' }, ...history.couples] };
}
