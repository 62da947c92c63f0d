/**
 * The four kinds of certified extract: for each, the records query it runs through the gateway (as
 * the caller, so every access rule, mask and audit applies) and how the answer becomes the
 * extract's records. Labels are the registers' own Chinese terms.
 */

export const EXTRACT_KINDS = ['MARRIAGE_RECORD', 'REAL_ESTATE', 'SOCIAL_INSURANCE', 'MEDICAL_INSURANCE'] as const;
export type ExtractKind = (typeof EXTRACT_KINDS)[number];

/** One record as the extract prints it: a heading and label/value pairs. */
export interface ExtractItem {
  heading: string;
  fields: Array<[label: string, value: string]>;
}

/** What a kind makes of the records query's answer. */
export interface ExtractRecords {
  /** The sentence the certificate states (经查询 …). */
  statement: string;
  items: ExtractItem[];
  /** True for a "no record" certificate. */
  noRecord: boolean;
}

type Json = Record<string, any>;

interface KindDefinition {
  /** The certificate's title. */
  title: string;
  /** The department whose records it certifies (named in the statement). */
  department: string;
  /** The records query; `$id` is the person's ID number. It also asks for `name` (the subject). */
  query: string;
  /** The person's records → the extract's. `asOf` is the issue date (YYYY-MM-DD). */
  records(person: Json, asOf: string): ExtractRecords;
}

const label = (labels: Record<string, string>, value: unknown) => (typeof value === 'string' ? (labels[value] ?? value) : '—');
const text = (value: unknown) => (value === null || value === undefined || value === '' ? '—' : String(value));
const withId = (name: unknown, id: unknown) => (id ? `${text(name)}（${text(id)}）` : text(name));

const MARRIAGE_KINDS: Record<string, string> = { MARRIAGE: '结婚登记', DIVORCE: '离婚登记', REISSUE: '补领证件', ANNULMENT: '撤销婚姻' };
const RIGHT_TYPES: Record<string, string> = { STATE_LAND_USE: '国有建设用地使用权', HOUSE_OWNERSHIP: '房屋所有权' };
const USES: Record<string, string> = { RESIDENTIAL: '住宅', COMMERCIAL: '商业', INDUSTRIAL: '工业', OFFICE: '办公' };
const HOLDINGS: Record<string, string> = { SOLE: '单独所有', JOINT: '共同共有', SHARES: '按份共有' };
const REGISTRATIONS: Record<string, string> = { FIRST: '首次登记', TRANSFER: '转移登记', CHANGE: '变更登记', MORTGAGE: '抵押登记', SEIZURE: '查封登记', CANCELLATION: '注销登记' };
const INSURANCE_TYPES: Record<string, string> = { PENSION: '养老保险', MEDICAL: '医疗保险', UNEMPLOYMENT: '失业保险', WORK_INJURY: '工伤保险', MATERNITY: '生育保险' };
const INSURANCE_STATUS: Record<string, string> = { PAYING: '参保缴费', SUSPENDED: '暂停缴费', RETIRED: '离退休', TERMINATED: '终止' };
const MEDICAL_STATUS: Record<string, string> = { ACTIVE: '正常参保', SUSPENDED: '暂停参保', TERMINATED: '终止参保' };
const MEDICAL_PERSON_TYPES: Record<string, string> = { EMPLOYED: '在职职工', RETIRED: '退休人员', RETIRED_CADRE: '离休人员', RESIDENT: '城乡居民', STUDENT: '城乡居民（在校学生）' };

/** Most contribution months the social-insurance certificate reads (newest first); the total is stated beside them. */
export const CONTRIBUTION_MONTHS = 100;

/** `YYYYMM` periods → `2019-01 至 2023-12` runs of consecutive months. */
export function periodRuns(periods: string[]): string[] {
  const months = [...new Set(periods)].map((p) => Number(p.slice(0, 4)) * 12 + Number(p.slice(4, 6)) - 1).sort((a, b) => a - b);
  const runs: string[] = [];
  const fmt = (m: number) => `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
  for (let i = 0; i < months.length; ) {
    let j = i;
    while (j + 1 < months.length && months[j + 1] === months[j] + 1) j++;
    runs.push(i === j ? fmt(months[i]) : `${fmt(months[i])} 至 ${fmt(months[j])}`);
    i = j + 1;
  }
  return runs;
}

export const KINDS: Record<ExtractKind, KindDefinition> = {
  MARRIAGE_RECORD: {
    title: '婚姻登记记录证明',
    department: '婚姻登记',
    query: `query ExtractMarriageRecord($id: ID!) {
  person(idNumber: $id) { idNumber name marriages { kind date office certificateNumber archivalCode spouseName spouse { idNumber } } }
}`,
    records(person) {
      const marriages: Json[] = person.marriages ?? [];
      if (marriages.length === 0) return { statement: '经查询本馆馆藏婚姻登记档案，未发现其婚姻登记记录（无婚姻登记记录）。', items: [], noRecord: true };
      return {
        statement: `经查询本馆馆藏婚姻登记档案，其婚姻登记记录共 ${marriages.length} 条，如下：`,
        noRecord: false,
        items: marriages.map((m) => ({
          heading: `${label(MARRIAGE_KINDS, m.kind)}　${text(m.date)}`,
          fields: [
            ['对方', withId(m.spouseName, m.spouse?.idNumber)],
            ['登记机关', text(m.office)],
            ['证件字号', text(m.certificateNumber)],
            ['档号', text(m.archivalCode)],
          ],
        })),
      };
    },
  },
  REAL_ESTATE: {
    title: '不动产登记信息查询结果',
    department: '不动产登记',
    query: `query ExtractRealEstate($id: ID!) {
  person(idNumber: $id) {
    idNumber name
    realEstate {
      unitNumber certificateNumber location area use rightType registrationType registeredOn holding
      holders { name share person { idNumber } }
      mortgages { mortgagee amount termStart termEnd certificateNumber cancelled }
      seizures { court caseNumber startDate endDate released }
    }
  }
}`,
    records(person, asOf) {
      const rights: Json[] = person.realEstate ?? [];
      if (rights.length === 0) return { statement: `截至 ${asOf}，经查询不动产登记资料，未发现其名下现势不动产权利。`, items: [], noRecord: true };
      return {
        statement: `截至 ${asOf}，经查询不动产登记资料，其名下现势不动产权利共 ${rights.length} 项，如下：`,
        noRecord: false,
        items: rights.map((r) => {
          const mortgages = (r.mortgages ?? []).filter((m: Json) => !m.cancelled);
          const seizures = (r.seizures ?? []).filter((s: Json) => !s.released);
          return {
            heading: `${text(r.location)}`,
            fields: [
              ['不动产权证号', text(r.certificateNumber)],
              ['不动产单元号', text(r.unitNumber)],
              ['权利类型', label(RIGHT_TYPES, r.rightType)],
              ['用途 / 面积', `${label(USES, r.use)} / ${text(r.area)} ㎡`],
              ['登记', `${label(REGISTRATIONS, r.registrationType)} ${text(r.registeredOn)}`],
              ['共有情况', label(HOLDINGS, r.holding)],
              ['权利人', (r.holders ?? []).map((h: Json) => withId(h.name, h.person?.idNumber) + (h.share != null ? ` ${Math.round(h.share * 100)}%` : '')).join('；') || '—'],
              ['抵押', mortgages.map((m: Json) => `${text(m.mortgagee)} ${text(m.amount)} 元 ${text(m.termStart)} 至 ${text(m.termEnd)}（${text(m.certificateNumber)}）`).join('；') || '无'],
              ['查封', seizures.map((s: Json) => `${text(s.court)} ${text(s.caseNumber)} ${text(s.startDate)} 至 ${text(s.endDate)}`).join('；') || '无'],
            ],
          };
        }),
      };
    },
  },
  SOCIAL_INSURANCE: {
    title: '社会保险参保缴费证明',
    department: '社会保险',
    query: `query ExtractSocialInsurance($id: ID!) {
  person(idNumber: $id) {
    idNumber name
    socialInsurance {
      insuredNumber agency
      enrolments { type status firstEnrolledOn }
      employer { name }
      contributions(first: ${CONTRIBUTION_MONTHS}) { totalCount items { period paid } }
    }
  }
}`,
    records(person) {
      const si: Json | null = person.socialInsurance;
      if (!si) return { statement: '经查询社会保险参保档案，未发现其参保记录。', items: [], noRecord: true };
      const items: Json[] = si.contributions?.items ?? [];
      const paid = items.filter((c) => c.paid).map((c) => c.period as string);
      const unpaid = items.filter((c) => !c.paid).map((c) => c.period as string);
      return {
        statement: `经查询社会保险参保档案，其参保险种 ${si.enrolments.length} 项，缴费记录共 ${text(si.contributions?.totalCount)} 个月，如下：`,
        noRecord: false,
        items: [
          {
            heading: '参保信息',
            fields: [
              ['个人社保编号', text(si.insuredNumber)],
              ['经办机构', text(si.agency)],
              ['参保单位', text(si.employer?.name ?? '—')],
            ],
          },
          {
            heading: '参保险种',
            fields: si.enrolments.map((e: Json) => [label(INSURANCE_TYPES, e.type), `${label(INSURANCE_STATUS, e.status)}，首次参保 ${text(e.firstEnrolledOn)}`] as [string, string]),
          },
          {
            heading: `缴费月数（最近 ${items.length} 个月的记录）`,
            fields: [
              ['已缴费', `${paid.length} 个月：${periodRuns(paid).join('，') || '—'}`],
              ['未缴费', unpaid.length ? `${unpaid.length} 个月：${periodRuns(unpaid).join('，')}` : '无'],
            ],
          },
        ],
      };
    },
  },
  MEDICAL_INSURANCE: {
    title: '医疗保险参保证明',
    department: '医疗保障',
    query: `query ExtractMedicalInsurance($id: ID!) {
  person(idNumber: $id) {
    idNumber name
    medicalInsurance { insuredRegionName personType enrolments { insuranceType insuranceTypeName startDate endDate status } }
  }
}`,
    records(person) {
      const mi: Json | null = person.medicalInsurance;
      if (!mi || mi.enrolments.length === 0) return { statement: '经查询医疗保障参保信息，未发现其参保记录。', items: [], noRecord: true };
      return {
        statement: `经查询医疗保障参保信息，其参保险种共 ${mi.enrolments.length} 项，如下：`,
        noRecord: false,
        items: [
          { heading: '参保信息', fields: [['参保地', text(mi.insuredRegionName)], ['人员类别', label(MEDICAL_PERSON_TYPES, mi.personType)]] },
          ...mi.enrolments.map((e: Json) => ({
            heading: `${text(e.insuranceTypeName)}（${text(e.insuranceType)}）`,
            fields: [
              ['参保状态', label(MEDICAL_STATUS, e.status)],
              ['参保期间', `${text(e.startDate)} 至 ${e.endDate ? text(e.endDate) : '今'}`],
            ] as Array<[string, string]>,
          })),
        ],
      };
    },
  },
};
