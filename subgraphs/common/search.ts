/**
 * The catalogue search (`Query.searchRecords`), shared by the four departments.
 *
 * Federated design: the resident register's subgraph (social-security) owns `searchRecords`. It
 * validates the filter, applies who-may-search-by-what, turns the filter's name and birth date
 * into the persons they name (the register is the one store that knows names) and answers a
 * `RecordSearchConnection` entity. Every other department contributes a `…Hits` field on that
 * entity (`@requires(fields: "persons")`): the first records after the cursor that its own store
 * matched. The connection's `edges`/`pageInfo` `@require` those hits, so the query planner asks
 * the departments in parallel and hands their hits back to the register's subgraph, which merges
 * them with its own, ranks and pages them. No subgraph calls another; each reads only its store.
 *
 * Order (what a cursor points into): score (file-level records before item-level ones), then the
 * source (`department/kind`), then 档号 in the store's own collation. Each source is one block of
 * that order, so a department pages its blocks with `archival_code > ?` and the merge never
 * compares 档号 across stores.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Department } from '../../lib/config';
import { badInput, codedError, ErrorCode } from '../../lib/errors';
import type { InternalClaims } from '../../lib/tokens';
import { isSelfCaller } from './access';
import { PAGE } from './inputs';

const HIT_TEMPLATE = readFileSync(path.join(__dirname, 'search.graphql'), 'utf8');

/** Declarations of the `<Department>SearchHit` types `sdl` names, each from the one template (search.graphql). */
export function searchHitTypeDefs(sdl: string): string {
  const names = new Set(sdl.match(/\b[A-Z]\w*SearchHit\b/g));
  return [...names].map((name) => HIT_TEMPLATE.replace(/\bRecordSearchHit\b/g, name)).join('\n');
}

/** `RecordSearchFilter` as the client sends it. */
export interface SearchFilter {
  name?: string | null;
  birthYear?: number | null;
  birthDate?: string | null;
  certificateNumber?: string | null;
  unitNumber?: string | null;
  address?: string | null;
  archivalCode?: string | null;
}
type FilterField = keyof SearchFilter;
/** Fields that name a person (the register resolves them) and fields a record carries itself. */
const PERSON_FIELDS = ['name', 'birthYear', 'birthDate'] as const;
export type RecordField = 'certificateNumber' | 'unitNumber' | 'address' | 'archivalCode';
const RECORD_FIELDS: readonly RecordField[] = ['certificateNumber', 'unitNumber', 'address', 'archivalCode'];
const TEXT_LIMITS: Record<'name' | RecordField, number> = { name: 32, certificateNumber: 40, unitNumber: 28, address: 128, archivalCode: 64 };

/** Where a page starts: after this reference. */
export type Cursor = [score: number, source: string, archivalCode: string];

/** A validated search. */
export interface Search {
  filter: SearchFilter;
  first: number;
  after: Cursor | null;
}

/** One record a store matched (a `<Department>SearchHit`). */
export interface SearchHit {
  idNumber: string;
  department: string;
  kind: string;
  archivalCode: string;
  year: number;
  matched: string[];
  score: number;
}

/** The caller category that may search by birth date or year alone. */
export const ARCHIVE_CATEGORY = 'archive';
/**
 * An interested party in real estate (不动产登记资料查询暂行办法 Art. 21): a citizen, agent or lawyer
 * declaring a property transaction, as the access rules' "interested-party-not-by-person" names
 * them. They may search by unit number, address or certificate number, never by a person.
 */
export const isInterestedParty = (claims: Pick<InternalClaims, 'principal' | 'purpose'>): boolean =>
  claims.purpose === 'property-transaction' && ['citizen', 'agent', 'lawyer'].includes(claims.principal.category ?? '');

/** Most persons one search may name (a birth year alone names about 1.5% of a register). */
export const MAX_SEARCH_PERSONS = 5000;

const forbidden = (message: string) => codedError(ErrorCode.FORBIDDEN, message);
const given = (filter: SearchFilter, field: FilterField) => filter[field] !== null && filter[field] !== undefined;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function checkFilter(filter: SearchFilter): void {
  for (const field of ['name', ...RECORD_FIELDS] as const) {
    const v = filter[field];
    if (!given(filter, field)) continue;
    if (typeof v !== 'string' || !v.trim() || v.length > TEXT_LIMITS[field]) {
      throw badInput(`filter.${field}`, `filter.${field} must be 1 to ${TEXT_LIMITS[field]} characters.`);
    }
  }
  const thisYear = new Date().getUTCFullYear();
  if (given(filter, 'birthYear') && (!Number.isInteger(filter.birthYear) || filter.birthYear! < 1850 || filter.birthYear! > thisYear)) {
    throw badInput('filter.birthYear', `filter.birthYear must be a year from 1850 to ${thisYear}; got ${filter.birthYear}.`);
  }
  if (given(filter, 'birthDate')) {
    const m = DATE.exec(filter.birthDate!);
    const d = m && new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
      throw badInput('filter.birthDate', `filter.birthDate must be a calendar date YYYY-MM-DD; got "${String(filter.birthDate).slice(0, 16)}".`);
    }
    if (given(filter, 'birthYear') && Number(m[1]) !== filter.birthYear) {
      throw badInput('filter.birthYear', `filter.birthYear ${filter.birthYear} contradicts filter.birthDate ${filter.birthDate}; give one of them.`);
    }
  }
}

/**
 * Who may search by what (FORBIDDEN otherwise): a name needs a birth date or year beside it; a
 * birth date or year without a name is for the archive (category `archive`) only; an interested
 * party in real estate never searches by a person. A citizen (scope self) may search by anything:
 * every department then matches only records about them.
 */
function checkRules(filter: SearchFilter, claims: InternalClaims): void {
  const byPerson = PERSON_FIELDS.some((f) => given(filter, f));
  if (!byPerson) return;
  const { category } = claims.principal;
  if (isInterestedParty(claims)) {
    throw forbidden('An interested party in real estate may search by unit number, address or certificate number, not by a person\'s name or birth date.');
  }
  const born = given(filter, 'birthDate') || given(filter, 'birthYear');
  if (given(filter, 'name') && !born) throw forbidden('Searching by name needs the birth date or birth year too: a name alone names too many people.');
  if (!given(filter, 'name') && category !== ARCHIVE_CATEGORY && !isSelfCaller(claims)) {
    throw forbidden('Only the archive (category archive) may search by birth date or year without a name; add the name.');
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function unb64(text: string): unknown {
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export const encodeCursor = (hit: SearchHit): string => b64([hit.score, `${hit.department}/${hit.kind}`, hit.archivalCode]);

function decodeCursor(after: string): Cursor {
  const c = unb64(after);
  if (!Array.isArray(c) || c.length !== 3 || typeof c[0] !== 'number' || typeof c[1] !== 'string' || typeof c[2] !== 'string') {
    throw badInput('after', 'after must be an endCursor (or edge cursor) a searchRecords answer gave.');
  }
  return c as Cursor;
}

/** Validates a search and applies who-may-search-by-what; throws BAD_USER_INPUT or FORBIDDEN. */
export function parseSearch(filter: SearchFilter | null | undefined, first: number | null | undefined, after: string | null | undefined, claims: InternalClaims): Search {
  const f: SearchFilter = Object.fromEntries(Object.entries(filter ?? {}).filter(([, v]) => v !== null && v !== undefined));
  if (Object.keys(f).length === 0) throw badInput('filter', `filter needs at least one of ${[...PERSON_FIELDS, ...RECORD_FIELDS].join(', ')}.`);
  checkFilter(f);
  checkRules(f, claims);
  const n = first ?? PAGE.default;
  if (!Number.isInteger(n) || n < 1 || n > PAGE.max) throw badInput('first', `first must be between 1 and ${PAGE.max}; got ${n}.`);
  return { filter: f, first: n, after: after === null || after === undefined ? null : decodeCursor(after) };
}

/** The entity key of a search (`RecordSearchConnection.id`). */
export const encodeSearch = (s: Search): string => b64([s.filter, s.first, s.after]);

/** The search a `RecordSearchConnection.id` stands for, validated again with this subgraph's claims. */
export function decodeSearch(id: string, claims: InternalClaims): Search {
  const s = unb64(id);
  if (!Array.isArray(s) || s.length !== 3) throw badInput('id', 'Not a search id.');
  const [filter, first, after] = s as [SearchFilter, number, Cursor | null];
  return parseSearch(filter, first, after ? b64(after) : null, claims);
}

/** What the filter says of the person, as the register looks them up: name and birth dates (YYYYMMDD, inclusive). */
export function personTerms(filter: SearchFilter): { name?: string; bornFrom?: string; bornTo?: string } | null {
  if (!PERSON_FIELDS.some((f) => given(filter, f))) return null;
  const date = filter.birthDate?.replace(/-/g, '');
  const year = filter.birthYear ? String(filter.birthYear) : undefined;
  return { name: filter.name ?? undefined, bornFrom: date ?? (year && `${year}0101`), bornTo: date ?? (year && `${year}1231`) };
}

/** The year a 档号 was formed in (its `·YYYY·` part). */
export const yearOf = (archivalCode: string): number => Number(/·(\d{4})·/.exec(archivalCode)?.[1] ?? 0);

/**
 * One kind of record a department searches: its table, the filter fields it carries (column by
 * field; `archivalCode` is `archival_code` everywhere) and who it is about, either columns of the
 * table or a table linking the record to its persons (property rights and their holders).
 */
export interface SearchableKind {
  /** The record's GraphQL type name. */
  kind: string;
  /** Rank: 2 for file-level records, 1 for items within a file (a claim settlement). */
  score: number;
  table: string;
  columns: Partial<Record<RecordField, string>>;
  persons: { columns: string[] } | { table: string; recordKey: string; linkKey: string; column: string };
}

type Row = Record<string, any>;

/** The person a hit is shown under: the one the filter named, else the caller (self), else its first party. */
function personOf(parties: string[], named: ReadonlySet<string> | null, self: string | null): string {
  return parties.find((p) => named?.has(p)) ?? parties.find((p) => p === self) ?? parties[0];
}

async function searchKind(db: Kysely<any>, department: string, spec: SearchableKind, search: Search, persons: readonly string[] | null, self: string | null, after: string | null): Promise<SearchHit[]> {
  const t = spec.table;
  const link = 'table' in spec.persons ? spec.persons : null;
  const about = (ids: readonly string[]) => (eb: any) =>
    link
      ? eb(`${t}.${link.recordKey}`, 'in', eb.selectFrom(link.table).select(`${link.table}.${link.linkKey}`).where(`${link.table}.${link.column}`, 'in', ids))
      : eb.or((spec.persons as { columns: string[] }).columns.map((c) => eb(`${t}.${c}`, 'in', ids)));
  let q = db.selectFrom(t).select(`${t}.archival_code`).select(link ? [`${t}.${link.recordKey} as record_key`] : (spec.persons as { columns: string[] }).columns.map((c) => `${t}.${c}`));
  if (persons) q = q.where(about(persons));
  if (self) q = q.where(about([self]));
  const matched: string[] = PERSON_FIELDS.filter((f) => given(search.filter, f));
  for (const field of RECORD_FIELDS) {
    if (!given(search.filter, field)) continue;
    const column = field === 'archivalCode' ? 'archival_code' : spec.columns[field];
    if (!column) return []; // this kind carries no such field: none of its records match
    q = q.where(`${t}.${column}`, '=', search.filter[field]);
    matched.push(field);
  }
  if (after !== null) q = q.where(`${t}.archival_code`, '>', after);
  const rows: Row[] = await q.orderBy(`${t}.archival_code`).limit(search.first + 1).execute();
  let parties: (r: Row) => string[] = (r) => (spec.persons as { columns: string[] }).columns.map((c) => r[c]);
  if (link && rows.length > 0) {
    const held = await db.selectFrom(link.table).select([`${link.linkKey} as record_key`, `${link.column} as person`]).where(link.linkKey, 'in', rows.map((r) => r.record_key)).orderBy('id').execute();
    parties = (r) => held.filter((h: Row) => h.record_key === r.record_key).map((h: Row) => h.person);
  }
  const named = persons ? new Set(persons) : null;
  return rows.map((r) => ({
    idNumber: personOf(parties(r), named, self),
    department,
    kind: spec.kind,
    archivalCode: r.archival_code,
    year: yearOf(r.archival_code),
    matched,
    score: spec.score,
  }));
}

/**
 * The first `search.first + 1` records of `kinds` after the search's cursor, in rank order:
 * records about `persons` (when the filter names persons) that carry every record field the
 * filter gives, only the caller's own for a `self` caller. Empty without `<department>:read`.
 */
export async function departmentHits(db: Kysely<any>, department: Department, kinds: SearchableKind[], id: string, persons: readonly string[] | null | undefined, claims: InternalClaims): Promise<SearchHit[]> {
  if (!claims.principal.scopes.includes(`${department}:read`)) return [];
  const search = decodeSearch(id, claims);
  if (persons && persons.length === 0) return [];
  const self = isSelfCaller(claims) ? claims.principal.sub : null;
  const blocks = await Promise.all(
    kinds.map((spec) => {
      const start = startOf(search.after, spec.score, `${department}/${spec.kind}`);
      return start === 'none' ? [] : searchKind(db, department, spec, search, persons ?? null, self, start);
    }),
  );
  return rank(blocks.flat()).slice(0, search.first + 1);
}

/** Where a source's block starts after `cursor`: all of it (null), after a 档号, or none of it. */
function startOf(cursor: Cursor | null, score: number, source: string): string | null | 'none' {
  if (!cursor) return null;
  const [s, src, code] = cursor;
  if (score !== s) return score < s ? null : 'none';
  if (source !== src) return source > src ? null : 'none';
  return code;
}

/** Hits in rank order: by score, then source; within a source, as its store ordered them. */
function rank(hits: SearchHit[]): SearchHit[] {
  const source = (h: SearchHit) => `${h.department}/${h.kind}`;
  return hits
    .map((h, i) => ({ h, i }))
    .sort((a, b) => b.h.score - a.h.score || (source(a.h) < source(b.h) ? -1 : source(a.h) > source(b.h) ? 1 : a.i - b.i))
    .map(({ h }) => h);
}

/** One page of the merged hits of every department. */
export function searchPage(hits: SearchHit[], first: number): { edges: Array<{ cursor: string; node: SearchHit }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } {
  const ranked = rank(hits);
  const edges = ranked.slice(0, first).map((node) => ({ cursor: encodeCursor(node), node }));
  return { edges, pageInfo: { hasNextPage: ranked.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** The resolver of a department's `…Hits` field on `RecordSearchConnection`. */
export const contributedHits =
  (department: Department, kinds: SearchableKind[]) =>
  (search: { id: string; persons?: string[] | null }, _args: unknown, ctx: { store: { db: Kysely<any> }; claims: InternalClaims }): Promise<SearchHit[]> =>
    departmentHits(ctx.store.db, department, kinds, search.id, search.persons, ctx.claims);
