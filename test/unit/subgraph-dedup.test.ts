/**
 * gateway/src/fetch/in-flight.ts: which subgraph fetches may share one call (the caller key, the
 * query-only rule) and what sharing hands each request (its own copy of the body, the same error).
 */
import { MetricsRegistry } from '../../gateway/src/metrics';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { callerKey, InFlightFetches } from '../../gateway/src/fetch/in-flight';
import { signInternalToken, type InternalClaims } from '../../lib/tokens';
import type { PolicyFacts } from '../../lib/access-policy';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

const CLERK: PolicyFacts = {
  principal: { authenticated: true, sub: 'clerk-1', name: '书记员', org: '常德市武陵区人民法院', category: 'court', scopes: ['social-security:read', 'marriage:read'] },
  purpose: 'litigation',
  evidence: ['case-number'],
};
const CITIZEN: PolicyFacts = {
  principal: { authenticated: true, sub: '430702198503151239', org: '公民', category: 'citizen', scopes: ['self', 'social-security:read'] },
  purpose: 'own-records',
  evidence: [],
};
const GRANT = { id: 'G-01ARZ3NDEKTSV4RRFFQ69G5FAV', fields: ['Person.marriages'], subjects: ['430702198503151239'] };

describe('callerKey', () => {
  it('is the same for colleagues under the same legal basis, whatever their name or scope order', () => {
    const colleague = { ...CLERK, principal: { ...CLERK.principal, sub: 'clerk-2', name: '另一位', scopes: ['marriage:read', 'social-security:read'] } };
    expect(callerKey(colleague)).toBe(callerKey(CLERK));
  });

  it('differs by every fact a subgraph decides on', () => {
    const variants: PolicyFacts[] = [
      { ...CLERK, principal: { ...CLERK.principal, scopes: [...CLERK.principal.scopes, 'pii:unmasked'] } },
      { ...CLERK, principal: { ...CLERK.principal, authenticated: false } },
      { ...CLERK, principal: { ...CLERK.principal, category: 'procuratorate' } },
      { ...CLERK, principal: { ...CLERK.principal, org: '常德市中级人民法院' } },
      { ...CLERK, purpose: 'marriage-confirmation' },
      { ...CLERK, evidence: ['unit-letter', 'work-id'] },
      { ...CLERK, grant: GRANT },
      { ...CLERK, grant: { ...GRANT, id: 'G-01ARZ3NDEKTSV4RRFFQ69G5FAW' } },
      { ...CLERK, grant: { ...GRANT, fields: ['Person.realEstate'] } },
      { ...CLERK, grant: { ...GRANT, subjects: ['430702198706201548'] } },
      CITIZEN,
      { ...CITIZEN, principal: { ...CITIZEN.principal, sub: '430702198706201548' } },
    ];
    const keys = [CLERK, ...variants].map(callerKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('InFlightFetches', () => {
  const URL = 'http://127.0.0.1:1/graphql';
  const QUERY = JSON.stringify({ query: 'query Dossier__social_security__0($id:ID!){person(idNumber:$id){name}}', variables: { id: '430702198503151239' } });
  const MUTATION = JSON.stringify({ query: 'mutation Correct__marriage__0{correctMarriageOffice(id:"1",office:"x"){idNumber}}', variables: {} });
  // Each request its own case number: a claim no access rule reads, so it does not keep requests apart.
  const claims = (facts: PolicyFacts, caseSerial: number): InternalClaims => ({ ...facts, caseNumber: `（2026）湘0702民初${caseSerial}号` });
  const init = async (body: string, facts: PolicyFacts, caseSerial = 1) => ({
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${await signInternalToken(claims(facts, caseSerial), 'social-security', 'secret', 60)}`, 'content-type': 'application/json' },
  });

  /** A fetcher that answers after `release()` and counts its calls. */
  function slowFetcher(fail = false) {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const text = JSON.stringify({ data: { person: { name: '张建国' } } });
    const fetcher = (async () => {
      calls++;
      await gate;
      if (fail) throw new Error('subgraph unavailable');
      const parsed = JSON.parse(text);
      return { ok: true, status: 200, headers: new Map([['content-type', 'application/json']]), text: async () => text, json: async () => parsed } as unknown as FetcherResponse;
    }) as unknown as Fetcher;
    return { fetcher, release: () => release(), calls: () => calls };
  }

  it('sends identical queries of callers the subgraph cannot tell apart once, and gives each its own body', async () => {
    const slow = slowFetcher();
    const metrics = new MetricsRegistry();
    const fetch = new InFlightFetches(metrics).fetcher('social-security', slow.fetcher);
    const colleague = { ...CLERK, principal: { ...CLERK.principal, sub: 'clerk-2' } };
    const pending = [fetch(URL, await init(QUERY, CLERK, 1)), fetch(URL, await init(QUERY, colleague, 2)), fetch(URL, await init(QUERY, CLERK, 3))];
    slow.release();
    const bodies = await Promise.all(pending.map(async (p) => (await p).json()));
    expect(slow.calls()).toBe(1);
    expect(bodies).toEqual([0, 1, 2].map(() => ({ data: { person: { name: '张建国' } } })));
    (bodies[0] as any).data.person.name = 'changed by the first request';
    expect(bodies[1]).toEqual({ data: { person: { name: '张建国' } } });
    expect(new Set(bodies).size).toBe(3);
    expect(await metrics.registry.getSingleMetricAsString('gateway_subgraph_fetches_deduplicated_total')).toContain('gateway_subgraph_fetches_deduplicated_total{subgraph="social-security"} 2');

    // Once answered, the next identical query is sent again.
    const again = slowFetcher();
    again.release();
    const later = new InFlightFetches(new MetricsRegistry()).fetcher('social-security', again.fetcher);
    await later(URL, await init(QUERY, CLERK));
    expect(again.calls()).toBe(1);
  });

  it('never merges mutations, other callers or other documents', async () => {
    const slow = slowFetcher();
    const fetch = new InFlightFetches(new MetricsRegistry()).fetcher('social-security', slow.fetcher);
    const other = JSON.stringify({ query: 'query Dossier__social_security__0($id:ID!){person(idNumber:$id){name}}', variables: { id: '430702198706201548' } });
    const pending = [
      fetch(URL, await init(MUTATION, CLERK)),
      fetch(URL, await init(MUTATION, CLERK)),
      fetch(URL, await init(QUERY, CLERK)),
      fetch(URL, await init(QUERY, { ...CLERK, purpose: 'marriage-confirmation' })),
      fetch(URL, await init(QUERY, CITIZEN)),
      fetch(URL, await init(QUERY, { ...CITIZEN, principal: { ...CITIZEN.principal, sub: '430702198706201548' } })),
      fetch(URL, await init(other, CLERK)),
      fetch(URL, { method: 'POST', body: QUERY, headers: {} }), // no internal token: not this gateway's call
    ];
    slow.release();
    await Promise.all(pending);
    expect(slow.calls()).toBe(pending.length);
  });

  it('hands every waiting request the failure of the call it waited for', async () => {
    const slow = slowFetcher(true);
    const fetch = new InFlightFetches(new MetricsRegistry()).fetcher('social-security', slow.fetcher);
    const pending = [fetch(URL, await init(QUERY, CLERK)), fetch(URL, await init(QUERY, CLERK))];
    slow.release();
    for (const p of pending) await expect(p).rejects.toThrow('subgraph unavailable');
    expect(slow.calls()).toBe(1);
  });
});
