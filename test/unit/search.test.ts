/** Who may search by what, and the search's page order (subgraphs/common/search.ts), without stores. */
import type { Category } from '../../lib/legal-basis';
import type { InternalClaims } from '../../lib/tokens';
import { decodeSearch, encodeSearch, parseSearch, personTerms, searchPage, type SearchHit } from '../../subgraphs/common/search';

const claims = (scopes: string[], category?: Category, purpose = 'litigation'): InternalClaims => ({
  principal: { authenticated: true, sub: '430702198503151239', scopes, category },
  purpose,
});
const court = claims(['marriage:read'], 'court');
const archive = claims(['marriage:read'], 'archive');
const party = claims(['real-estate:read'], 'citizen', 'property-transaction');
const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'OK';
  } catch (e) {
    return (e as { extensions?: { code?: string } }).extensions?.code;
  }
};

describe('searchRecords rules', () => {
  it.each([
    ['name + birth date', { name: '张建国', birthDate: '1985-03-15' }, court, 'OK'],
    ['name alone', { name: '张建国' }, archive, 'FORBIDDEN'],
    ['birth year alone, court', { birthYear: 1985 }, court, 'FORBIDDEN'],
    ['birth year alone, archive', { birthYear: 1985 }, archive, 'OK'],
    ['a person, interested party', { name: '张建国', birthYear: 1985 }, party, 'FORBIDDEN'],
    ['a person, a lawyer declaring a property transaction', { name: '张建国', birthYear: 1985 }, claims(['real-estate:read'], 'lawyer', 'property-transaction'), 'FORBIDDEN'],
    ['unit number, interested party', { unitNumber: '430702001001GB00001F00010101' }, party, 'OK'],
    ['birth year alone, citizen', { birthYear: 1985 }, claims(['self', 'marriage:read'], 'citizen'), 'OK'],
    ['nothing', {}, archive, 'BAD_USER_INPUT'],
    ['an impossible date', { name: '张建国', birthDate: '1985-02-29' }, court, 'BAD_USER_INPUT'],
    ['a blank address', { address: ' ' }, court, 'BAD_USER_INPUT'],
  ])('%s', (_label, filter, who, expected) => {
    expect(codeOf(() => parseSearch(filter, undefined, undefined, who))).toBe(expected);
  });

  it('round-trips a search through its entity id and re-checks it with the receiving claims', () => {
    const search = parseSearch({ name: '张建国', birthYear: 1985 }, 5, null, court);
    expect(decodeSearch(encodeSearch(search), court)).toEqual(search);
    expect(codeOf(() => decodeSearch(encodeSearch(search), party))).toBe('FORBIDDEN');
    expect(personTerms(search.filter)).toEqual({ name: '张建国', bornFrom: '19850101', bornTo: '19851231' });
  });

  it('pages file-level records first, each source a block in its store\'s order, and the cursor continues after the last', () => {
    const hit = (department: string, kind: string, archivalCode: string, score: number): SearchHit => ({ idNumber: 'x', department, kind, archivalCode, year: 2000, matched: [], score });
    const hits = [hit('medical-insurance', 'MedicalSettlement', 'J035-A', 1), hit('real-estate', 'PropertyRight', 'J027-B', 2), hit('marriage', 'MarriageRecord', 'J019-Z', 2), hit('marriage', 'MarriageRecord', 'J019-A', 2)];
    const page = searchPage(hits, 3);
    expect(page.edges.map((e) => e.node.archivalCode)).toEqual(['J019-Z', 'J019-A', 'J027-B']);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = parseSearch({ archivalCode: 'J' }, 3, page.pageInfo.endCursor, court);
    expect(next.after).toEqual([2, 'real-estate/PropertyRight', 'J027-B']);
  });
});
