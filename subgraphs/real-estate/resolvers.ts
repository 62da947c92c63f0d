import type { ResolverMap } from '../common/resolver-map';
import { badInput } from '../../lib/errors';
import { archivalResolvers } from '../common/archival';
import type { SubgraphContext } from '../common/server';
import { admitRecord, type RecordSubjects } from '../common/access';
import type { RealEstateLoaders } from './loaders';
import { correctionResolver } from '../common/corrections';
import { correction } from './correction';
import { requireUnitNumber } from './inputs';
import { SEARCHABLE, type MortgageRow, type PropertyRightRow, type RealEstateDB, type RightHolderRow, type SeizureRow } from './store';
import { contributedHits } from '../common/search';

type Context = SubgraphContext<RealEstateDB, RealEstateLoaders>;
/** A right as reached from one of its holders (`viewer`), so `coOwners` means "the others"; null when reached by unit number. */
type ViewedRight = PropertyRightRow & { viewer: string | null };


const person = (idNumber: string) => ({ idNumber });
const holdersOf = async (r: PropertyRightRow, { loaders }: Context) => (await loaders.holdersByRight.load(r.id)).map((h) => h.id_number);

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
    propertyRight: async (_root: unknown, { unitNumber }: { unitNumber: string }, ctx: Context) => {
      const rights = await ctx.loaders.rightsByUnit.load(requireUnitNumber(unitNumber)); // newest first
      const right = rights.find((r) => r.status === 'CURRENT') ?? rights[0];
      // Judged here, not only on the right's fields: one FORBIDDEN at the root, and "no such unit"
      // answers a citizen exactly like "not yours".
      admitRecord(ctx, right ? await holdersOf(right, ctx) : []);
      return right ? { ...right, viewer: null } : null;
    },
  },
  Person: {
    __resolveReference: (ref: { idNumber: string }) => ({ idNumber: ref.idNumber }),
    realEstate: async ({ idNumber }: { idNumber: string }, { includeHistory }: { includeHistory?: boolean | null }, { loaders }: Context) =>
      (await loaders.rightsByPerson.load(idNumber))
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
    owners: async (r: ViewedRight, _args: unknown, { loaders }: Context) => (await loaders.holdersByRight.load(r.id)).map((h) => person(h.id_number)),
    coOwners: async (r: ViewedRight, _args: unknown, { loaders }: Context) =>
      (await loaders.holdersByRight.load(r.id)).filter((h) => h.id_number !== r.viewer).map((h) => person(h.id_number)),
    holders: (r: ViewedRight, _args: unknown, { loaders }: Context) => loaders.holdersByRight.load(r.id),
    mortgages: (r: ViewedRight, _args: unknown, { loaders }: Context) => loaders.mortgagesByRight.load(r.id),
    seizures: (r: ViewedRight, _args: unknown, { loaders }: Context) => loaders.seizuresByRight.load(r.id),
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
