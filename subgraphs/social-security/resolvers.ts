import type { ResolverMap } from '../common/resolver-map';
import type { GraphQLResolveInfo } from 'graphql';
import { badInput } from '../../lib/errors';
import { describeIdNumber } from '../../lib/id-number';
import { archivalResolvers } from '../common/archival';
import { pageArgs, requireIdNumber } from '../common/inputs';
import type { SubgraphContext } from '../common/server';
import { isSelfCaller, notYours, subjectAllowed, type RecordSubjects } from '../common/access';
import type { SocialSecurityLoaders } from './loaders';
import { correctionResolver } from '../common/corrections';
import { correction } from './correction';
import { departmentHits, encodeSearch, MAX_SEARCH_PERSONS, parseSearch, personTerms, searchPage, decodeSearch, type SearchFilter, type SearchHit } from '../common/search';
import { residentsNamed, SEARCHABLE, type ContributionPageQuery, type ContributionRow, type EmployerRow, type EnrolmentRow, type InsuranceFile, type PeriodRange, type ResidentRow, type SocialSecurityDB } from './store';

type Context = SubgraphContext<SocialSecurityDB, SocialSecurityLoaders>;
type PersonRef = { idNumber: string };
type PageParent = ContributionPageQuery & { idNumber: string };

/** Most ids one `persons` call may ask for. */
export const MAX_PERSONS = 100;
/** Widest contribution period range one query may ask for, in months (10 years). */
export const MAX_PERIOD_MONTHS = 120;

const PERIOD = /^(\d{4})(0[1-9]|1[0-2])$/;
const monthIndex = (period: string) => Number(period.slice(0, 4)) * 12 + Number(period.slice(4, 6)) - 1;

function requirePeriod(value: string | null | undefined, argumentName: string): string | null {
  if (value === null || value === undefined) return null;
  if (!PERIOD.test(value)) throw badInput(argumentName, `${argumentName} must be a period YYYYMM with a month 01-12, e.g. 202401; got "${value.slice(0, 16)}".`);
  return value;
}

/** Validates a `from`/`to` period filter: YYYYMM, from <= to, at most 10 years. Throws BAD_USER_INPUT. */
export function periodRange(from: string | null | undefined, to: string | null | undefined): PeriodRange {
  const range = { from: requirePeriod(from, 'from'), to: requirePeriod(to, 'to') };
  if (range.from && range.to) {
    if (range.from > range.to) throw badInput('from', `from (${range.from}) must not be after to (${range.to}).`);
    if (monthIndex(range.to) - monthIndex(range.from) + 1 > MAX_PERIOD_MONTHS) {
      throw badInput('to', `A contribution query spans at most ${MAX_PERIOD_MONTHS / 12} years; ${range.from}-${range.to} is longer. Narrow the range or page through it.`);
    }
  }
  return range;
}

/** The register row of a person: null when unknown; throws when the store is down. */
const registered = async (idNumber: string, loaders: SocialSecurityLoaders, info: GraphQLResolveInfo) => (await loaders.persons(info).load(idNumber))?.resident ?? null;
const registerField =
  <T>(get: (row: ResidentRow, idNumber: string) => T) =>
  async ({ idNumber }: PersonRef, _args: unknown, { loaders }: Context, info: GraphQLResolveInfo): Promise<T | null> => {
    const row = await registered(idNumber, loaders, info);
    return row ? get(row, idNumber) : null;
  };

/**
 * Root lookups answer with the reference when the register knows the id and null when it does
 * not. When the register cannot be read they still answer with the reference, so the other
 * departments answer through federation; the register fields then raise the store error.
 *
 * Whether a person exists is personal information: each answered reference is reported as a
 * subject, and a `self` caller (a citizen) gets FORBIDDEN for every ID but their own, before the
 * register is read, so an unknown and someone else's ID answer alike.
 */
async function rootAnswers(ids: string[], ctx: Context, info: GraphQLResolveInfo): Promise<Array<PersonRef | null | Error>> {
  const asked = ids.filter((id) => subjectAllowed(ctx, id));
  const rows = new Map(asked.map((id, i) => [id, i]));
  const found = await ctx.loaders.persons(info).loadMany(asked);
  const failure = found.find((r): r is Error => r instanceof Error);
  if (failure) ctx.logger.error({ err: failure, ids: asked.length }, 'resident register lookup failed; answering with the keys only');
  return ids.map((idNumber) => {
    if (!rows.has(idNumber)) return notYours();
    const person = found[rows.get(idNumber)!];
    if (person === null || (!(person instanceof Error) && person.resident === null)) return null;
    ctx.subjects.add(idNumber);
    return { idNumber };
  });
}

/**
 * The persons a search's name and birth date name on the register (null when the filter names no
 * person); a `self` caller's search names at most themselves. BAD_USER_INPUT when too many.
 */
async function searchPersons(filter: SearchFilter, ctx: Context): Promise<string[] | null> {
  const terms = personTerms(filter);
  if (!terms) return null;
  const ids = await residentsNamed(ctx.store, terms, isSelfCaller(ctx.claims) ? ctx.claims.principal.sub : null, MAX_SEARCH_PERSONS + 1);
  if (ids.length > MAX_SEARCH_PERSONS) throw badInput('filter', `The filter names more than ${MAX_SEARCH_PERSONS} persons; add the name or the full birth date.`);
  return ids;
}

/** A search as the departments answered it: its id and their hits (`@requires`). */
type SearchRepresentation = { id: string; realEstateHits?: SearchHit[]; marriageHits?: SearchHit[]; medicalInsuranceHits?: SearchHit[] };

/** The persons whose records a `RecordReference` is about: the row-level rule and the audit's subjects. */
export const recordSubjects: RecordSubjects<Context> = { RecordReference: (r: SearchHit) => [r.idNumber] };

export const resolvers: ResolverMap<Context> = {
  Query: {
    person: async (_root: unknown, args: { idNumber: string }, ctx: Context, info: GraphQLResolveInfo) => {
      const answer = (await rootAnswers([requireIdNumber(args.idNumber)], ctx, info))[0];
      if (answer instanceof Error) throw answer;
      return answer;
    },
    persons: async (_root: unknown, args: { idNumbers: string[] }, ctx: Context, info: GraphQLResolveInfo) => {
      if (args.idNumbers.length > MAX_PERSONS) {
        throw badInput('idNumbers', `idNumbers holds ${args.idNumbers.length} ids; ask for at most ${MAX_PERSONS} per call.`);
      }
      return rootAnswers(args.idNumbers.map((id) => requireIdNumber(id, 'idNumbers')), ctx, info);
    },
    searchRecords: async (_root: unknown, args: { filter: SearchFilter; first?: number | null; after?: string | null }, ctx: Context) => {
      const search = parseSearch(args.filter, args.first, args.after, ctx.claims);
      return { id: encodeSearch(search), persons: await searchPersons(search.filter, ctx) };
    },
  },
  RecordSearchConnection: {
    // The departments' hits arrive with the reference; this store's own are added, then one page is cut.
    __resolveReference: async (ref: SearchRepresentation, ctx: Context) => {
      const { filter, first } = decodeSearch(ref.id, ctx.claims);
      const own = await departmentHits(ctx.store.db, 'social-security', SEARCHABLE, ref.id, await searchPersons(filter, ctx), ctx.claims);
      return searchPage([...own, ...(ref.realEstateHits ?? []), ...(ref.marriageHits ?? []), ...(ref.medicalInsuranceHits ?? [])], first);
    },
  },
  RecordReference: {
    name: async (r: SearchHit, _args: unknown, { loaders }: Context, info: GraphQLResolveInfo) => (await registered(r.idNumber, loaders, info))?.name ?? null,
  },
  Mutation: {
    [correction.mutation]: correctionResolver(correction),
  },
  Person: {
    __resolveReference: (ref: PersonRef) => ({ idNumber: ref.idNumber }),
    name: registerField((r) => r.name),
    sex: registerField((_r, id) => describeIdNumber(id).sex),
    birthDate: registerField((_r, id) => describeIdNumber(id).birthDate),
    phone: registerField((r) => r.phone),
    address: registerField((r) => r.address),
    socialInsurance: async ({ idNumber }: PersonRef, _args: unknown, { loaders }: Context, info: GraphQLResolveInfo) => (await loaders.persons(info).load(idNumber))?.file ?? null,
  },
  SocialInsurance: {
    ...archivalResolvers,
    insuredNumber: (f: InsuranceFile) => f.insured_number,
    agency: (f: InsuranceFile) => f.agency,
    // The enrolments and employer came with the file (the loader read what the operation asks for).
    enrolments: (f: InsuranceFile) => f.enrolments,
    employer: (f: InsuranceFile) => f.employer,
    // Validation only; the page's fields load what they need, so an unselected totalCount costs nothing.
    contributions: (f: InsuranceFile, args: { from?: string | null; to?: string | null; first?: number | null; offset?: number | null }): PageParent => ({
      idNumber: f.id_number,
      ...periodRange(args.from, args.to),
      ...pageArgs(args.first, args.offset),
    }),
  },
  InsuranceEnrolment: {
    ...archivalResolvers,
    type: (e: EnrolmentRow) => e.insurance_type,
    firstEnrolledOn: (e: EnrolmentRow) => e.first_enrolled_on,
  },
  Employer: {
    unitNumber: (e: EmployerRow) => e.unit_number,
    creditCode: (e: EmployerRow) => e.credit_code,
  },
  ContributionPage: {
    totalCount: async ({ idNumber, from, to }: PageParent, _args: unknown, { loaders }: Context) =>
      (await loaders.contributionCounts.load({ idNumber, from, to }))[0]?.total ?? 0,
    hasNextPage: async (page: PageParent, _args: unknown, { loaders }: Context) => (await loaders.contributionPages.load(page)).length > page.limit,
    items: async (page: PageParent, _args: unknown, { loaders }: Context) => (await loaders.contributionPages.load(page)).slice(0, page.limit),
  },
  Contribution: {
    employerAmount: (c: ContributionRow) => c.employer_amount,
    personalAmount: (c: ContributionRow) => c.personal_amount,
    paid: (c: ContributionRow) => Boolean(c.paid),
  },
};
