import type { ResolverMap } from '../common/resolver-map';
import type { GraphQLResolveInfo } from 'graphql';
import { archivalResolvers } from '../common/archival';
import { CHANGDE_REGIONS } from '../common/population';
import type { SubgraphContext } from '../common/server';
import { childFieldArgs, settlementWindow, type SettlementArgs } from './inputs';
import type { MedicalInsuranceLoaders, PageKey } from './loaders';
import { badInput } from '../../lib/errors';
import { requireIdNumber } from '../common/inputs';
import { correctionResolver } from '../common/corrections';
import { correction } from './correction';
import { INSURANCE_TYPES, SEARCHABLE, type EnroleeRecord, type EnroleeRow, type EnrolmentRow, type MedicalInsuranceDB, type SettlementRow } from './store';
import { contributedHits } from '../common/search';

type Context = SubgraphContext<MedicalInsuranceDB, MedicalInsuranceLoaders>;

export const resolvers: ResolverMap<Context> = {
  RecordSearchConnection: {
    medicalInsuranceHits: contributedHits('medical-insurance', SEARCHABLE),
  },
  Mutation: {
    [correction.mutation]: correctionResolver(correction),
  },
  Person: {
    __resolveReference: (ref: { idNumber: string }) => ({ idNumber: ref.idNumber }),
    medicalInsurance: ({ idNumber }: { idNumber: string }, _args: unknown, { loaders }: Context, info: GraphQLResolveInfo) => {
      // Validate the nested `settlements` arguments here, so a bad page is refused before the
      // enrolee is even read (BAD_USER_INPUT, no statement executed).
      for (const args of childFieldArgs(info, 'settlements')) settlementWindow(args as SettlementArgs);
      return loaders.enroleeById(info).load(idNumber);
    },
  },
  MedicalInsurance: {
    insuredRegion: (e: EnroleeRow) => e.region,
    insuredRegionName: (e: EnroleeRow) => (CHANGDE_REGIONS[e.region] ? `常德市${CHANGDE_REGIONS[e.region]}` : e.region),
    personType: (e: EnroleeRow) => e.person_type,
    enrolments: (e: EnroleeRecord) => e.enrolments, // read with the enrolee (the loader read what the operation asks for)
    settlements: (e: EnroleeRow, args: SettlementArgs): PageKey => ({ idNumber: e.id_number, ...settlementWindow(args) }),
  },
  MedicalEnrolment: {
    insuranceType: (r: EnrolmentRow) => r.insutype,
    insuranceTypeName: (r: EnrolmentRow) => INSURANCE_TYPES[r.insutype] ?? r.insutype,
    startDate: (r: EnrolmentRow) => r.start_date,
    endDate: (r: EnrolmentRow) => r.end_date,
  },
  SettlementPage: {
    items: async (p: PageKey, _args: unknown, { loaders }: Context) => (await loaders.settlementPage.load(p)).slice(0, p.limit),
    hasNextPage: async (p: PageKey, _args: unknown, { loaders }: Context) => (await loaders.settlementPage.load(p)).length > p.limit,
    totalCount: async (p: PageKey, _args: unknown, { loaders }: Context) =>
      (await loaders.settlementCount.load({ idNumber: p.idNumber, from: p.from, to: p.to }))[0]?.count ?? 0,
  },
  MedicalSettlement: {
    ...archivalResolvers,
    settlementId: (s: SettlementRow) => s.setl_id,
    visitId: (s: SettlementRow) => s.mdtrt_id,
    hospitalCode: (s: SettlementRow) => s.hospital_code,
    hospitalName: (s: SettlementRow) => s.hospital_name,
    settledAt: (s: SettlementRow) => s.settled_at,
    medicalType: (s: SettlementRow) => s.med_type,
    totalCost: (s: SettlementRow) => s.medfee_sumamt,
    fundPaid: (s: SettlementRow) => s.fund_pay_sumamt,
    basicFundPaid: (s: SettlementRow) => s.hifp_pay,
    accountPaid: (s: SettlementRow) => s.acct_pay,
    cashPaid: (s: SettlementRow) => s.cash_payamt,
    diagnosis: async (s: SettlementRow, _args: unknown, { loaders }: Context) => {
      const visit = await loaders.visitById.load(s.mdtrt_id);
      return visit?.diagnosis_code ? { code: visit.diagnosis_code, name: visit.diagnosis_name ?? '' } : null;
    },
  },
};
