/** `npm run token -- --sub ID --scope "a b c" [--org ORG] [--name NAME] [--ttl 1h]`: prints a signed local JWT. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { signClientToken } from '../lib/tokens';

async function main() {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      scope: { type: 'string', default: '' },
      org: { type: 'string' },
      name: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
    },
  });
  if (!values.sub) throw new Error('Usage: npm run token -- --sub ID --scope "a b c" [--org ORG] [--name NAME] [--ttl 1h]');
  const config = loadConfig();
  if (!config.JWT_SECRET) throw new Error('npm run token signs with JWT_SECRET (HS256); it is unset because a JWKS is configured.');
  const token = await signClientToken(
    { sub: values.sub, name: values.name, org: values.org, scopes: values.scope!.split(/\s+/).filter(Boolean) },
    { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttl: values.ttl! },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
