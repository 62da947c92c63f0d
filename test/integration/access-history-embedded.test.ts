/**
 * The access history's query and non-disclosure rule on the embedded audit store (PGlite, what
 * `npm start` uses), with records of chosen ages: a hidden access appears once older than its
 * delay; the departments come from the composed supergraph's join directives.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../lib/config';
import { accessHistoryPolicy, accessHistoryResolvers } from '../../gateway/src/access-history';
import { coordinateOwners, departmentsOf } from '../../gateway/src/audit/departments';
import type { AuditEntry } from '../../gateway/src/audit/record';
import { loadCheckpointSigner } from '../../gateway/src/audit/signing';
import { LazyAuditStore } from '../../gateway/src/audit/store';
import { AuditWriter } from '../../gateway/src/audit/writer';
import { composeSupergraph } from '../../schema/compose';
import { DEMO } from '../../subgraphs/common/population';
import { silentLogger } from '../helpers';

const DAY = 86_400_000;
const POLICE = '常德市公安局';

/** An access to the demo husband's records by `org`, `daysAgo` days ago. */
const access = (org: string, purpose: string, daysAgo: number): AuditEntry => ({
  id: randomUUID(),
  time: new Date(Date.now() - daysAgo * DAY).toISOString(),
  requestId: randomUUID(),
  endpoint: 'graphql',
  principal: { authenticated: true, sub: 'clerk-0042', name: '王警官', org, scopes: ['marriage:read'] },
  clientAddress: '127.0.0.1',
  purpose,
  caseNumber: null,
  operationName: null,
  operationType: 'query',
  documentHash: null,
  document: '{ person(idNumber: "430702198503151239") { marriages { date } } }',
  variables: null,
  subjects: [DEMO.husband],
  fieldsReturned: ['MarriageRecord.date', 'Person.idNumber', 'Person.marriages', 'Query.person'],
  fieldsDenied: [],
  outcome: 'OK',
  errorCodes: [],
  cacheHit: true,
  durationMs: 1,
  httpStatus: 200,
});

describe('access history on PGlite', () => {
  const lazy = new LazyAuditStore(undefined, 'memory');
  const writer = new AuditWriter({
    store: lazy,
    signer: loadCheckpointSigner({ dataDir: 'memory', logger: silentLogger }),
    logger: silentLogger,
    batchMs: 0,
    batchMax: 100,
    checkpointRecords: 1000,
    checkpointSeconds: 60,
    writeTimeoutMs: 10_000,
  });
  const owners = coordinateOwners(composeSupergraph());
  afterAll(async () => {
    await writer.close();
    await lazy.close();
  });

  it('names the department owning each field, and none for shared key fields', () => {
    expect(owners.get('Person.marriages')).toEqual(['marriage']);
    expect(owners.get('Query.person')).toEqual(['social-security']);
    expect(owners.get('Person.realEstate')).toEqual(['real-estate']);
    expect(owners.has('Person.idNumber')).toBe(false);
    expect(departmentsOf(owners, ['MarriageRecord.date', 'Person.idNumber', 'Person.marriages'])).toEqual(['marriage']);
  });

  it('withholds an access by a hidden organisation until it is older than the delay', async () => {
    for (const e of [access(POLICE, '侦查 old', 200), access(POLICE, '侦查 recent', 10), access('常德市武陵区人民法院', '财产分割', 10)]) await writer.append(e);
    const policy = accessHistoryPolicy(loadConfig({ ACCESS_HISTORY_HIDDEN_ORGS: POLICE }));
    /** The husband's history as it reads `days` from now. */
    const ask = async (days = 0) => {
      const { Query } = accessHistoryResolvers({ store: lazy, policy, owners, now: () => new Date(Date.now() + days * DAY) });
      const page = await Query.myAccessHistory(undefined, { first: 10 }, { principal: { authenticated: true, sub: DEMO.husband, scopes: ['self'] } } as never);
      return page.edges.map((e) => e.node);
    };
    const shown = await ask();
    expect(shown.map((a) => a.purpose)).toEqual(['财产分割', '侦查 old']);
    expect(shown[0]).toMatchObject({ organisation: '常德市武陵区人民法院', category: null, departments: ['marriage', 'social-security'], fromCache: true });
    expect(JSON.stringify(shown)).not.toMatch(/clerk-0042|王警官/);
    // Eleven days on the recent one is still withheld (21 of 180 days); 171 days on it is shown.
    expect((await ask(11)).map((a) => a.purpose)).not.toContain('侦查 recent');
    expect((await ask(171)).map((a) => a.purpose)).toContain('侦查 recent');
  });
});
