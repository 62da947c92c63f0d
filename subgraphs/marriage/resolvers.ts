import type { ResolverMap } from '../common/resolver-map';
import type { GraphQLResolveInfo } from 'graphql';
import { archivalResolvers } from '../common/archival';
import type { SubgraphContext } from '../common/server';
import type { RecordSubjects } from '../common/access';
import type { MarriageLoaders } from './loaders';
import { badInput } from '../../lib/errors';
import { correctionResolver } from '../common/corrections';
import { correction } from './correction';
import { SEARCHABLE, type MarriageDB, type RegistrationRecord, type RegistrationRow } from './store';
import { contributedHits } from '../common/search';

type Context = SubgraphContext<MarriageDB, MarriageLoaders>;
/** A registration as reached from one of its parties (`viewer`), so `spouse` means "the other one". */
type ViewedRegistration = RegistrationRecord & { viewer: string };

const isHusband = (r: ViewedRegistration) => r.viewer === r.husband_id;

/** A registration is about both parties: the row-level rule and the reported subjects (access.ts). */
export const recordSubjects: RecordSubjects<Context> = { MarriageRecord: (r: RegistrationRow) => [r.husband_id, r.wife_id] };

/** Marital status after a date-ordered list of registrations. */
type MaritalStatus = 'UNMARRIED' | 'MARRIED' | 'DIVORCED';
export function maritalStatusOf(registrations: RegistrationRow[]): MaritalStatus {
  let status: MaritalStatus = 'UNMARRIED';
  let before: MaritalStatus = status;
  for (const r of registrations) {
    if (r.kind === 'MARRIAGE') [before, status] = [status, 'MARRIED'];
    else if (r.kind === 'DIVORCE') status = 'DIVORCED';
    else if (r.kind === 'ANNULMENT') status = before; // an annulled marriage never existed
  }
  return status;
}

export const resolvers: ResolverMap<Context> = {
  RecordSearchConnection: {
    marriageHits: contributedHits('marriage', SEARCHABLE),
  },
  Mutation: {
    [correction.mutation]: correctionResolver(correction),
  },
  Person: {
    __resolveReference: (ref: { idNumber: string }) => ({ idNumber: ref.idNumber }),
    marriages: async ({ idNumber }: { idNumber: string }, _args: unknown, { loaders }: Context, info: GraphQLResolveInfo) =>
      (await loaders.registrationsByPerson(info).load(idNumber)).map((r) => ({ ...r, viewer: idNumber })),
    maritalStatus: async ({ idNumber }: { idNumber: string }, _args: unknown, { loaders }: Context, info: GraphQLResolveInfo) =>
      maritalStatusOf(await loaders.registrationsByPerson(info).load(idNumber)),
  },
  MarriageRecord: {
    ...archivalResolvers,
    id: (r: ViewedRegistration) => String(r.id),
    date: (r: ViewedRegistration) => r.registered_on,
    certificateNumber: (r: ViewedRegistration) => r.certificate_number,
    spouse: (r: ViewedRegistration) => ({ idNumber: isHusband(r) ? r.wife_id : r.husband_id }),
    spouseName: (r: ViewedRegistration) => (isHusband(r) ? r.wife_name : r.husband_name),
    documents: (r: ViewedRegistration) => r.documents, // read with the registration (the loader read what the operation asks for)
  },
};
