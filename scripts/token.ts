/**
 * `npm run token -- --category court [--sub ID] [--scope "a b c"]`, `npm run token -- --role lawyer`
 * or `npm run token -- --sub ID --scope "a b c" [--org ORG] [--name NAME] [--category C] [--client NAME] [--ttl 1h]`:
 * prints a signed local JWT. A category alone takes the scopes and organisation of lib/roles.ts's
 * example requester of that category.
 */
import { parseArgs } from 'node:util';
import { KNOWN_SCOPES, loadConfig } from '../lib/config';
import { findRole, ROLES } from '../lib/roles';
import { CATEGORIES, isCategory } from '../lib/legal-basis';
import { signClientToken } from '../lib/tokens';

async function main() {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      scope: { type: 'string' },
      org: { type: 'string' },
      name: { type: 'string' },
      // The requester category (the access rules) and a client-system claim (TRUSTED_OPERATIONS_CLIENT_CLAIM).
      category: { type: 'string' },
      client: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      role: { type: 'string' },
    },
  });
  if (values.category !== undefined && !isCategory(values.category)) throw new Error(`Unknown category "${values.category}"; one of: ${CATEGORIES.join(', ')}`);
  const role = values.role ? findRole(values.role) : ROLES.find((r) => r.category === values.category);
  const sub = values.sub ?? (role ? `${role.key}-001` : undefined);
  if (!sub) throw new Error('Usage: npm run token -- --category CATEGORY [--sub ID]  (or --role ROLE, or --sub ID --scope "a b c" [--org ORG] [--name NAME] [--ttl 1h])');
  const scopes = values.scope ? values.scope.split(/\s+/).filter(Boolean) : (role?.scopes ?? []);
  const unknown = scopes.filter((s) => !(KNOWN_SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`Unknown scope(s) ${unknown.join(', ')}; known: ${KNOWN_SCOPES.join(' ')}`);
  const config = loadConfig();
  if (!config.JWT_SECRET) throw new Error('npm run token signs with JWT_SECRET (HS256); it is unset because a JWKS is configured.');
  if (values.client && !config.TRUSTED_OPERATIONS_CLIENT_CLAIM) throw new Error('--client needs TRUSTED_OPERATIONS_CLIENT_CLAIM, the claim it is written to.');
  const extra = values.client ? { [config.TRUSTED_OPERATIONS_CLIENT_CLAIM!]: values.client } : undefined;
  const token = await signClientToken(
    { sub, name: values.name ?? role?.labelZh, org: values.org ?? role?.org, scopes, category: values.category ?? role?.category, extra },
    { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttl: values.ttl! },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
