/**
 * Example requesters, one for each requester category (and the auditor): the category their token
 * carries, the scopes their client system is registered for, and the purpose and evidence they
 * typically declare. The README's requesters table, `npm run token -- --role <key>` and the
 * explorer's picker read this list; what each may actually read is decided by policies/.
 */
import type { Category } from './legal-basis/catalogue';

export interface Role {
  /** Short key used by `--role`. */
  key: string;
  label: string;
  labelZh: string;
  /** The token's `category` claim. */
  category: Category;
  /** Example organisation (the JWT `org` claim). */
  org: string;
  scopes: string[];
  /** The purpose code they typically declare (policies/purposes.yaml). */
  purpose: string;
  /** The evidence they typically present, as `X-Evidence` pieces `kind=reference`. */
  evidence: string[];
}

const READ_ALL = ['social-security:read', 'real-estate:read', 'marriage:read', 'medical-insurance:read'];

export const ROLES: Role[] = [
  { key: 'court', label: 'Court (litigation, property division)', labelZh: '人民法院', category: 'court', org: '常德市武陵区人民法院',
    scopes: ['marriage:read', 'real-estate:read', 'social-security:read'], purpose: 'litigation', evidence: ['case-number=（2026）湘0702民初1234号'] },
  { key: 'procuratorate', label: 'Procuratorate', labelZh: '人民检察院', category: 'procuratorate', org: '常德市武陵区人民检察院',
    scopes: ['marriage:read', 'real-estate:read', 'social-security:read'], purpose: 'criminal-investigation', evidence: ['unit-letter=武检协〔2026〕7号', 'work-id=JC-0702-0031'] },
  { key: 'public-security', label: 'Public security bureau', labelZh: '公安机关', category: 'public-security', org: '常德市公安局武陵分局',
    scopes: ['marriage:read', 'real-estate:read', 'social-security:read'], purpose: 'marriage-confirmation', evidence: ['unit-letter=武公协〔2026〕88号', 'work-id=GA-0702-5521'] },
  { key: 'state-security', label: 'State security organ', labelZh: '国家安全机关', category: 'state-security', org: '常德市国家安全局',
    scopes: ['marriage:read', 'real-estate:read', 'social-security:read'], purpose: 'criminal-investigation', evidence: ['unit-letter=常安协〔2026〕3号', 'work-id=GJ-0700-0042'] },
  { key: 'lawyer', label: 'Lawyer (litigation, with the archive\'s approval)', labelZh: '律师', category: 'lawyer', org: '湖南常德明理律师事务所',
    scopes: ['marriage:read', 'real-estate:read', 'social-security:read'], purpose: 'litigation',
    evidence: ['lawyer-licence=14307201810123456', 'acceptance-notice=（2026）湘0702民初1234号'] },
  { key: 'notary', label: 'Notary office (inheritance)', labelZh: '公证机构', category: 'notary', org: '湖南省常德市常德公证处',
    scopes: ['marriage:read', 'real-estate:read', 'social-security:read'], purpose: 'inheritance-notarization', evidence: ['unit-letter=常公函〔2026〕21号'] },
  { key: 'civil-affairs', label: 'Civil affairs bureau (marriage registration)', labelZh: '民政局', category: 'civil-affairs', org: '常德市民政局',
    scopes: ['marriage:read', 'social-security:read', 'real-estate:read'], purpose: 'marriage-registration', evidence: [] },
  { key: 'housing', label: 'Real-estate registration centre (transactions)', labelZh: '不动产登记中心', category: 'real-estate-registration', org: '常德市不动产登记中心',
    scopes: ['real-estate:read', 'marriage:read', 'social-security:read'], purpose: 'property-transaction', evidence: [] },
  { key: 'provident-fund', label: 'Housing provident fund centre (loans)', labelZh: '住房公积金管理中心', category: 'housing-provident-fund', org: '常德市住房公积金管理中心',
    scopes: ['real-estate:read', 'marriage:read', 'social-security:read'], purpose: 'provident-fund-loan', evidence: ['consent=SQ-2026-000123'] },
  { key: 'hr-social-security', label: 'Human resources and social security bureau', labelZh: '人力资源和社会保障局', category: 'hr-social-security', org: '常德市人力资源和社会保障局',
    scopes: ['social-security:read', 'marriage:read'], purpose: 'social-insurance-administration', evidence: [] },
  { key: 'healthcare-security', label: 'Healthcare security bureau (fund supervision)', labelZh: '医疗保障局', category: 'healthcare-security', org: '常德市医疗保障局',
    scopes: ['medical-insurance:read', 'medical:sensitive', 'social-security:read'], purpose: 'medical-insurance-supervision', evidence: [] },
  { key: 'archivist', label: 'Archivist of the municipal archive', labelZh: '档案馆档案员', category: 'archive', org: '常德市档案馆',
    // Archivists also correct catalogue errors in the records they arrange (the :write scopes).
    scopes: [...READ_ALL, 'pii:unmasked', 'social-security:write', 'real-estate:write', 'marriage:write', 'medical-insurance:write'],
    purpose: 'archive-management', evidence: [] },
  { key: 'approver', label: 'Archive supervisor (approves access requests)', labelZh: '档案馆审批人', category: 'archive', org: '常德市档案馆',
    scopes: [...READ_ALL, 'access:approve'], purpose: 'archive-management', evidence: [] },
  { key: 'auditor', label: 'Auditor (reviews who looked at whose records)', labelZh: '审计员', category: 'archive', org: '常德市档案馆审计科',
    scopes: ['audit:read'], purpose: 'archive-management', evidence: [] },
  { key: 'citizen', label: 'Citizen (own records only)', labelZh: '公民本人', category: 'citizen', org: '公民',
    scopes: ['self', ...READ_ALL, 'medical:sensitive'], purpose: 'own-records', evidence: [] },
  { key: 'agent', label: 'Agent of a citizen (notarised power of attorney, with approval)', labelZh: '受托代理人', category: 'agent', org: '受托人',
    scopes: READ_ALL, purpose: 'own-records', evidence: ['power-of-attorney=（2026）湘常德证字第1234号'] },
];

export function findRole(key: string): Role {
  const role = ROLES.find((r) => r.key === key);
  if (!role) throw new Error(`Unknown role "${key}"; one of: ${ROLES.map((r) => r.key).join(', ')}`);
  return role;
}
