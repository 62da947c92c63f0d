/**
 * Identical subgraph fetches in flight together are sent once (SUBGRAPH_DEDUP), on real subgraphs
 * (PostgreSQL + MariaDB): the social-security and marriage subgraphs sit behind delaying proxies
 * that hold each call for a while and count the calls that reach them. Concurrent identical
 * dossiers of one caller reach each subgraph as often as one dossier alone; callers the subgraphs
 * could answer differently (two citizens, one court under two purposes) are never merged.
 */
import { DEMO } from '../../subgraphs/common/population';
import { gql, roleHeaders } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';
import { startDelayingProxy } from '../delaying-proxy';

const DOSSIER = `query Dossier($id: ID!) {
  person(idNumber: $id) { name maritalStatus marriages { kind spouse { name realEstate { unitNumber } } } socialInsurance { enrolments { type } } }
}`;
// The response cache would answer repeated queries without asking the subgraphs: these tests are about asking them.
const NO_CACHE = { CACHE_ENABLED: 'false' };
// Long enough for every request of a burst to reach its fetch on a busy machine.
const HOLD_MS = 1500;
const CONCURRENT = 6;

describe('identical in-flight subgraph fetches (SUBGRAPH_DEDUP)', () => {
  let fed: Federation;
  let proxies: { ss: Awaited<ReturnType<typeof startDelayingProxy>>; marriage: Awaited<ReturnType<typeof startDelayingProxy>> };
  let merging: { url: string; stop(): Promise<void> };
  let separate: { url: string; stop(): Promise<void> };
  let archivist: Record<string, string>;

  beforeAll(async () => {
    fed = await startFederation({ env: NO_CACHE });
    proxies = { ss: await startDelayingProxy(fed.subgraphs['social-security'].url), marriage: await startDelayingProxy(fed.subgraphs.marriage.url) };
    const subgraphUrls = { 'social-security': proxies.ss.url, marriage: proxies.marriage.url };
    const env = { ...NO_CACHE, AUDIT_DB_URL: fed.auditDbUrl! };
    merging = await startGateway(fed, env, { subgraphUrls }); // SUBGRAPH_DEDUP defaults to on
    separate = await startGateway(fed, { ...env, SUBGRAPH_DEDUP: 'off' }, { subgraphUrls });
    archivist = await roleHeaders('archivist');
  });
  afterAll(async () => {
    await merging?.stop();
    await separate?.stop();
    await proxies?.ss.stop();
    await proxies?.marriage.stop();
    await fed?.stop();
  });
  beforeEach(() => {
    proxies.ss.state.delayMs = 0;
    proxies.marriage.state.delayMs = 0;
  });

  /** Calls that reached each proxied subgraph while `run` ran, with its result. */
  async function counted<T>(run: () => Promise<T>): Promise<{ result: T; calls: { ss: number; marriage: number }; ids: { ss: string[] } }> {
    const before = { ss: proxies.ss.state.requestIds.length, marriage: proxies.marriage.state.requestIds.length };
    const result = await run();
    return {
      result,
      calls: { ss: proxies.ss.state.requestIds.length - before.ss, marriage: proxies.marriage.state.requestIds.length - before.marriage },
      ids: { ss: proxies.ss.state.requestIds.slice(before.ss) },
    };
  }
  const hold = () => {
    proxies.ss.state.delayMs = HOLD_MS;
    proxies.marriage.state.delayMs = HOLD_MS;
  };
  const together = (url: string, n: number, headers: Record<string, string>) =>
    Promise.all(Array.from({ length: n }, (_, i) => gql(url, DOSSIER, { id: DEMO.husband }, { ...headers, 'x-request-id': `dedup-${i}` })));
  /** The gateway's count of merged fetches to the proxied subgraphs (the others answer too fast to be sure of). */
  const merged = async (url: string) => {
    const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
    return [...text.matchAll(/^gateway_subgraph_fetches_deduplicated_total\{subgraph="(social-security|marriage)"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[2]), 0);
  };

  it('sends concurrent identical dossiers of one caller to each subgraph once, and answers each in full', async () => {
    const alone = await counted(() => gql(merging.url, DOSSIER, { id: DEMO.husband }, archivist));
    expect(alone.result.errors).toBeUndefined();
    expect(alone.calls.ss).toBeGreaterThan(0);
    expect(alone.calls.marriage).toBeGreaterThan(0);

    hold();
    const mergedBefore = await merged(merging.url);
    const burst = await counted(() => together(merging.url, CONCURRENT, archivist));
    expect(burst.calls).toEqual(alone.calls);
    for (const res of burst.result) expect(res.data).toEqual(alone.result.data);
    expect((await merged(merging.url)) - mergedBefore).toBe((CONCURRENT - 1) * (alone.calls.ss + alone.calls.marriage));

    // The same burst with SUBGRAPH_DEDUP=off: every request makes its own calls.
    const unmerged = await counted(() => together(separate.url, CONCURRENT, archivist));
    expect(unmerged.calls).toEqual({ ss: CONCURRENT * alone.calls.ss, marriage: CONCURRENT * alone.calls.marriage });
    for (const res of unmerged.result) expect(res.data).toEqual(alone.result.data);
  });

  it('never merges callers the subgraphs could answer differently', async () => {
    hold();
    // Two citizens asking for the same person: one is that person, the other may not read them.
    const [own, stranger] = await Promise.all([roleHeaders('citizen', { sub: DEMO.husband }), roleHeaders('citizen', { sub: DEMO.wife })]);
    const name = `query($id: ID!) { person(idNumber: $id) { name } }`;
    const citizens = await counted(() =>
      Promise.all([gql(merging.url, name, { id: DEMO.husband }, { ...own, 'x-request-id': 'own' }), gql(merging.url, name, { id: DEMO.husband }, { ...stranger, 'x-request-id': 'stranger' })]),
    );
    expect(citizens.result[0].data.person.name).toBe('张建国');
    expect(citizens.result[1].data?.person ?? null).toBeNull();
    expect(citizens.result[1].errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(citizens.ids.ss.sort()).toEqual(['own', 'stranger']);

    // One court under two purposes, asking only what both release: the same document, never one fetch.
    const [litigation, confirmation] = await Promise.all([
      roleHeaders('court'),
      roleHeaders('court', { purpose: 'marriage-confirmation', caseNumber: null, evidence: ['unit-letter=武法协〔2026〕12号', 'work-id=FY-0702-0001'] }),
    ]);
    const marriages = `query($id: ID!) { person(idNumber: $id) { name marriages { kind } } }`;
    const court = await counted(() =>
      Promise.all([
        gql(merging.url, marriages, { id: DEMO.husband }, { ...litigation, 'x-request-id': 'litigation' }),
        gql(merging.url, marriages, { id: DEMO.husband }, { ...confirmation, 'x-request-id': 'confirmation' }),
      ]),
    );
    for (const res of court.result) {
      expect(res.errors).toBeUndefined();
      expect(res.data.person.marriages.length).toBeGreaterThan(0);
    }
    expect(court.ids.ss.sort()).toEqual(['confirmation', 'litigation']);
  });
});
