import type { ResolverMap } from '../common/resolver-map';
import type { GraphQLResolveInfo } from 'graphql';
import { badInput } from '../../lib/errors';
import { archivalResolvers } from '../common/archival';
import type { SubgraphContext } from '../common/server';
import { admitRecord, type RecordSubjects } from '../common/access';
import type { RealEstateLoaders } from './loaders';
import { correctionResolver } from '../common/corrections';
import { correction } from './correction';
import { requireUnitNumber } from './inputs';
import { SEARCHABLE, type MortgageRow, type RealEstateDB, type RightHolderRow, type RightRow, type SeizureRow } from './store';
import { contributedHits } from '../common/search';

type Context = SubgraphContext<RealEstateDB, RealEstateLoaders>;
/** A right as reached from one of its holders (`viewer`), so `coOwners` means "the others"; null when reached by unit number. */
type ViewedRight = RightRow & { viewer: string | null };


const person = (idNumber: string) => ({ idNumber });
const holdersOf = (r: RightRow) => r.holders.map((h) => h.id_number);

/** A property right is about all its holders: the row-level rule and the reported subjects (access.ts). */
export const recordSubjects: RecordSubjects<Context> = { PropertyRight: holdersOf };

export const resolvers: ResolverMap<Context> = {
  RecordSearchConnection: {
    realEstateHits: contributedHits('real-estate', SEARCHABLE),
  },
  Mutation: {
    [correction.mutation]: correctionResolver(correction),
  },
  Query: {
    propertyRight: async (_root: unknown, { unitNumber }: { unitNumber: string }, ctx: Context, info: GraphQLResolveInfo) => {
      const rights = await ctx.loaders.rightsByUnit(info).load(requireUnitNumber(unitNumber)); // newest first
      const right = rights.find((r) => r.status === 'CURRENT') ?? rights[0];
      // Judged here, not only on the right's fields: one FORBIDDEN at the root, and "no such unit"
      // answers a citizen exactly like "not yours".
      admitRecord(ctx, right ? holdersOf(right) : []);
      return right ? { ...right, viewer: null } : null;
    },
  },
  Person: {
    __resolveReference: (ref: { idNumber: string }) => ({ idNumber: ref.idNumber }),
    realEstate: async ({ idNumber }: { idNumber: string }, { includeHistory }: { includeHistory?: boolean | null }, { loaders }: Context, info: GraphQLResolveInfo) =>
      (await loaders.rightsByPerson(info).load(idNumber))
        .filter((r) => includeHistory || r.status === 'CURRENT')
        .map(({ holder_id: _, ...r }): ViewedRight => ({ ...r, viewer: idNumber })),
  },
  PropertyRight: {
    ...archivalResolvers,
    id: (r: ViewedRight) => String(r.id),
    unitNumber: (r: ViewedRight) => r.unit_number,
    certificateNumber: (r: ViewedRight) => r.certificate_number,
    use: (r: ViewedRight) => r.purpose,
    rightType: (r: ViewedRight) => r.right_type,
    registrationType: (r: ViewedRight) => r.registration_type,
    registeredOn: (r: ViewedRight) => r.registered_on,
    endedOn: (r: ViewedRight) => r.ended_on,
    // The lists came with the right (the loader read what the operation asks for).
    owners: (r: ViewedRight) => r.holders.map((h) => person(h.id_number)),
    coOwners: (r: ViewedRight) => r.holders.filter((h) => h.id_number !== r.viewer).map((h) => person(h.id_number)),
    holders: (r: ViewedRight) => r.holders,
    mortgages: (r: ViewedRight) => r.mortgages,
    seizures: (r: ViewedRight) => r.seizures,
  },
  RightHolder: {
    person: (h: RightHolderRow) => person(h.id_number),
  },
  Mortgage: {
    termStart: (m: MortgageRow) => m.term_start,
    termEnd: (m: MortgageRow) => m.term_end,
    certificateNumber: (m: MortgageRow) => m.certificate_number,
  },
  Seizure: {
    caseNumber: (s: SeizureRow) => s.case_number,
    startDate: (s: SeizureRow) => s.start_date,
    endDate: (s: SeizureRow) => s.end_date,
  },
};
