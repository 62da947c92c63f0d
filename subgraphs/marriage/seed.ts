/** Marriage's share of the synthetic population: one registration per marriage event. */
import { ArchivalNumbering } from '../common/archival';
import { writeTables } from '../common/bulk';
import { CHANGDE_REGIONS, type MarriageKind, type Population } from '../common/population';
import type { SeedProgress } from '../common/server';
import type { DocumentRow, MarriageStore, RegistrationRow } from './store';

/**
 * 全宗号 of each county's civil-affairs marriage files: a county office's files go to its county
 * archive, so every county is its own fonds (婚姻登记档案管理办法 Art. 14).
 */
export const MARRIAGE_FONDS: Record<string, string> = {
  '430702': 'J019',
  '430703': 'J041',
  '430721': 'J042',
  '430722': 'J043',
  '430723': 'J044',
  '430724': 'J045',
  '430725': 'J046',
  '430726': 'J047',
  '430781': 'J048',
};
/** Marriage files are kept 100 years, extendable (Art. 13). */
export const MARRIAGE_RETENTION = 'Y100';
/** Filing class (结婚 / 离婚 / 补发 / 撤销): files are numbered per year within each class (Arts 9-10). */
const FILING_CLASS: Record<MarriageKind, string> = { MARRIAGE: 'JH', DIVORCE: 'LH', REISSUE: 'BF', ANNULMENT: 'CX' };
/** 结婚证 J, 离婚证 L, reissued 结婚证 BJ; an annulment records the number of the certificate it voids. */
const CERTIFICATE_PREFIX: Record<Exclude<MarriageKind, 'ANNULMENT'>, string> = { MARRIAGE: 'J', DIVORCE: 'L', REISSUE: 'BJ' };
const DOCUMENTS: Record<MarriageKind, Array<[string, number]>> = {
  MARRIAGE: [['结婚登记审查处理表', 1], ['申请结婚登记声明书', 2], ['身份证件复印件', 2]],
  DIVORCE: [['离婚登记审查处理表', 1], ['离婚协议书', 3], ['身份证件复印件', 2]],
  REISSUE: [['补领婚姻登记证审查处理表', 1], ['申请补领婚姻登记证声明书', 1]],
  ANNULMENT: [['撤销婚姻决定书', 2], ['撤销婚姻申请书', 1]],
};

/** 婚姻登记处 of a county: districts' offices are the city's, counties and Jinshi have their own. */
export function officeOf(region: string): string {
  const county = CHANGDE_REGIONS[region];
  return `${county.endsWith('区') ? '常德市' : ''}${county}民政局婚姻登记处`;
}

export function marriageRows(population: Population): { registrations: RegistrationRow[]; documents: DocumentRow[] } {
  const numbering = new Map<string, ArchivalNumbering>();
  const filed = (region: string, kind: MarriageKind) => {
    const key = `${region}/${kind}`;
    if (!numbering.has(key)) numbering.set(key, new ArchivalNumbering(MARRIAGE_FONDS[region], `HY·${FILING_CLASS[kind]}`));
    return numbering.get(key)!;
  };
  // Certificate serials restart each year for each office and certificate kind.
  const serials = new Map<string, number>();
  const certificateOfCouple = new Map<string, string>();
  const registrations: RegistrationRow[] = [];
  const documents: DocumentRow[] = [];
  for (const m of population.marriages) {
    const husband = population.persons[m.husband];
    const wife = population.persons[m.wife];
    const year = m.date.slice(0, 4);
    const couple = `${m.husband}/${m.wife}`;
    let certificate: string;
    if (m.kind === 'ANNULMENT') certificate = certificateOfCouple.get(couple)!;
    else {
      const prefix = `${CERTIFICATE_PREFIX[m.kind]}${m.region}-${year}`;
      const serial = (serials.get(prefix) ?? 0) + 1;
      serials.set(prefix, serial);
      certificate = `${prefix}-${String(serial).padStart(6, '0')}`;
      if (m.kind === 'MARRIAGE') certificateOfCouple.set(couple, certificate);
    }
    registrations.push({
      id: m.seq,
      kind: m.kind,
      registered_on: m.date,
      office: officeOf(m.region),
      certificate_number: certificate,
      husband_id: husband.idNumber,
      husband_name: husband.name,
      wife_id: wife.idNumber,
      wife_name: wife.name,
      ...filed(m.region, m.kind).next(year, MARRIAGE_RETENTION),
    });
    for (const [title, pages] of DOCUMENTS[m.kind]) {
      documents.push({ id: documents.length + 1, registration_id: m.seq, title, pages });
    }
  }
  return { registrations, documents };
}

export async function seed(store: MarriageStore, population: Population, progress?: SeedProgress): Promise<void> {
  const { registrations, documents } = marriageRows(population);
  await writeTables(store.db, [['marriage_registration', registrations], ['marriage_document', documents]], progress);
}

export async function isSeeded(store: MarriageStore): Promise<boolean> {
  return (await store.db.selectFrom('marriage_registration').select('id').limit(1).execute()).length > 0;
}
