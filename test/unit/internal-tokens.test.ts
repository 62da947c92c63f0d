/**
 * The gateway signs one internal token per subgraph and caller and reuses it for half its lifetime;
 * a subgraph remembers a token that verified until it expires, and never one that did not.
 */
import { decodeJwt } from 'jose';
import { internalTokenSigner, internalTokenVerifier, InvalidTokenError, signInternalToken, type InternalClaims } from '../../lib/tokens';

const SECRET = 'internal-secret-for-the-token-memo-test';
const clerk: InternalClaims = { principal: { authenticated: true, sub: 'clerk-1', org: 'court-1', category: 'court', scopes: ['marriage:read'] }, purpose: 'litigation', caseNumber: '（2026）湘0702民初1号' };

describe('internal tokens', () => {
  it('reuses a token for the same subgraph and claims, and signs another for anything else', async () => {
    const sign = internalTokenSigner(SECRET, 60);
    const first = await sign(clerk, 'marriage');
    expect(await sign({ ...clerk }, 'marriage')).toBe(first);
    expect(await sign(clerk, 'social-security')).not.toBe(first);
    expect(await sign({ ...clerk, purpose: 'marriage-confirmation' }, 'marriage')).not.toBe(first);
    expect(await sign({ ...clerk, principal: { ...clerk.principal, sub: 'clerk-2' } }, 'marriage')).not.toBe(first);
    const payload = decodeJwt(first);
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload).not.toHaveProperty('rid');
  });

  it('signs anew once half the lifetime has passed', async () => {
    const sign = internalTokenSigner(SECRET, 2);
    const first = await sign(clerk, 'marriage');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await sign(clerk, 'marriage');
    expect(second).not.toBe(first);
    expect(decodeJwt(second).exp).toBeGreaterThan(decodeJwt(first).exp!);
  });

  it('remembers a verified token until it expires, with frozen claims, and never a refused one', async () => {
    const verify = internalTokenVerifier('marriage', SECRET);
    const token = await signInternalToken(clerk, 'marriage', SECRET, 1);
    const claims = await verify(token);
    expect(claims.principal.sub).toBe('clerk-1');
    expect(await verify(token)).toBe(claims);
    expect(Object.isFrozen(claims.principal.scopes)).toBe(true);
    expect(() => (claims.principal.scopes as string[]).push('marriage:write')).toThrow(TypeError);

    const forged = await signInternalToken(clerk, 'marriage', 'attacker-secret-attacker-secret!!', 60);
    await expect(verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verify(await signInternalToken(clerk, 'social-security', SECRET, 60))).rejects.toThrow(/aud/);

    // exp has whole seconds: wait past it, then the remembered token is refused like any expired one.
    await new Promise((resolve) => setTimeout(resolve, (decodeJwt(token).exp! + 1) * 1000 - Date.now()));
    await expect(verify(token)).rejects.toThrow(/exp/);
  });
});
