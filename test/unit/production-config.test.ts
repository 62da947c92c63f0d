/**
 * What production refuses to start with: the published development secrets, docker-compose's
 * `change-me-…` placeholders, short secrets, one secret for two purposes, and no audit signing key.
 */
import { loadConfig } from '../../lib/config';
import { loadCheckpointSigner } from '../../gateway/src/audit/signing';
import { silentLogger } from '../helpers';

const STRONG_JWT = 'q3V9mZtY1cLx8R2pW6nK0sHd4bJfA7uE5gTiOyNw';
const STRONG_INTERNAL = 'Xo2Lr7Pk9Wd3Jm5Qn8Fv1Hs6Tb4Cz0GyEuAiKeRt';

const production = (env: Record<string, string>) => () => loadConfig({ NODE_ENV: 'production', ...env });

describe('production secrets', () => {
  it('refuses the development defaults, published in the source', () => {
    const dev = loadConfig({});
    expect(production({ JWT_SECRET: dev.JWT_SECRET!, INTERNAL_TOKEN_SECRET: STRONG_INTERNAL })).toThrow(/JWT_SECRET is the published development secret/);
    expect(production({ JWT_SECRET: STRONG_JWT, INTERNAL_TOKEN_SECRET: dev.INTERNAL_TOKEN_SECRET })).toThrow(/INTERNAL_TOKEN_SECRET is the published development secret/);
  });

  it("refuses docker-compose's placeholders and other template values, however long", () => {
    expect(production({ JWT_SECRET: 'change-me-client-jwt-secret', INTERNAL_TOKEN_SECRET: STRONG_INTERNAL })).toThrow(/JWT_SECRET is a placeholder/);
    expect(production({ JWT_SECRET: STRONG_JWT, INTERNAL_TOKEN_SECRET: 'change-me-gateway-to-subgraph-secret' })).toThrow(/INTERNAL_TOKEN_SECRET is a placeholder/);
    expect(production({ JWT_SECRET: `CHANGEME${STRONG_JWT}`, INTERNAL_TOKEN_SECRET: STRONG_INTERNAL })).toThrow(/placeholder/);
  });

  it('refuses short secrets and names the variable and what to do', () => {
    expect(production({ JWT_SECRET: 'k7Qw2xP9', INTERNAL_TOKEN_SECRET: STRONG_INTERNAL })).toThrow(/JWT_SECRET is 8 characters, shorter than 32; generate one with `openssl rand -base64 48`/);
    expect(production({ JWT_SECRET: STRONG_JWT, INTERNAL_TOKEN_SECRET: STRONG_INTERNAL.slice(0, 31) })).toThrow(/INTERNAL_TOKEN_SECRET is 31 characters/);
  });

  it('refuses one secret for both client and internal tokens, and missing secrets', () => {
    expect(production({ JWT_SECRET: STRONG_JWT, INTERNAL_TOKEN_SECRET: STRONG_JWT })).toThrow(/are the same/);
    expect(production({ JWT_SECRET: STRONG_JWT })).toThrow(/INTERNAL_TOKEN_SECRET must be set/);
    expect(production({ INTERNAL_TOKEN_SECRET: STRONG_INTERNAL })).toThrow(/set JWT_SECRET or JWT_JWKS_URL/);
  });

  it('accepts strong, distinct secrets (and a JWKS instead of a client secret)', () => {
    expect(production({ JWT_SECRET: STRONG_JWT, INTERNAL_TOKEN_SECRET: STRONG_INTERNAL })()).toMatchObject({ JWT_SECRET: STRONG_JWT, INTERNAL_TOKEN_SECRET: STRONG_INTERNAL });
    expect(production({ JWT_JWKS_URL: 'https://idp.example/jwks.json', INTERNAL_TOKEN_SECRET: STRONG_INTERNAL })().JWT_SECRET).toBeUndefined();
  });

  it('keeps the development defaults working outside production', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).JWT_SECRET).toBeDefined();
    expect(loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'short' }).JWT_SECRET).toBe('short');
  });
});

describe('audit signing key in production', () => {
  it('refuses to generate one: the key file must be configured', () => {
    expect(() => loadCheckpointSigner({ dataDir: 'memory', production: true, logger: silentLogger })).toThrow(/AUDIT_SIGNING_KEY_FILE must name the Ed25519 private key.*openssl genpkey/);
  });

  it('still generates one in development', () => {
    expect(loadCheckpointSigner({ dataDir: 'memory', logger: silentLogger }).keyId).toMatch(/^[0-9a-f]{16}$/);
  });
});
