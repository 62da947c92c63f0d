/**
 * `npm run token -- --sub ID --scope "a b c" [--org ORG] [--name NAME] [--category C] [--client NAME] [--ttl 1h]` or
 * `npm run token -- --role court [--sub ID]`: prints a signed local JWT.
 */
import { parseArgs } from 'node:util';
import { KNOWN_SCOPES, loadConfig } from '../lib/config';
import { findRole } from '../lib/roles';
import { signClientToken } from '../lib/tokens';

async function main() {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      scope: { type: 'string' },
      org: { type: 'string' },
      name: { type: 'string' },
      // The `category` claim (rate-limit rules) and a client-system claim (TRUSTED_OPERATIONS_CLIENT_CLAIM).
      category: { type: 'string' },
      client: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      role: { type: 'string' },
    },
  });
  const role = values.role ? findRole(values.role) : undefined;
  const sub = values.sub ?? (role ? `${role.key}-001` : undefined);
  if (!sub) throw new Error('Usage: npm run token -- --sub ID --scope "a b c" [--org ORG] [--name NAME] [--ttl 1h]  (or --role ROLE)');
  const scopes = values.scope ? values.scope.split(/\s+/).filter(Boolean) : (role?.scopes ?? []);
  const unknown = scopes.filter((s) => !(KNOWN_SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`Unknown scope(s) ${unknown.join(', ')}; known: ${KNOWN_SCOPES.join(' ')}`);
  const config = loadConfig();
  if (!config.JWT_SECRET) throw new Error('npm run token signs with JWT_SECRET (HS256); it is unset because a JWKS is configured.');
  if (values.client && !config.TRUSTED_OPERATIONS_CLIENT_CLAIM) throw new Error('--client needs TRUSTED_OPERATIONS_CLIENT_CLAIM, the claim it is written to.');
  const extra = values.client ? { [config.TRUSTED_OPERATIONS_CLIENT_CLAIM!]: values.client } : undefined;
  const token = await signClientToken(
    { sub, name: values.name ?? role?.labelZh, org: values.org ?? role?.org, scopes, category: values.category, extra },
    { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttl: values.ttl! },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
