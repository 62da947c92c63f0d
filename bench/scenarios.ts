/**
 * The load scenarios: what is asked, which persons each request asks about, and how a
 * response is checked (a benchmark of error responses is worthless, so every response is).
 */
import { DEMO, prng } from '../subgraphs/common/population';

export const SCENARIO_NAMES = ['dossier', 'list50', 'hot', 'contributions', 'search'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** The dossier of test/integration/federation.test.ts: one person, all four departments, the spouse's properties. */
export const DOSSIER = `query Dossier($id: ID!) {
  person(idNumber: $id) {
    idNumber name sex birthDate
    maritalStatus
    marriages { kind date certificateNumber archivalCode spouse { idNumber name realEstate { unitNumber certificateNumber } } }
    realEstate { unitNumber certificateNumber holding owners { idNumber } coOwners { idNumber } mortgages { mortgagee amount } }
    socialInsurance { enrolments { type status } }
    medicalInsurance { enrolments { insuranceType } }
  }
}`;

/** 50 persons at once across all four departments: DataLoader batching, constant SQL per subgraph. */
export const LIST = `query List($ids: [ID!]!) {
  persons(idNumbers: $ids) {
    idNumber name maritalStatus
    marriages { spouse { idNumber } }
    realEstate { owners { idNumber } }
    socialInsurance { enrolments { type } }
    medicalInsurance { enrolments { insuranceType } }
  }
}`;

/** A deep contribution-history page: one subgraph only, so it can be asked of social-security directly too. */
export const CONTRIBUTIONS = `query Contributions($id: ID!) {
  person(idNumber: $id) {
    idNumber
    socialInsurance {
      insuredNumber
      contributions(first: 36) { totalCount hasNextPage items { period base employerAmount personalAmount paid } }
    }
  }
}`;

/** The catalogue search by name and birth year: the register's index, then every department's store, merged. */
export const SEARCH = `query Search($name: String!, $year: Int!) {
  searchRecords(filter: { name: $name, birthYear: $year }, first: 20) {
    edges { node { idNumber name department kind archivalCode year matched } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const LIST_SIZE = 50;

/** What the scenarios draw their persons from. */
export interface ScenarioData {
  /** Every seeded person's ID, in a fixed shuffled order. */
  persons: string[];
  /** Persons with at least 36 monthly contributions, in a fixed shuffled order. */
  contributors: string[];
  /** Every seeded person's name and birth year, in a fixed shuffled order. */
  named: Array<{ name: string; year: number }>;
}

export interface Scenario {
  name: ScenarioName;
  description: string;
  query: string;
  /** A request-body generator; each target gets its own, so targets see the same sequence. */
  bodies(): () => string;
  /** Cheap check run on every response body (autocannon `verifyBody`). */
  verify(body: string): boolean;
  /** Thorough check of a parsed sample response; returns what is wrong, or null. */
  check(json: any): string | null;
}

/** Fisher–Yates with the project's seedable PRNG: the same order on every run. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rnd = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const bodyOf = (query: string, variables: unknown) => JSON.stringify({ query, variables });
const noErrors = (body: string) => body.includes('"data":') && !body.includes('"errors":');
const PERSON = /"person":\s*\{/;
const PERSONS = /"persons":\s*\[\s*\{/;
const ITEMS = /"items":\s*\[\s*\{/;
const EDGES = /"edges":\s*\[/;

function errorsOf(json: any): string | null {
  if (!json || typeof json !== 'object') return 'not a JSON object';
  if (json.errors?.length) return `errors: ${JSON.stringify(json.errors).slice(0, 400)}`;
  if (!json.data) return 'no data';
  return null;
}

/** One person per request, walking `ids` from the start: no person repeats until all were asked for. */
function walk(query: string, ids: string[]): () => () => string {
  return () => {
    let i = 0;
    return () => bodyOf(query, { id: ids[i++ % ids.length] });
  };
}

export function buildScenarios(data: ScenarioData): Record<ScenarioName, Scenario> {
  return {
    dossier: {
      name: 'dossier',
      description: 'one person (a different one per request), all four departments, the spouse\'s properties',
      query: DOSSIER,
      bodies: walk(DOSSIER, data.persons),
      verify: (b) => noErrors(b) && PERSON.test(b),
      check: (j) => errorsOf(j) ?? (j.data.person?.name ? null : 'person or name is null'),
    },
    list50: {
      name: 'list50',
      description: `persons(idNumbers:) with ${LIST_SIZE} random persons per request, all four departments`,
      query: LIST,
      bodies: () => {
        const rnd = prng(50);
        return () => {
          const ids = new Set<string>();
          while (ids.size < LIST_SIZE) ids.add(data.persons[Math.floor(rnd() * data.persons.length)]);
          return bodyOf(LIST, { ids: [...ids] });
        };
      },
      verify: (b) => noErrors(b) && PERSONS.test(b),
      check: (j) =>
        errorsOf(j) ??
        (j.data.persons?.length === LIST_SIZE && j.data.persons.every((p: any) => p?.name) ? null : `expected ${LIST_SIZE} persons with names`),
    },
    hot: {
      name: 'hot',
      description: `the dossier of the same person (${DEMO.husband}) every request: cache hits where there is a cache`,
      query: DOSSIER,
      bodies: () => {
        const body = bodyOf(DOSSIER, { id: DEMO.husband });
        return () => body;
      },
      verify: (b) => noErrors(b) && PERSON.test(b),
      check: (j) => errorsOf(j) ?? (j.data.person?.marriages?.length && j.data.person.realEstate?.length ? null : 'the demo person lacks marriages or properties'),
    },
    contributions: {
      name: 'contributions',
      description: 'a 36-month contribution-history page of a different person per request (social-security only)',
      query: CONTRIBUTIONS,
      bodies: walk(CONTRIBUTIONS, data.contributors),
      verify: (b) => noErrors(b) && ITEMS.test(b),
      check: (j) =>
        errorsOf(j) ?? (j.data.person?.socialInsurance?.contributions?.items?.length === 36 ? null : 'expected a page of 36 contributions'),
    },
    search: {
      name: 'search',
      description: 'searchRecords by name and birth year (a different person per request), every department, first 20',
      query: SEARCH,
      bodies: () => {
        let i = 0;
        return () => bodyOf(SEARCH, data.named[i++ % data.named.length]);
      },
      verify: (b) => noErrors(b) && EDGES.test(b),
      check: (j) => errorsOf(j) ?? (Array.isArray(j.data.searchRecords?.edges) && j.data.searchRecords.edges.every((e: any) => e.node.matched.join() === 'name,birthYear') ? null : 'expected edges matched by name and birthYear'),
    },
  };
}
