import { z } from 'zod';

/** The four departments, each served by one subgraph; the order is the port order. */
export const DEPARTMENTS = ['social-security', 'real-estate', 'marriage', 'medical-insurance'] as const;
export type Department = (typeof DEPARTMENTS)[number];

/** `social-security` -> `SOCIAL_SECURITY`: the prefix of a department's env vars. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** The scopes of the contract (ARCHITECTURE.md); a token with any other scope is refused. */
export const KNOWN_SCOPES = [
  'social-security:read',
  'real-estate:read',
  'marriage:read',
  'medical-insurance:read',
  'medical:sensitive',
  'pii:unmasked',
  'audit:read',
  'self',
] as const;

const DEV_JWT_SECRET = 'archive-federation-development-jwt-secret-change-me';
const DEV_INTERNAL_SECRET = 'archive-federation-development-internal-secret-change-me';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v ? v : undefined));

const baseSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_HOST: z.string().default('localhost'),
  GATEWAY_PORT: port(4000),
  DATA_DIR: z.string().default('.data'),
  SUPERGRAPH_PATH: z.string().default('schema/supergraph.graphql'),
  AUDIT_DB_URL: optionalUrl,
  REDIS_URL: optionalUrl,
  /** Persons generated when a store is seeded on first start. */
  SEED_PERSONS: z.coerce.number().int().min(3).default(1000),
  /** Maximum request body accepted by the gateway. */
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  /** HS256 secret for client JWTs (local tokens from `npm run token`). Required in production unless JWT_JWKS_* is set. */
  JWT_SECRET: optionalUrl,
  /** JWKS for RS256/ES256 client JWTs: a URL or a file path. */
  JWT_JWKS_URL: optionalUrl,
  JWT_JWKS_FILE: optionalUrl,
  JWT_ISSUER: z.string().default('archive-federation'),
  JWT_AUDIENCE: z.string().default('archive-federation'),
  /** HS256 secret the gateway signs per-request internal tokens with; subgraphs verify them. */
  INTERNAL_TOKEN_SECRET: optionalUrl,
  /** `filter`: unauthorized fields come back null with an error; `reject`: the whole request is refused. */
  AUTHZ_MODE: z.enum(['filter', 'reject']).default('filter'),
  /** Lifetime of an internal token. */
  INTERNAL_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).max(600).default(60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface SubgraphConfig {
  name: Department;
  /** Listen port. @default 4001..4004 in DEPARTMENTS order */
  port: number;
  /** postgres://… or mysql://…; unset = embedded PGlite under DATA_DIR. */
  dbUrl?: string;
  /** Where the gateway reaches this subgraph. @default http://localhost:<port>/graphql */
  url: string;
}

export type Config = Omit<z.infer<typeof baseSchema>, 'INTERNAL_TOKEN_SECRET'> & {
  INTERNAL_TOKEN_SECRET: string;
  subgraphs: Record<Department, SubgraphConfig>;
  /** `<NAME>_SUBGRAPH_URL` overrides for any subgraph of the served supergraph, by env prefix. */
  subgraphUrlOverrides: Record<string, string>;
};

/** Parses the environment once into a typed config; throws with every invalid variable named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = baseSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid environment: ${problems}`);
  }
  const subgraphs = {} as Record<Department, SubgraphConfig>;
  DEPARTMENTS.forEach((name, i) => {
    const prefix = envPrefix(name);
    const p = port(4001 + i).parse(env[`${prefix}_PORT`]);
    subgraphs[name] = {
      name,
      port: p,
      dbUrl: optionalUrl.parse(env[`${prefix}_DB_URL`]),
      url: env[`${prefix}_SUBGRAPH_URL`] || `http://localhost:${p}/graphql`,
    };
  });
  const subgraphUrlOverrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const m = /^(.+)_SUBGRAPH_URL$/.exec(key);
    if (m && value) subgraphUrlOverrides[m[1]] = value;
  }
  const data = parsed.data;
  const production = data.NODE_ENV === 'production';
  if (production && !data.INTERNAL_TOKEN_SECRET) throw new Error('Invalid environment: INTERNAL_TOKEN_SECRET must be set in production');
  if (production && !data.JWT_SECRET && !data.JWT_JWKS_URL && !data.JWT_JWKS_FILE) {
    throw new Error('Invalid environment: set JWT_SECRET or JWT_JWKS_URL/JWT_JWKS_FILE in production');
  }
  return {
    ...data,
    // Development defaults so `npm start` and `npm run token` work out of the box; never used in production.
    JWT_SECRET: data.JWT_SECRET ?? (data.JWT_JWKS_URL || data.JWT_JWKS_FILE ? undefined : DEV_JWT_SECRET),
    INTERNAL_TOKEN_SECRET: data.INTERNAL_TOKEN_SECRET ?? DEV_INTERNAL_SECRET,
    subgraphs,
    subgraphUrlOverrides,
  };
}
