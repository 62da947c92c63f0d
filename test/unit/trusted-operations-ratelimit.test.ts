/** Units of issue 18 items 1–2: manifest checks, document normalisation, which rate limits apply. */
import { parseManifest } from '../../gateway/src/operations/manifest';
import { normalisedHash } from '../../gateway/src/operations/normalise';
import { MemoryCounters } from '../../gateway/src/ratelimit/counters';
import { limitsFor, type Caller } from '../../gateway/src/ratelimit/rules';
import { Tallies } from '../../gateway/src/ratelimit/tallies';
import { loadConfig } from '../../lib/config';

describe('trusted operations', () => {
  it('hashes documents alike whatever their whitespace, commas and comments', () => {
    const a = 'query Q($id: ID!) { person(idNumber: $id) { name maritalStatus } }';
    const b = '# a comment\nquery Q($id: ID!){person(idNumber:$id){\n name, maritalStatus # trailing\n}}';
    expect(normalisedHash(b)).toBe(normalisedHash(a));
    expect(normalisedHash('query Q($id: ID!) { person(idNumber: $id) { name } }')).not.toBe(normalisedHash(a));
  });

  it('accepts an Apollo persisted-query manifest and refuses other shapes, duplicate ids and unparsable bodies', () => {
    const op = { id: 'a', name: 'Q', type: 'query', body: '{ __typename }' };
    expect(parseManifest({ format: 'apollo-persisted-query-manifest', version: 1, operations: [op] })).toHaveLength(1);
    expect(() => parseManifest({ format: 'relay', version: 1, operations: [op] })).toThrow(/Not an Apollo persisted-query manifest/);
    expect(() => parseManifest({ format: 'apollo-persisted-query-manifest', version: 1, operations: [op, op] })).toThrow(/appears twice/);
    expect(() => parseManifest({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ ...op, body: '{ oops' }] })).toThrow(/does not parse/);
  });

  it('defaults to refuse in production and off elsewhere', () => {
    expect(loadConfig({}).TRUSTED_OPERATIONS).toBe('off');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'k7Qw2'.repeat(8), INTERNAL_TOKEN_SECRET: 'Zr9pX'.repeat(8) }).TRUSTED_OPERATIONS).toBe('refuse');
  });
});

describe('rate-limit rules', () => {
  const caller: Caller = { sub: 'clerk-1', org: 'court', category: 'court', client: 'case-system', address: '10.0.0.1', authenticated: true };
  const defaults = { requestsPerMinute: 60, subjectsPerDay: 5000 };

  it('applies the defaults per subject (anonymous: per address) and per organisation', () => {
    expect(limitsFor('requestsPerMinute', caller, [], defaults)).toEqual([{ kind: 'requestsPerMinute', key: 'requestsPerMinute:sub=clerk-1', max: 60 }]);
    expect(limitsFor('requestsPerMinute', { ...caller, authenticated: false, sub: 'anonymous' }, [], defaults)[0].key).toBe('requestsPerMinute:address=10.0.0.1');
    expect(limitsFor('subjectsPerDay', caller, [], defaults)[0].key).toBe('subjectsPerDay:org=court');
    expect(limitsFor('requestsPerMinute', caller, [], { requestsPerMinute: 0, subjectsPerDay: 0 })).toEqual([]);
  });

  it('replaces a default with the matching rules; "*" splits the counter by value', () => {
    const rules = loadConfig({
      RATE_LIMIT_RULES: JSON.stringify([{ client: 'case-system', requestsPerMinute: 600 }, { org: '*', category: 'court', requestsPerMinute: 1000 }, { category: 'bureau', requestsPerMinute: 5 }]),
    }).RATE_LIMIT_RULES;
    expect(limitsFor('requestsPerMinute', caller, rules, defaults)).toEqual([
      { kind: 'requestsPerMinute', key: 'requestsPerMinute:rule0', max: 600 },
      { kind: 'requestsPerMinute', key: 'requestsPerMinute:rule1:org=court', max: 1000 },
    ]);
    // A rule on a claim the token lacks does not match.
    expect(limitsFor('requestsPerMinute', { ...caller, category: undefined, client: undefined }, rules, defaults)[0].key).toBe('requestsPerMinute:sub=clerk-1');
  });

  it('refuses a malformed RATE_LIMIT_RULES at startup', () => {
    expect(() => loadConfig({ RATE_LIMIT_RULES: '[{"orgg": "x"}]' })).toThrow(/RATE_LIMIT_RULES/);
    expect(() => loadConfig({ RATE_LIMIT_RULES: 'not json' })).toThrow(/RATE_LIMIT_RULES/);
  });

  it('counts fixed windows in memory', async () => {
    const counters = new MemoryCounters();
    expect((await counters.increment('k', 1, 50)).count).toBe(1);
    expect((await counters.increment('k', 2, 50)).count).toBe(3);
    await new Promise((r) => setTimeout(r, 60));
    expect((await counters.increment('k', 1, 50)).count).toBe(1);
  });

  it('shares quota tallies between replicas within the sync time, one increment per key, keeping a failed one for the next', async () => {
    const shared = new MemoryCounters();
    const sent: number[] = [];
    let down = false;
    const counters = { increment: (key: string, by: number, windowMs: number) => (sent.push(by), down ? Promise.reject(new Error('down')) : shared.increment(key, by, windowMs)), close: async () => {} };
    const errors: unknown[] = [];
    const a = new Tallies(counters, { freshMs: 1000, onError: (err) => errors.push(err) });
    const b = new Tallies(shared, { freshMs: 1000, onError: (err) => errors.push(err) });
    expect(await a.read('q', 60_000)).toBe(0);
    for (let i = 0; i < 5; i++) a.add('q', 2, 60_000);
    expect(await a.read('q', 60_000)).toBe(10); // its own additions at once, without a command
    expect(sent).toEqual([0]);
    expect(await b.read('q', 60_000)).toBe(0); // not sent yet
    await a.flush();
    expect(sent).toEqual([0, 10]); // five additions, one increment
    expect((await shared.increment('q', 0, 60_000)).count).toBe(10);
    b.add('q', 1, 60_000);
    expect(await b.read('q', 60_000)).toBe(1); // b read before a sent: fresh for another second
    down = true;
    a.add('q', 3, 60_000);
    await expect(a.flush()).rejects.toThrow('down');
    down = false;
    await a.close();
    expect(sent.at(-1)).toBe(3); // kept and sent again
    await b.close();
    expect((await shared.increment('q', 0, 60_000)).count).toBe(14);
    expect(errors).toEqual([]);
  });
});
