/**
 * Client-token times the gateway refuses: a lifetime beyond JWT_MAX_LIFETIME_SECONDS (a token
 * valid for 900 years) and an `iat` in the future beyond JWT_CLOCK_SKEW_SECONDS.
 */
import { loadCatalogue } from '../../lib/legal-basis';
import { SignJWT } from 'jose';
import { KNOWN_SCOPES, loadConfig } from '../../lib/config';
import { identityResolver } from '../../gateway/src/auth/identity';

const now = () => Math.floor(Date.now() / 1000);

function token(secret: string, times: { iat?: number; exp: number; nbf?: number }): Promise<string> {
  const jwt = new SignJWT({ scope: 'marriage:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('clerk-1')
    .setIssuer('archive-federation')
    .setAudience('archive-federation')
    .setExpirationTime(times.exp);
  if (times.iat !== undefined) jwt.setIssuedAt(times.iat);
  if (times.nbf !== undefined) jwt.setNotBefore(times.nbf);
  return jwt.sign(new TextEncoder().encode(secret));
}

describe('client token lifetime and clock skew', () => {
  const config = loadConfig({ NODE_ENV: 'test' });
  const identify = identityResolver(config, new Set(KNOWN_SCOPES), { catalogue: loadCatalogue() });
  const outcome = async (jwt: string) => {
    const identity = await identify({ authorization: `Bearer ${jwt}` });
    return identity.authError ? identity.authError.message : `ok ${identity.principal.sub}`;
  };
  const secret = config.JWT_SECRET!;

  it('documents its defaults: 24 h and 60 s', () => {
    expect(config.JWT_MAX_LIFETIME_SECONDS).toBe(86400);
    expect(config.JWT_CLOCK_SKEW_SECONDS).toBe(60);
  });

  it('refuses a token valid for 900 years, with or without iat', async () => {
    const exp = now() + 900 * 365 * 86400;
    expect(await outcome(await token(secret, { iat: now(), exp }))).toMatch(/lifetime exceeds the 86400 s accepted \(JWT_MAX_LIFETIME_SECONDS\)/);
    expect(await outcome(await token(secret, { exp }))).toMatch(/lifetime exceeds/);
  });

  it('refuses a lifetime over the maximum even when most of it has passed', async () => {
    expect(await outcome(await token(secret, { iat: now() - 86400, exp: now() + 3600 }))).toMatch(/lifetime exceeds/);
  });

  it('refuses a token issued in the future beyond the skew, accepts one within it', async () => {
    expect(await outcome(await token(secret, { iat: now() + 3600, exp: now() + 7200 }))).toMatch(/issued in the future/);
    expect(await outcome(await token(secret, { iat: now() + 30, exp: now() + 3600, nbf: now() + 30 }))).toBe('ok clerk-1');
  });

  it('still refuses an expired token at once (the skew does not stretch exp) and accepts a normal one', async () => {
    expect(await outcome(await token(secret, { iat: now() - 600, exp: now() - 5 }))).toMatch(/expired/);
    expect(await outcome(await token(secret, { iat: now(), exp: now() + 8 * 3600 }))).toBe('ok clerk-1');
  });

  it('follows the configuration', async () => {
    const strict = identityResolver(loadConfig({ NODE_ENV: 'test', JWT_MAX_LIFETIME_SECONDS: '600', JWT_CLOCK_SKEW_SECONDS: '0' }), new Set(KNOWN_SCOPES), { catalogue: loadCatalogue() });
    const refused = async (jwt: string) => (await strict({ authorization: `Bearer ${jwt}` })).authError?.message;
    expect(await refused(await token(secret, { iat: now(), exp: now() + 3600 }))).toMatch(/600 s/);
    expect(await refused(await token(secret, { iat: now() + 5, exp: now() + 300 }))).toMatch(/issued in the future/);
    expect(await refused(await token(secret, { iat: now(), exp: now() + 300 }))).toBeUndefined();
  });

  it('remembers a verified token, yet refuses it once it expires, and never a look-alike with another signature', async () => {
    const jwt = await token(secret, { iat: now(), exp: now() + 60 });
    expect(await outcome(jwt)).toBe('ok clerk-1');
    expect(await outcome(jwt)).toBe('ok clerk-1'); // remembered
    const [header, payload, signature] = jwt.split('.');
    const forged = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await outcome(forged)).toMatch(/not valid/);
    const later = Date.now() + 61_000;
    const clock = jest.spyOn(Date, 'now').mockReturnValue(later);
    try {
      expect(await outcome(jwt)).toMatch(/expired/);
    } finally {
      clock.mockRestore();
    }
  });
});
