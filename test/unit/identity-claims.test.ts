/**
 * What the gateway reads from a token and the legal-basis headers: scopes from `scope` or `scp`
 * (unknown ones dropped), the category from its claim or from identity-provider roles mapped by
 * configuration, the purpose code, the evidence and a grant that must be the requester's, current
 * and for the declared purpose.
 */
import { SignJWT } from 'jose';
import { KNOWN_SCOPES, loadConfig } from '../../lib/config';
import { loadCatalogue, type Grant } from '../../lib/legal-basis';
import { identityResolver, type GrantLookup } from '../../gateway/src/auth/identity';

const config = loadConfig({ NODE_ENV: 'test' });
const catalogue = loadCatalogue();
const sign = (claims: Record<string, unknown>, sub = 'clerk-1') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(config.JWT_ISSUER).setAudience(config.JWT_AUDIENCE)
    .setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(config.JWT_SECRET!));

const GRANT_ID = 'G-01JF3Z6Q8N4K7V2M9X5T1R0W3Y';
const grant = (over: Partial<Grant> = {}): Grant => ({
  id: GRANT_ID, requester: 'lawyer-1', category: 'lawyer', purpose: 'litigation', subjects: ['430702198503151239'], fields: ['Query.person'],
  evidence: [], approvedBy: 'approver-1', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), status: 'approved', ...over,
});

describe('identity from an identity provider\'s token', () => {
  it('drops unknown scopes, reads `scp` arrays, and maps roles to a category by configuration', async () => {
    const mapped = identityResolver(loadConfig({ NODE_ENV: 'test', JWT_ROLES_CLAIM: 'realm_access.roles', JWT_CATEGORY_MAP: '{"org-court":"court"}' }), new Set(KNOWN_SCOPES), { catalogue });
    const token = await sign({ scp: ['openid', 'profile', 'marriage:read'], realm_access: { roles: ['offline_access', 'org-court'] } });
    const { principal, authError } = await mapped({ authorization: `Bearer ${token}` });
    expect(authError).toBeUndefined();
    expect(principal).toMatchObject({ authenticated: true, category: 'court', scopes: ['marriage:read'] });
    // Without the configuration the role means nothing: no category.
    const plain = identityResolver(config, new Set(KNOWN_SCOPES), { catalogue });
    expect((await plain({ authorization: `Bearer ${token}` })).principal.category).toBeUndefined();
    // A category claim naming an unknown category is none; a nested claim path works too.
    expect((await plain({ authorization: `Bearer ${await sign({ scope: 'marriage:read', category: 'wizard' })}` })).principal.category).toBeUndefined();
    const nested = identityResolver(loadConfig({ NODE_ENV: 'test', JWT_CATEGORY_CLAIM: 'ext.org_type', JWT_CATEGORY_MAP: '{"NOTARY_OFFICE":"notary"}' }), new Set(KNOWN_SCOPES), { catalogue });
    expect((await nested({ authorization: `Bearer ${await sign({ scope: 'marriage:read', ext: { org_type: 'NOTARY_OFFICE' } })}` })).principal.category).toBe('notary');
  });

  it('refuses a category map naming no category', () => {
    expect(() => loadConfig({ JWT_CATEGORY_MAP: '{"x":"wizard"}' })).toThrow(/JWT_CATEGORY_MAP/);
  });
});

describe('the legal-basis headers', () => {
  const lookups: string[] = [];
  const findGrant: GrantLookup = async (id) => (lookups.push(id), grants.get(id));
  const grants = new Map<string, Grant>();
  const identify = identityResolver(config, new Set(KNOWN_SCOPES), { catalogue, findGrant });
  const as = async (headers: Record<string, string>, sub = 'lawyer-1') => identify({ authorization: `Bearer ${await sign({ scope: 'marriage:read', category: 'lawyer' }, sub)}`, ...headers });

  it('reads the purpose, the evidence and the case number into the legal basis', async () => {
    const { basis, caseNumber, authError } = await as({
      'x-access-purpose': 'litigation',
      'x-evidence': encodeURIComponent('lawyer-licence=14307201810123456; acceptance-notice=（2026）湘0702民初1234号'),
      'x-case-number': encodeURIComponent('(2026)湘0702民初1234号'),
    });
    expect(authError).toBeUndefined();
    expect(basis).toMatchObject({ category: 'lawyer', purpose: 'litigation' });
    expect(basis.evidence.map((e) => e.kind)).toEqual(['lawyer-licence', 'acceptance-notice', 'case-number']);
    expect(caseNumber).toBe('(2026)湘0702民初1234号');
  });

  it('honours a current grant of the requester for the declared purpose, and refuses any other with 403', async () => {
    grants.set(GRANT_ID, grant());
    const ok = await as({ 'x-access-purpose': 'litigation', 'x-access-grant': GRANT_ID });
    expect(ok.authError).toBeUndefined();
    expect(ok.basis.grant?.subjects).toEqual(['430702198503151239']);
    for (const [problem, g, sub, purpose] of [
      [/revoked/, grant({ status: 'revoked' }), 'lawyer-1', 'litigation'],
      [/expired/, grant({ expiresAt: new Date(Date.now() - 1000).toISOString() }), 'lawyer-1', 'litigation'],
      [/expired/, grant({ status: 'expired' }), 'lawyer-1', 'litigation'],
      [/another requester/, grant(), 'lawyer-2', 'litigation'],
      [/for the purpose litigation/, grant(), 'lawyer-1', 'property-transaction'],
    ] as const) {
      grants.set(GRANT_ID, g);
      const res = await as({ 'x-access-purpose': purpose, 'x-access-grant': GRANT_ID }, sub);
      expect(res.authError?.extensions).toMatchObject({ code: 'FORBIDDEN', http: { status: 403 } });
      expect(res.authError?.message).toMatch(problem);
    }
    grants.clear();
    expect((await as({ 'x-access-purpose': 'litigation', 'x-access-grant': GRANT_ID })).authError?.message).toMatch(/no access grant/);
    const before = lookups.length;
    const malformed = await as({ 'x-access-purpose': 'litigation', 'x-access-grant': 'G-123' });
    expect(malformed.authError?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(lookups.length).toBe(before); // a malformed id is never looked up
  });
});
