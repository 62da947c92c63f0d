/**
 * gateway/src/authz/memo.ts: a remembered authorization answers only a request with the same
 * schema, document, operation name, variables and caller facts; anything the decision reads
 * changes the key.
 */
import { buildSchema, parse } from 'graphql';
import { DocumentMemo, decisionKey } from '../../gateway/src/authz/memo';
import type { PolicyFacts } from '../../lib/access-policy';

const COURT: PolicyFacts = {
  principal: { authenticated: true, sub: 'clerk-1', org: '常德市武陵区人民法院', category: 'court', scopes: ['social-security:read', 'marriage:read'] },
  purpose: 'litigation',
  evidence: ['case-number'],
};

describe('decisionKey', () => {
  it('is the same for colleagues with the same scopes and legal basis', () => {
    const colleague = { ...COURT, principal: { ...COURT.principal, sub: 'clerk-2', name: '另一位', scopes: ['marriage:read', 'social-security:read'] } };
    expect(decisionKey('Dossier', { id: 'x' }, colleague)).toBe(decisionKey('Dossier', { id: 'x' }, COURT));
  });

  it('changes with everything the decision reads', () => {
    const keys = [
      decisionKey('Dossier', { id: 'x' }, COURT),
      decisionKey('Other', { id: 'x' }, COURT),
      decisionKey('Dossier', { id: 'y' }, COURT),
      decisionKey('Dossier', { id: 'x', skip: true }, COURT),
      decisionKey('Dossier', { id: 'x' }, { ...COURT, principal: { ...COURT.principal, authenticated: false } }),
      decisionKey('Dossier', { id: 'x' }, { ...COURT, principal: { ...COURT.principal, scopes: ['social-security:read'] } }),
      decisionKey('Dossier', { id: 'x' }, { ...COURT, principal: { ...COURT.principal, category: 'lawyer' } }),
      decisionKey('Dossier', { id: 'x' }, { ...COURT, principal: { ...COURT.principal, org: '另一法院' } }),
      decisionKey('Dossier', { id: 'x' }, { ...COURT, purpose: 'marriage-confirmation' }),
      decisionKey('Dossier', { id: 'x' }, { ...COURT, evidence: [] }),
      decisionKey('Dossier', { id: 'x' }, { ...COURT, grant: { id: 'G-01ARZ3NDEKTSV4RRFFQ69G5FAV', fields: ['Person.marriages'], subjects: ['430702198503151239'] } }),
      decisionKey('Dossier', { id: 'x' }, { ...COURT, grant: { id: 'G-01ARZ3NDEKTSV4RRFFQ69G5FAV', fields: ['Person.realEstate'], subjects: ['430702198503151239'] } }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('DocumentMemo', () => {
  it('answers the same schema, document and key from memory, and decides anything else anew', () => {
    const schema = buildSchema('type Query { a: String }');
    const other = buildSchema('type Query { a: String }');
    const doc = parse('{ a }');
    const same = parse('{ a }'); // the same text parsed again: another document
    const memo = new DocumentMemo<number>();
    let decisions = 0;
    const decide = () => ++decisions;
    expect(memo.get(schema, doc, 'k', decide)).toBe(1);
    expect(memo.get(schema, doc, 'k', decide)).toBe(1);
    expect(memo.get(schema, doc, 'k2', decide)).toBe(2);
    expect(memo.get(schema, same, 'k', decide)).toBe(3);
    expect(memo.get(other, doc, 'k', decide)).toBe(4);
  });

  it('keeps at most 64 decisions per document, forgetting the oldest', () => {
    const schema = buildSchema('type Query { a: String }');
    const doc = parse('{ a }');
    const memo = new DocumentMemo<string>();
    for (let i = 0; i < 65; i++) memo.get(schema, doc, `k${i}`, () => `d${i}`);
    expect(memo.get(schema, doc, 'k64', () => 'again')).toBe('d64');
    expect(memo.get(schema, doc, 'k0', () => 'again')).toBe('again');
  });
});
