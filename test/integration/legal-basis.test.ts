/**
 * Access by legal basis through the gateway: every requester category × purpose, with the evidence
 * the rules ask for present, missing and malformed; joins, aliases, fragments and `persons` cannot
 * widen a purpose's field set; and a change to a policy file alone changes what is released.
 * The expectations below are the rules as the archive's staff read them, written out by hand.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO } from '../../subgraphs/common/population';
import { CATEGORIES, DEFAULT_POLICY_DIR, loadAccessPolicy, loadCatalogue } from '../../lib/legal-basis';
import { clientToken, gql } from '../helpers';
import { startFederation, type Federation } from '../federation';

const DEPARTMENT_FIELDS = ['name', 'maritalStatus', 'marriages', 'realEstate', 'socialInsurance', 'medicalInsurance'] as const;
const PROBE = `query Probe($id: ID!) { person(idNumber: $id) { ${['name', 'maritalStatus', 'marriages { kind }', 'realEstate { unitNumber }', 'socialInsurance { agency }', 'medicalInsurance { personType }'].join(' ')} } }`;

/** What each category may read under each purpose without an approval, and the evidence that takes. */
const RELEASES: Record<string, Record<string, { fields: string; evidence?: string[] }>> = {
  citizen: { 'own-records': { fields: 'name maritalStatus marriages realEstate socialInsurance medicalInsurance' } },
  court: {
    litigation: { fields: 'name maritalStatus marriages realEstate socialInsurance', evidence: ['case-number'] },
    'marriage-confirmation': { fields: 'name maritalStatus marriages', evidence: ['unit-letter', 'work-id'] },
  },
  procuratorate: {
    litigation: { fields: 'name maritalStatus marriages realEstate socialInsurance', evidence: ['case-number'] },
    'marriage-confirmation': { fields: 'name maritalStatus marriages', evidence: ['unit-letter', 'work-id'] },
    'criminal-investigation': { fields: 'name maritalStatus marriages realEstate socialInsurance', evidence: ['unit-letter', 'work-id'] },
  },
  'public-security': {
    'marriage-confirmation': { fields: 'name maritalStatus marriages', evidence: ['unit-letter', 'work-id'] },
    'criminal-investigation': { fields: 'name maritalStatus marriages realEstate socialInsurance', evidence: ['unit-letter', 'work-id'] },
  },
  'state-security': {
    'marriage-confirmation': { fields: 'name maritalStatus marriages', evidence: ['unit-letter', 'work-id'] },
    'criminal-investigation': { fields: 'name maritalStatus marriages realEstate socialInsurance', evidence: ['unit-letter', 'work-id'] },
  },
  'civil-affairs': {
    'marital-status-verification': { fields: 'name maritalStatus', evidence: ['unit-letter'] },
    'marriage-registration': { fields: 'name maritalStatus marriages' },
    'social-assistance-check': { fields: 'name maritalStatus realEstate socialInsurance', evidence: ['consent'] },
    'record-correction': { fields: 'name marriages' },
  },
  'real-estate-registration': {
    'marital-status-verification': { fields: 'name maritalStatus', evidence: ['unit-letter'] },
    'property-transaction': { fields: 'name maritalStatus realEstate' },
    'record-correction': { fields: 'name realEstate' },
  },
  'housing-provident-fund': {
    'marital-status-verification': { fields: 'name maritalStatus', evidence: ['unit-letter'] },
    'provident-fund-loan': { fields: 'name maritalStatus realEstate socialInsurance', evidence: ['consent'] },
  },
  'hr-social-security': {
    'marital-status-verification': { fields: 'name maritalStatus', evidence: ['unit-letter'] },
    'social-insurance-administration': { fields: 'name socialInsurance' },
    'record-correction': { fields: 'name socialInsurance' },
  },
  'healthcare-security': {
    'medical-insurance-supervision': { fields: 'name medicalInsurance' },
    'record-correction': { fields: 'name medicalInsurance' },
  },
  notary: { 'inheritance-notarization': { fields: 'name maritalStatus marriages', evidence: ['unit-letter'] } },
  archive: {
    'archive-management': { fields: 'name maritalStatus marriages realEstate socialInsurance medicalInsurance' },
    'record-correction': { fields: 'name marriages realEstate socialInsurance medicalInsurance' },
  },
  lawyer: {},
  agent: {},
};

/** One well-formed piece of every kind: offered in full, the rules decide which they need. */
const EVIDENCE: Record<string, string> = {
  'case-number': '（2026）湘0702民初1234号',
  'unit-letter': '武法协〔2026〕12号',
  'work-id': 'FY-0702-1234',
  'lawyer-licence': '14307201810123456',
  'acceptance-notice': '(2026)湘0702民初1234号',
  'power-of-attorney': '（2026）湘常德证字第1234号',
  'notarial-certificate': '（2026）湘常德证字第88号',
  consent: 'SQ-2026-000123',
  'proof-of-interest': '房屋买卖合同 HT-2026-0815',
};
const evidenceHeader = (kinds: string[]) => encodeURIComponent(kinds.map((k) => `${k}=${EVIDENCE[k]}`).join('; '));
const SCOPES = ['social-security:read', 'real-estate:read', 'marriage:read', 'medical-insurance:read', 'medical:sensitive'];

type Res = Awaited<ReturnType<typeof gql>>;
/** The probe's department fields that came back with data. */
const released = (res: Res): string => {
  const p = (res.data as any)?.person;
  return p ? DEPARTMENT_FIELDS.filter((f) => p[f] !== null && p[f] !== undefined).join(' ') : '';
};
const reasonAt = (res: Res, at: string) => res.errors?.find((e) => e.path?.join('.') === at)?.extensions?.reason;

describe('access by legal basis', () => {
  let fed: Federation;
  const ask = async (category: string, purpose: string | undefined, evidence: string, opts: { sub?: string; query?: string; variables?: Record<string, unknown>; url?: string } = {}) => {
    const token = await clientToken({ sub: opts.sub ?? `${category}-001`, scopes: [...SCOPES, ...(category === 'citizen' ? ['self'] : [])], category, org: `${category} org` });
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (purpose) headers['x-access-purpose'] = purpose;
    if (evidence) headers['x-evidence'] = evidence;
    return gql(opts.url ?? fed.url, opts.query ?? PROBE, opts.variables ?? { id: DEMO.husband }, headers);
  };

  beforeAll(async () => {
    fed = await startFederation();
  });
  afterAll(() => fed?.stop());

  it('the expectations name every category and every purpose of the catalogue', () => {
    const catalogue = loadCatalogue();
    expect(Object.keys(RELEASES).sort()).toEqual([...CATEGORIES].sort());
    for (const byPurpose of Object.values(RELEASES)) for (const purpose of Object.keys(byPurpose)) expect(catalogue.purposes.has(purpose)).toBe(true);
  });

  it.each(CATEGORIES.map((c) => [c]))('%s: each purpose releases exactly its departments, with the evidence the rules ask for', async (category) => {
    const purposes = [...loadCatalogue().purposes.keys()];
    const all = Object.keys(EVIDENCE);
    const sub = category === 'citizen' ? DEMO.husband : undefined;
    for (const purpose of purposes) {
      const expected = RELEASES[category][purpose];
      const res = await ask(category, purpose, evidenceHeader(all), { sub });
      expect(res.status).toBe(200);
      expect({ purpose, released: released(res) }).toEqual({ purpose, released: expected?.fields ?? '' });
      if (!expected) {
        // Nothing without the archive's approval (or a refusal by a rule); the error says which.
        expect(['GRANT_REQUIRED', 'PURPOSE_NOT_COVERED', 'LOOKUP_NOT_PERMITTED', 'EVIDENCE_REQUIRED']).toContain(reasonAt(res, 'person'));
        continue;
      }
      for (const missing of expected.evidence ?? []) {
        const without = await ask(category, purpose, evidenceHeader(all.filter((k) => k !== missing)), { sub });
        expect({ purpose, missing, released: released(without) }).toEqual({ purpose, missing, released: '' });
        expect(without.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHORIZED_FIELD_OR_TYPE', reason: 'EVIDENCE_REQUIRED', evidence: [missing] });
      }
    }
  });

  it('refuses wrongly formed evidence with BAD_USER_INPUT showing the expected form', async () => {
    for (const [header, example] of [
      ['case-number=2026-1234', '（2026）湘0702民初1234号'],
      ['lawyer-licence=1234', '14307201810123456'],
      ['power-of-attorney=公证书一份', '（2026）湘常德证字第1234号'],
      ['unit-letter=', '武法协〔2026〕12号'],
    ]) {
      const res = await ask('court', 'litigation', encodeURIComponent(header));
      expect(res.status).toBe(400);
      expect(res.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
      expect(res.errors![0].message).toContain(example);
    }
    const unknownKind = await ask('court', 'litigation', 'badge=1');
    expect(unknownKind.status).toBe(400);
    expect(unknownKind.errors![0].message).toMatch(/Unknown evidence kind "badge"; one of: case-number/);
    const unknownPurpose = await ask('court', encodeURIComponent('离婚案件财产分割'), '');
    expect(unknownPurpose.status).toBe(400);
    expect(unknownPurpose.errors![0].message).toMatch(/Unknown purpose .* one of: own-records, litigation/);
    // ASCII brackets in a case number are as good as full-width ones.
    const ascii = await ask('court', 'litigation', encodeURIComponent('case-number=(2026)湘0702民初1234号'));
    expect(released(ascii)).toBe(RELEASES.court.litigation.fields);
  });

  it('joins cannot widen a purpose: the spouse and co-owners show only what the purpose releases', async () => {
    const unitLetter = evidenceHeader(['unit-letter', 'work-id']);
    const spouse = await ask('court', 'marriage-confirmation', unitLetter, {
      query: 'query($id: ID!) { person(idNumber: $id) { marriages { spouse { name realEstate { unitNumber } socialInsurance { agency } marriages { kind } } } } }',
    });
    const other = spouse.data.person.marriages.at(-1).spouse;
    expect(other.name).toBeTruthy();
    expect(other.marriages.length).toBeGreaterThan(0);
    expect(other.realEstate).toBeNull();
    expect(other.socialInsurance).toBeNull();
    expect(reasonAt(spouse, 'person.marriages.spouse.realEstate')).toBe('PURPOSE_NOT_COVERED');

    const coOwners = await ask('real-estate-registration', 'property-transaction', '', {
      query: 'query($id: ID!) { person(idNumber: $id) { realEstate { coOwners { maritalStatus marriages { kind } socialInsurance { agency } } } } }',
    });
    const holders = coOwners.data.person.realEstate.flatMap((r: any) => r.coOwners ?? []);
    expect(holders.length).toBeGreaterThan(0);
    for (const h of holders) expect(h).toEqual({ maritalStatus: expect.any(String), marriages: null, socialInsurance: null });
  });

  it('aliases, fragments and persons(idNumbers:) cannot widen a purpose', async () => {
    const query = `query($ids: [ID!]!) {
      a: persons(idNumbers: $ids) { n: name s: maritalStatus ...M ... on Person { si: socialInsurance { agency } } }
    }
    fragment M on Person { m: marriages { kind } r: realEstate { unitNumber } }`;
    const res = await ask('civil-affairs', 'marital-status-verification', evidenceHeader(['unit-letter']), { query, variables: { ids: [DEMO.husband, DEMO.wife] } });
    expect(res.data.a).toHaveLength(2);
    for (const p of res.data.a) expect(p).toEqual({ n: expect.any(String), s: 'MARRIED', m: null, r: null, si: null });
    expect(reasonAt(res, 'a.m')).toBe('PURPOSE_NOT_COVERED');
  });

  it('an interested party may not look a property up by person, whatever it presents', async () => {
    const res = await ask('citizen', 'property-transaction', evidenceHeader(['proof-of-interest']), { sub: DEMO.husband });
    expect(res.data.person).toBeNull();
    expect(reasonAt(res, 'person')).toBe('LOOKUP_NOT_PERMITTED');
  });

  it('changing one rule in a policy file changes what is released, with no code change (notaries and real estate)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'policies-'));
    cpSync(DEFAULT_POLICY_DIR, dir, { recursive: true });
    const before = await ask('notary', 'inheritance-notarization', evidenceHeader(['unit-letter']));
    expect(before.data.person.realEstate).toBeNull();
    // The estate is part of an inheritance: list the property rights for that purpose.
    const file = path.join(dir, 'purposes.yaml');
    const text = readFileSync(file, 'utf8');
    const marker = '    basis: 公证法 Art. 29; 民法典 Arts 1127–1128\n    fields:\n';
    expect(text).toContain(marker);
    writeFileSync(file, text.replace(marker, `${marker}      real-estate: [Person.realEstate]\n`));
    const changed = await startFederation({ env: { ACCESS_POLICY_DIR: dir } });
    try {
      const after = await ask('notary', 'inheritance-notarization', evidenceHeader(['unit-letter']), { url: changed.url });
      expect(after.data.person.realEstate.length).toBeGreaterThan(0);
      expect(released(after)).toBe('name maritalStatus marriages realEstate');
    } finally {
      await changed.stop();
    }
  });

  it('refuses a rule that does not fit the schema, or has no @id', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'policies-'));
    cpSync(DEFAULT_POLICY_DIR, dir, { recursive: true });
    writeFileSync(path.join(dir, 'rules.cedar'), `${readFileSync(path.join(dir, 'rules.cedar'), 'utf8')}\n@id("typo")\npermit (principal, action == Action::"release", resource) when { principal.categry == "court" };\n`);
    expect(() => loadAccessPolicy(dir)).toThrow(/does not fit schema.cedarschema: typo: .*categry/s);
    writeFileSync(path.join(dir, 'rules.cedar'), 'permit (principal, action, resource);');
    expect(() => loadAccessPolicy(dir)).toThrow(/no @id annotation/);
  });
});
