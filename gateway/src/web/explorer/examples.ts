/**
 * The explorer's example operations: one per typical task of each department, written against
 * the demo family every seed contains (README, "Example"), so each answers out of the box.
 */
import { DEMO, FIRST_SEEDED_IDS } from '../../../../lib/demo';

/** One example operation as the explorer offers it. */
export interface ExampleOperation {
  key: string;
  /** Chinese and English title. */
  title: string;
  /** Which department(s) answer it. */
  department: string;
  /** The role (lib/roles.ts key) that sees most of it. */
  suggestedRole: string;
  query: string;
  /** Variables as pretty-printed JSON text, as GraphiQL's variables editor shows them. */
  variables: string;
}

const vars = (value: Record<string, unknown>) => JSON.stringify(value, null, 2);

const DOSSIER = `# 档案汇总: marital history, spouse, properties of both, social and medical insurance.
# As a court the medical-insurance part comes back null (UNAUTHORIZED_FIELD_OR_TYPE);
# as the healthcare-security bureau only that part is shown.
query Dossier($id: ID!) {
  person(idNumber: $id) {
    idNumber
    name
    maritalStatus
    marriages {
      kind
      date
      certificateNumber
      archivalCode
      spouse {
        idNumber
        name
        realEstate { certificateNumber location holding }
      }
    }
    realEstate { unitNumber certificateNumber location holding coOwners { idNumber } mortgages { mortgagee amount } }
    socialInsurance { enrolments { type status firstEnrolledOn } }
    medicalInsurance { insuredRegionName personType enrolments { insuranceType insuranceTypeName status } }
  }
}
`;

const PERSON_LIST = `# 批量核查: 50 persons in one request (each department answers with a constant number of SQL statements).
query PersonList($ids: [ID!]!) {
  persons(idNumbers: $ids) {
    idNumber
    name
    maritalStatus
    socialInsurance { enrolments { type status } }
  }
}
`;

const CONTRIBUTIONS = `# 社保缴费记录: one page of monthly contributions, newest first (periods are YYYYMM).
query Contributions($id: ID!, $from: String, $to: String, $first: Int, $offset: Int) {
  person(idNumber: $id) {
    name
    socialInsurance {
      insuredNumber
      agency
      employer { name creditCode }
      contributions(from: $from, to: $to, first: $first, offset: $offset) {
        totalCount
        hasNextPage
        items { period base employerAmount personalAmount paid }
      }
    }
  }
}
`;

const SETTLEMENTS = `# 医保结算: settlements with amounts and diagnoses (PIPL sensitive data: needs medical:sensitive).
query Settlements($id: ID!, $first: Int) {
  person(idNumber: $id) {
    medicalInsurance {
      insuredRegionName
      personType
      settlements(first: $first) {
        totalCount
        items { settledAt hospitalName medicalType totalCost fundPaid cashPaid diagnosis { code name } archivalCode }
      }
    }
  }
}
`;

const MARRIAGES = `# 婚姻登记档案: every registration event with its archival metadata (needs X-Case-Number).
query Marriages($id: ID!) {
  person(idNumber: $id) {
    maritalStatus
    marriages {
      kind
      date
      office
      certificateNumber
      spouseName
      spouse { idNumber }
      documents { title pages }
      archivalCode
      fonds
      retention
      openStatus
    }
  }
}
`;

const PROPERTIES = `# 不动产登记: current and past property rights, co-owners, mortgages and seizures.
query Properties($id: ID!) {
  person(idNumber: $id) {
    realEstate(includeHistory: true) {
      certificateNumber
      location
      area
      use
      status
      holding
      holders { name share person { idNumber } }
      mortgages { mortgagee amount termEnd cancelled }
      seizures { court caseNumber released }
      archivalCode
    }
  }
}
`;

/** The example operations, in the order the explorer lists them. */
export function exampleOperations(): ExampleOperation[] {
  const id = DEMO.husband;
  return [
    { key: 'dossier', title: '档案汇总 Dossier', department: 'all four', suggestedRole: 'court', query: DOSSIER, variables: vars({ id }) },
    { key: 'persons', title: '批量核查 50-person list', department: 'social security, marriage', suggestedRole: 'hr-social-security', query: PERSON_LIST, variables: vars({ ids: FIRST_SEEDED_IDS }) },
    { key: 'contributions', title: '社保缴费 Contribution page', department: 'social security', suggestedRole: 'hr-social-security', query: CONTRIBUTIONS, variables: vars({ id, from: '202301', to: '202412', first: 12, offset: 0 }) },
    { key: 'settlements', title: '医保结算 Settlements', department: 'medical insurance', suggestedRole: 'healthcare-security', query: SETTLEMENTS, variables: vars({ id, first: 10 }) },
    { key: 'marriages', title: '婚姻登记 Marriages', department: 'marriage', suggestedRole: 'civil-affairs', query: MARRIAGES, variables: vars({ id }) },
    { key: 'properties', title: '不动产 Properties', department: 'real estate', suggestedRole: 'housing', query: PROPERTIES, variables: vars({ id }) },
  ];
}
