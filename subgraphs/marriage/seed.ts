/** Marriage's share of the synthetic population: one registration per marriage event. */
import { ArchivalNumbering } from '../common/archival';
import { writeTables } from '../common/bulk';
import { CHANGDE_REGIONS, type MarriageKind, type Population } from '../common/population';
import type { SeedProgress } from '../common/server';
import type { DocumentRow, MarriageStore, RegistrationRow } from './store';

/** 全宗号 of the civil affairs marriage registration archive. */
export const MARRIAGE_FONDS = 'J019';

const CERTIFICATE_PREFIX: Record<MarriageKind, string> = { MARRIAGE: 'J', DIVORCE: 'L', REISSUE: 'BJ', ANNULMENT: 'CX' };
const DOCUMENTS: Record<MarriageKind, Array<[string, number]>> = {
  MARRIAGE: [['结婚登记审查处理表', 1], ['申请结婚登记声明书', 2], ['身份证件复印件', 2]],
  DIVORCE: [['离婚登记审查处理表', 1], ['离婚协议书', 3], ['身份证件复印件', 2]],
  REISSUE: [['补领婚姻登记证审查处理表', 1], ['申请补领婚姻登记证声明书', 1]],
  ANNULMENT: [['撤销婚姻决定书', 2], ['撤销婚姻申请书', 1]],
};

export function marriageRows(population: Population): { registrations: RegistrationRow[]; documents: DocumentRow[] } {
  const numbering = new ArchivalNumbering(MARRIAGE_FONDS, 'HY');
  const registrations: RegistrationRow[] = [];
  const documents: DocumentRow[] = [];
  for (const m of population.marriages) {
    const husband = population.persons[m.husband];
    const wife = population.persons[m.wife];
    const year = m.date.slice(0, 4);
    registrations.push({
      id: m.seq,
      kind: m.kind,
      registered_on: m.date,
      office: `常德市${CHANGDE_REGIONS[m.region]}民政局婚姻登记处`,
      certificate_number: `${CERTIFICATE_PREFIX[m.kind]}${m.region}-${year}-${String(m.seq).padStart(6, '0')}`,
      husband_id: husband.idNumber,
      husband_name: husband.name,
      wife_id: wife.idNumber,
      wife_name: wife.name,
      ...numbering.next(year, 'PERMANENT'),
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
