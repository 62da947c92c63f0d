/**
 * Typical roles of the people who use the gateway and the scopes each gets. The README's roles
 * table and `npm run token -- --role <role>` (and the explorer's role picker) read this list.
 */
export interface Role {
  /** Short key used by `--role`. */
  key: string;
  label: string;
  labelZh: string;
  /** Example organisation (the JWT `org` claim). */
  org: string;
  scopes: string[];
  /** What the role typically does with the records. */
  purpose: string;
}

export const ROLES: Role[] = [
  {
    key: 'court',
    label: 'Court (property division, enforcement)',
    labelZh: '人民法院',
    org: '常德市武陵区人民法院',
    scopes: ['marriage:read', 'real-estate:read', 'social-security:read'],
    purpose: '离婚案件财产分割',
  },
  {
    key: 'civil-affairs',
    label: 'Civil affairs bureau (marriage registration)',
    labelZh: '民政局',
    org: '常德市民政局',
    scopes: ['marriage:read'],
    purpose: '婚姻登记核查',
  },
  {
    key: 'housing',
    label: 'Housing / real-estate registration centre (housing-loan and purchase checks)',
    labelZh: '住房和城乡建设局 / 不动产登记中心',
    org: '常德市不动产登记中心',
    scopes: ['real-estate:read', 'marriage:read'],
    purpose: '购房资格审核',
  },
  {
    key: 'hr-social-security',
    label: 'Human resources and social security bureau',
    labelZh: '人力资源和社会保障局',
    org: '常德市人力资源和社会保障局',
    scopes: ['social-security:read'],
    purpose: '社保待遇资格认证',
  },
  {
    key: 'healthcare-security',
    label: 'Healthcare security bureau (medical insurance)',
    labelZh: '医疗保障局',
    org: '常德市医疗保障局',
    scopes: ['medical-insurance:read', 'medical:sensitive'],
    purpose: '医保基金监管',
  },
  {
    key: 'archivist',
    label: 'Archivist of the municipal archive',
    labelZh: '档案馆档案员',
    org: '常德市档案馆',
    // Archivists also correct catalogue errors in the records they arrange (the :write scopes).
    scopes: ['social-security:read', 'real-estate:read', 'marriage:read', 'medical-insurance:read', 'pii:unmasked', 'social-security:write', 'real-estate:write', 'marriage:write', 'medical-insurance:write'],
    purpose: '档案整理与开放审核',
  },
  {
    key: 'auditor',
    label: 'Auditor (reviews who looked at whose records)',
    labelZh: '审计员',
    org: '常德市档案馆审计科',
    scopes: ['audit:read'],
    purpose: '查询日志审计',
  },
  {
    key: 'citizen',
    label: 'Citizen (own records only)',
    labelZh: '公民本人',
    org: '公民',
    scopes: ['self', 'social-security:read', 'real-estate:read', 'marriage:read', 'medical-insurance:read', 'medical:sensitive'],
    purpose: '本人查询',
  },
];

export function findRole(key: string): Role {
  const role = ROLES.find((r) => r.key === key);
  if (!role) throw new Error(`Unknown role "${key}"; one of: ${ROLES.map((r) => r.key).join(', ')}`);
  return role;
}
