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
  // Record corrections (one scope per department); a correction drops the cached answers it changes.
  'social-security:write',
  'real-estate:write',
  'marriage:write',
  'medical-insurance:write',
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
  /** PEM (PKCS#8) Ed25519 key that signs audit checkpoints; unset = generated once under DATA_DIR (development). */
  AUDIT_SIGNING_KEY_FILE: optionalUrl,
  /**
   * Group commit: how long the first record of an idle audit writer waits for others. 0 = write at
   * once; records queued while a batch commits go in the next batch anyway. @default 0
   */
  AUDIT_BATCH_MS: z.coerce.number().min(0).max(1000).default(0),
  /** Group commit: most records written in one INSERT/transaction. @default 100 */
  AUDIT_BATCH_MAX: z.coerce.number().int().min(1).max(2000).default(100),
  /** A signed audit checkpoint is written after this many records... @default 1000 */
  AUDIT_CHECKPOINT_RECORDS: z.coerce.number().int().min(1).default(1000),
  /** ...or when the last one is this old and records were added since. @default 60 */
  AUDIT_CHECKPOINT_SECONDS: z.coerce.number().min(1).default(60),
  /** A response waits at most this long for its audit record to commit, then becomes 503 AUDIT_UNAVAILABLE. @default 5000 */
  AUDIT_WRITE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  REDIS_URL: optionalUrl,
  /** Response cache on or off; off serves every query uncached (the benchmark's "caching off"); APQ and invalidation stay on. @default true */
  CACHE_ENABLED: z.enum(['true', 'false', '1', '0']).default('true').transform((v) => v === 'true' || v === '1'),
  /** Prepended to every cache key in Redis, so deployments and test runs can share one Redis. @default af: */
  CACHE_KEY_PREFIX: z.string().default('af:'),
  /** A Redis command slower than this fails and the request goes on uncached. @default 100 */
  CACHE_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(1).default(100),
  /** After a cache outage (a refused command or 3 timeouts in a row), requests skip the cache this long before trying it again (a reconnection resumes it sooner). @default 1000 */
  CACHE_RETRY_AFTER_MS: z.coerce.number().int().min(0).default(1000),
  /** Longest a response stays cached, whatever the subgraphs' cache hints allow. @default 3600 */
  CACHE_MAX_TTL_SECONDS: z.coerce.number().int().min(1).default(3600),
  /** Entries the in-memory cache (REDIS_URL unset) keeps before evicting the least recently used. @default 10000 */
  CACHE_MEMORY_MAX_ENTRIES: z.coerce.number().int().min(1).default(10000),
  /** Bytes (estimated: keys, values and tags as UTF-16, plus a fixed overhead each) the in-memory cache holds before evicting the least recently used. @default 67108864 (64 MiB) */
  CACHE_MEMORY_MAX_BYTES: z.coerce.number().int().min(65536).default(64 * 1024 * 1024),
  /** Most tags (persons shown) a response may carry and still be cached; a larger answer is served uncached. @default 500 */
  CACHE_MAX_TAGS: z.coerce.number().int().min(1).default(500),
  /** How long an automatic persisted query stays registered. @default 86400 */
  CACHE_APQ_TTL_SECONDS: z.coerce.number().int().min(1).default(86400),
  /** Persons generated when a store is seeded on first start. */
  SEED_PERSONS: z.coerce.number().int().min(3).default(1000),
  /** Maximum request body accepted by the gateway. */
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  // Operation limits (gateway/src/limits). The legitimate dossier query nests 6 levels and 50 persons
  // with four departments cost about 7,700, so the defaults leave room above both.
  /** Deepest field nesting of an operation, leaves counted (`{ person { name } }` is 2). @default 8 */
  MAX_DEPTH: z.coerce.number().int().min(1).default(8),
  /** Aliased fields per operation, fragments expanded. @default 15 */
  MAX_ALIASES: z.coerce.number().int().min(0).default(15),
  /** Fields selected on the root type per operation. @default 10 */
  MAX_ROOT_FIELDS: z.coerce.number().int().min(1).default(10),
  /** Directives per operation, fragments expanded. @default 50 */
  MAX_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  /** Lexical tokens per GraphQL document, counted before it is parsed. @default 1000 */
  MAX_TOKENS: z.coerce.number().int().min(10).default(1000),
  /** Largest estimated operation cost: objects count 1, lists multiply what is under them. @default 20000 */
  MAX_COST: z.coerce.number().int().min(1).default(20000),
  /** Expected length of a list without a `first`/`limit`/list argument, for the cost. @default 10 */
  COST_LIST_SIZE: z.coerce.number().int().min(1).default(10),
  /** Operations per batched request (a JSON array); 0 = batched requests refused. @default 0 */
  MAX_BATCH_OPERATIONS: z.coerce.number().int().min(0).max(100).default(0),
  /** Longest one gateway-to-subgraph call may take; then its fields are null with SUBGRAPH_UNAVAILABLE. @default 10000 */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10000),
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
