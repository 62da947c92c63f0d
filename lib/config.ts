import { z } from 'zod';
import { CATEGORIES, DEFAULT_POLICY_DIR, isCategory } from './legal-basis/catalogue';

/** The four departments, each served by one subgraph; the order is the port order. */
export const DEPARTMENTS = ['social-security', 'real-estate', 'marriage', 'medical-insurance'] as const;
export type Department = (typeof DEPARTMENTS)[number];

/** `social-security` -> `SOCIAL_SECURITY`: the prefix of a department's env vars. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** The scopes of the contract (README, "Access control"); a token's other scopes (`openid`, …) are ignored. */
export const KNOWN_SCOPES = [
  'social-security:read',
  'real-estate:read',
  'marriage:read',
  'medical-insurance:read',
  'medical:sensitive',
  'pii:unmasked',
  'audit:read',
  'self',
  // Approving, refusing and revoking access requests (an archive supervisor).
  'access:approve',
  // Record corrections (one scope per department); a correction drops the cached answers it changes.
  'social-security:write',
  'real-estate:write',
  'marriage:write',
  'medical-insurance:write',
] as const;

/** How long a database connection may take to open, run, wait or stall; see the DB_* variables. */
export interface DbTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  keepAliveMs: number;
}

/** The DB_* defaults, also used by stores opened without a config (tests, scripts). */
export const DB_TIMEOUT_DEFAULTS: DbTimeouts = {
  connectTimeoutMs: 5000,
  statementTimeoutMs: 10000,
  lockTimeoutMs: 5000,
  idleInTransactionTimeoutMs: 2000,
  keepAliveMs: 10000,
};

/** The database timeouts of `config`, as `openStore` takes them. */
export function dbTimeouts(config: Config): DbTimeouts {
  return {
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    keepAliveMs: config.DB_KEEPALIVE_MS,
  };
}

const DEV_JWT_SECRET = 'archive-federation-development-jwt-secret-change-me';
const DEV_INTERNAL_SECRET = 'archive-federation-development-internal-secret-change-me';

/** Shortest HS256 secret accepted in production: 32 characters, as RFC 7518 §3.2 asks 256 bits of key. */
export const MIN_SECRET_LENGTH = 32;
/** Secrets that are published (the development defaults above) or are a template's placeholder (docker-compose's `change-me-…`). */
const KNOWN_SECRETS = new Set([DEV_JWT_SECRET, DEV_INTERNAL_SECRET]);
const PLACEHOLDER = /change-?me|changeit|placeholder|replace-?me/i;
const HOW_TO_MAKE_ONE = 'generate one with `openssl rand -base64 48` and pass it from a secrets store';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
/** A comma-separated list, trimmed, empty items dropped; an empty string is the empty list. */
const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) => v.split(',').map((item) => item.trim()).filter(Boolean));
const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v ? v : undefined));

const commaList = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

/** A host and port of a Redis Cluster node or a sentinel. */
export interface HostPort {
  host: string;
  port: number;
}

/** `host:port,host:port,…` (a missing or empty list is the empty list). */
const hostPorts = z
  .string()
  .optional()
  .transform((v, ctx) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((item): HostPort => {
        const m = /^(\[[0-9a-f:.]+\]|[^\s:]+):(\d{1,5})$/i.exec(item);
        const p = Number(m?.[2]);
        if (!m || p < 1 || p > 65535) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${item}" is not host:port; list the nodes as host:port,host:port,… (e.g. redis-0:6379,redis-1:6379)` });
          return { host: '', port: 0 };
        }
        return { host: m[1].replace(/^\[|\]$/g, ''), port: p };
      }),
  );

/** Where the cache and the rate-limit counters live (see `redisTarget`). */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | { mode: 'cluster'; nodes: HostPort[]; password?: string }
  | { mode: 'sentinel'; sentinels: HostPort[]; name: string; password?: string };

/** One `RATE_LIMIT_RULES` entry: whom it matches (all given fields must) and the limits it sets. */
const rateLimitRulesSchema = z.array(
  z
    .object({
      org: z.string().min(1).optional(),
      category: z.string().min(1).optional(),
      client: z.string().min(1).optional(),
      sub: z.string().min(1).optional(),
      requestsPerMinute: z.number().int().min(1).optional(),
      subjectsPerDay: z.number().int().min(1).optional(),
    })
    .strict(),
);
export type RateLimitRule = z.infer<typeof rateLimitRulesSchema>[number];

const baseSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_HOST: z.string().default('localhost'),
  GATEWAY_PORT: port(4000),
  DATA_DIR: z.string().default('.data'),
  SUPERGRAPH_PATH: z.string().default('schema/supergraph.graphql'),
  /**
   * Where the gateway reads its supergraph instead of SUPERGRAPH_PATH: fetched at start and polled
   * (with If-None-Match) every SUPERGRAPH_POLL_INTERVAL_MS, e.g. a schema registry's URL. @default unset
   */
  SUPERGRAPH_URL: optionalUrl,
  /** How often the gateway checks SUPERGRAPH_PATH (or SUPERGRAPH_URL) for a new supergraph; 0 = read once at start. @default 2000 */
  SUPERGRAPH_POLL_INTERVAL_MS: z.coerce.number().int().min(0).max(8000).default(2000),
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
  // Database connections (every store: the subgraphs' and the audit store). Without these a
  // partitioned or stopped peer holds a connection, and the audit chain lock, forever.
  /** Opening a database connection (TCP + login) fails after this long. @default 5000 */
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(DB_TIMEOUT_DEFAULTS.connectTimeoutMs),
  /** The server cancels a statement running longer (PostgreSQL `statement_timeout`); the client drops a connection that has not answered 1 s after it. @default 10000 */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(DB_TIMEOUT_DEFAULTS.statementTimeoutMs),
  /** A statement waiting longer for a lock fails (PostgreSQL `lock_timeout`, MariaDB `innodb_lock_wait_timeout` rounded up to seconds). @default 5000 */
  DB_LOCK_TIMEOUT_MS: z.coerce.number().int().min(100).default(DB_TIMEOUT_DEFAULTS.lockTimeoutMs),
  /** PostgreSQL ends a session idle this long inside a transaction, releasing its locks: a stalled audit writer loses the chain lock. @default 2000 */
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(100).default(DB_TIMEOUT_DEFAULTS.idleInTransactionTimeoutMs),
  /** TCP keepalive probes start after a connection is silent this long, so a dead peer is noticed. @default 10000 */
  DB_KEEPALIVE_MS: z.coerce.number().int().min(100).default(DB_TIMEOUT_DEFAULTS.keepAliveMs),
  /** /readyz reports 503 when a batch of audit records has been committing for longer than this. @default 3000 */
  AUDIT_STALLED_AFTER_MS: z.coerce.number().int().min(100).default(3000),
  // A citizen's access history (/me/graphql) hides accesses under a non-disclosure rule until
  // they are ACCESS_HISTORY_DELAY_DAYS old. Each list is comma-separated and matched exactly.
  /** Principal categories (the token's `category` claim) whose accesses are hidden. @default public-security,state-security */
  ACCESS_HISTORY_HIDDEN_CATEGORIES: list('public-security,state-security'),
  /** Organisations (the token's `org` claim) whose accesses are hidden. @default none */
  ACCESS_HISTORY_HIDDEN_ORGS: list(''),
  /** Declared purposes whose accesses are hidden. @default none */
  ACCESS_HISTORY_HIDDEN_PURPOSES: list(''),
  /** Days a hidden access stays hidden; 0 shows it at once. @default 180 */
  ACCESS_HISTORY_DELAY_DAYS: z.coerce.number().int().min(0).max(36500).default(180),
  // Certified extracts (gateway/src/extracts).
  /** The archive named on every certified extract. @default 常德市档案馆 */
  ARCHIVE_NAME: z.string().min(1).default('常德市档案馆'),
  /** The gateway's public base URL: extracts print `<PUBLIC_URL>/verify/<code>` in their QR code, and `pdfUrl` points under it. @default http://PUBLIC_HOST:GATEWAY_PORT */
  PUBLIC_URL: optionalUrl,
  /** Verification requests (GET /verify/<code>, POST /verify) per client address and minute; 0 = unlimited. @default 30 */
  VERIFY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(30),
  /** Largest PDF that POST /verify accepts, in bytes. @default 5 MiB */
  VERIFY_MAX_PDF_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
  /** Longest an approval of a request for access (a grant) may last, in days from its approval. @default 30 */
  ACCESS_GRANT_MAX_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // Rules over the audit log (gateway/src/audit/rules.ts): thresholds and the working calendar.
  /** The gateway evaluates the rules and updates the overview rollup over new records this often; 0 = never (on demand only). @default 10 */
  AUDIT_RULES_INTERVAL_SECONDS: z.coerce.number().min(0).default(10),
  /** Most new records one evaluation takes; the rest wait for the next. @default 5000 */
  AUDIT_RULES_BATCH: z.coerce.number().int().min(1).max(100_000).default(5000),
  /** `bulk-subjects` fires when one requester's records name more than this many distinct subjects in one local day. @default 50 */
  AUDIT_RULE_BULK_SUBJECTS: z.coerce.number().int().min(1).default(50),
  /** `case-reuse` fires when one case number is declared for more than this many distinct subjects. @default 20 */
  AUDIT_RULE_CASE_SUBJECTS: z.coerce.number().int().min(1).default(20),
  /** Working hours, local time, `HH:MM-HH:MM` (end exclusive); `off-hours` flags record reads outside them. @default 08:00-18:00 */
  AUDIT_RULE_WORK_HOURS: z
    .string()
    .default('08:00-18:00')
    .transform((v, ctx) => {
      const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(v.trim());
      const start = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
      const end = m ? Number(m[3]) * 60 + Number(m[4]) : NaN;
      if (!(start >= 0 && end <= 24 * 60 && start < end)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be HH:MM-HH:MM with the start before the end, e.g. 08:00-18:00' });
        return z.NEVER;
      }
      return { startMinute: start, endMinute: end };
    }),
  /** Working days, ISO weekday numbers (1 = Monday … 7 = Sunday), comma-separated. @default 1,2,3,4,5 */
  AUDIT_RULE_WORK_DAYS: z
    .string()
    .default('1,2,3,4,5')
    .transform((v, ctx) => {
      const days = v.split(',').map((d) => Number(d.trim()));
      if (days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be ISO weekday numbers 1-7, e.g. 1,2,3,4,5' });
        return z.NEVER;
      }
      return [...new Set(days)].sort();
    }),
  /** `volume-spike` fires when a requester's requests in one day exceed this many times their mean over their active days of the baseline... @default 5 */
  AUDIT_RULE_SPIKE_FACTOR: z.coerce.number().min(1).default(5),
  /** ...and are at least this many... @default 30 */
  AUDIT_RULE_SPIKE_MIN: z.coerce.number().int().min(1).default(30),
  /** ...the baseline being the previous this-many days, of which at least 3 had requests. @default 14 */
  AUDIT_RULE_BASELINE_DAYS: z.coerce.number().int().min(1).max(90).default(14),
  /**
   * `purpose-not-allowed`: the purposes each organisation may declare, JSON `{ "<org>": ["<purpose code>", …] }`;
   * an organisation not listed is not judged. @default {}
   */
  AUDIT_RULE_ORG_PURPOSES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        const map = JSON.parse(v || '{}');
        if (typeof map !== 'object' || map === null || Array.isArray(map) || !Object.values(map).every((l) => Array.isArray(l) && l.every((p) => typeof p === 'string'))) {
          throw new Error('expected {"<organisation>": ["<purpose code>", …]}');
        }
        return map as Record<string, string[]>;
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `AUDIT_RULE_ORG_PURPOSES: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  /** IANA time zone of the working calendar and of the rules' days. @default Asia/Shanghai */
  AUDIT_RULE_TIME_ZONE: z
    .string()
    .default('Asia/Shanghai')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Shanghai'),
  /** A single Redis (a primary, with replicas if you like): `redis://[:password@]host:port[/db]`. @default unset = in memory */
  REDIS_URL: optionalUrl,
  /** Redis Cluster: some of its nodes, `host:port,host:port,…` (the client discovers the rest). @default unset */
  REDIS_CLUSTER_NODES: hostPorts,
  /** Redis Sentinel: the sentinels, `host:port,…`; with REDIS_SENTINEL_NAME. @default unset */
  REDIS_SENTINELS: hostPorts,
  /** The master name the sentinels monitor (`sentinel monitor <name> …`). @default unset */
  REDIS_SENTINEL_NAME: optionalUrl,
  /** Password of the Redis Cluster nodes, or of the master and replicas behind the sentinels (REDIS_URL carries its own). @default unset */
  REDIS_PASSWORD: optionalUrl,
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
  // Demand control (gateway/src/limits/demand-control.ts): Apollo Router's cost, from @cost/@listSize in the SDLs.
  /** `enforce` refuses an operation estimated above DEMAND_CONTROL_MAX_COST (COST_ESTIMATED_TOO_EXPENSIVE); `measure` serves it and only counts it. @default enforce */
  DEMAND_CONTROL_MODE: z.enum(['measure', 'enforce']).default('enforce'),
  /** Largest estimated operation cost: objects count 1 (or their @cost), lists multiply what is under them by their size. @default 20000 */
  DEMAND_CONTROL_MAX_COST: z.coerce.number().int().min(1).default(20000),
  /** Size of a list field without @listSize (Router's static_estimated.list_size). @default 10 */
  DEMAND_CONTROL_LIST_SIZE: z.coerce.number().int().min(1).default(10),
  /** Nesting of arrays and objects in a request's variables (the variables object is level 1), checked before parsing the document. @default 10 */
  MAX_VARIABLE_DEPTH: z.coerce.number().int().min(2).default(10),
  /** Operations per batched request (a JSON array); 0 = batched requests refused. @default 0 */
  MAX_BATCH_OPERATIONS: z.coerce.number().int().min(0).max(100).default(0),
  /** `/readyz` answers 503 when one of its checks (audit store, each subgraph) takes longer than this. @default 2000 */
  READYZ_TIMEOUT_MS: z.coerce.number().int().min(100).default(2000),
  /** How long `/readyz` reuses a check's answer, so frequent probes cost the dependencies little. @default 1000 */
  READYZ_CACHE_MS: z.coerce.number().int().min(0).default(1000),
  /**
   * On SIGTERM, how long the gateway keeps serving while `/readyz` answers 503, so load balancers
   * stop sending before connections close. @default 5000 in production, 0 otherwise
   */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).optional(),
  /** Then, how long in-flight requests may take to finish before their connections are closed. @default 10000 */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).default(10000),
  /** Longest one gateway-to-subgraph call may take; then its fields are null with SUBGRAPH_UNAVAILABLE. @default 10000 */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10000),
  /**
   * `on`: a subgraph query identical to one another request already has in flight, for a caller
   * the subgraph's access rules cannot tell apart, waits for that one's answer instead of being
   * sent again (gateway/src/fetch/in-flight.ts). @default on
   */
  SUBGRAPH_DEDUP: z.enum(['on', 'off']).default('on'),
  /** HS256 secret for client JWTs (local tokens from `npm run token`). Required in production unless JWT_JWKS_* is set. */
  JWT_SECRET: optionalUrl,
  /** JWKS for RS256/ES256 client JWTs: a URL or a file path. */
  JWT_JWKS_URL: optionalUrl,
  JWT_JWKS_FILE: optionalUrl,
  JWT_ISSUER: z.string().default('archive-federation'),
  JWT_AUDIENCE: z.string().default('archive-federation'),
  /** Longest accepted client-token lifetime (`exp` - `iat`, and `exp` - now): a stolen long-lived token stays usable no longer. @default 86400 */
  JWT_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).default(86400),
  /** Clock difference tolerated against the token issuer for `nbf` and an `iat` in the future (`exp` is not stretched). @default 60 */
  JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(60),
  /** Host names (comma-separated) besides localhost, 127.0.0.1, [::1] and PUBLIC_HOST under which the development token endpoint answers. @default none */
  DEV_TOKEN_HOSTS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)),
  /** Claims (comma-separated, dot paths allowed) holding the token's scopes: a space-separated string or an array. @default scope,scp */
  JWT_SCOPE_CLAIMS: z.string().default('scope,scp').transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean)),
  /** Claim (dot path) holding the requester category, or a value mapped to one through JWT_CATEGORY_MAP. @default category */
  JWT_CATEGORY_CLAIM: z.string().default('category'),
  /** Claim (dot path, e.g. `realm_access.roles`) holding identity-provider roles that JWT_CATEGORY_MAP maps to a category. @default unset */
  JWT_ROLES_CLAIM: optionalUrl,
  /** JSON object mapping claim or role values to requester categories, e.g. `{"org_court":"court"}`. @default {} */
  JWT_CATEGORY_MAP: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        const map = JSON.parse(v || '{}');
        if (typeof map !== 'object' || map === null || Array.isArray(map) || Object.values(map).some((c) => !isCategory(c))) throw new Error(`values must be one of ${CATEGORIES.join(', ')}`);
        return map as Record<string, string>;
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `JWT_CATEGORY_MAP: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  /** Folder holding the access rules: purposes.yaml, rules.cedar and schema.cedarschema. @default policies/ */
  ACCESS_POLICY_DIR: z.string().default(DEFAULT_POLICY_DIR),
  /** HS256 secret the gateway signs per-request internal tokens with; subgraphs verify them. */
  INTERNAL_TOKEN_SECRET: optionalUrl,
  /** `filter`: unauthorized fields come back null with an error; `reject`: the whole request is refused. */
  AUTHZ_MODE: z.enum(['filter', 'reject']).default('filter'),
  /** Lifetime of an internal token. */
  INTERNAL_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).max(600).default(60),
  // Trusted operations (gateway/src/operations): each client system's published, approved documents.
  /** `off`, `log` (serve an unlisted document, log it) or `refuse` (PERSISTED_QUERY_NOT_IN_LIST). @default refuse in production, off otherwise */
  TRUSTED_OPERATIONS: z.enum(['off', 'log', 'refuse']).optional(),
  /** Token claim naming the client system; unset = the `apollographql-client-name` header names it. @default unset */
  TRUSTED_OPERATIONS_CLIENT_CLAIM: optionalUrl,
  /** Scopes (comma-separated) whose holders may send any document (archivists at the explorer, auditors). @default none */
  TRUSTED_OPERATIONS_EXEMPT_SCOPES: commaList,
  /** Also check requests that name no client system (they match no list, so `refuse` refuses them). @default false */
  TRUSTED_OPERATIONS_REQUIRE_CLIENT: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  /** How long a gateway reuses a client's list before reading it again: publish/approve/retire reach every replica within this. @default 5 */
  TRUSTED_OPERATIONS_CACHE_SECONDS: z.coerce.number().min(0).default(5),
  /** The trusted-operations store (PostgreSQL). @default AUDIT_DB_URL, or embedded PGlite under DATA_DIR when that is unset too */
  OPERATIONS_DB_URL: optionalUrl,
  // Rate limits and quotas (gateway/src/ratelimit); counters in Redis (REDIS_URL) or in memory.
  /** Requests per minute per subject (token `sub`); 0 = no default limit. @default 0 */
  RATE_LIMIT_REQUESTS_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  /** Records of distinct subjects released per organisation per UTC day; 0 = no default quota. @default 0 */
  RATE_LIMIT_SUBJECTS_PER_DAY: z.coerce.number().int().min(0).default(0),
  /** How old a gateway's view of a quota may be, and how long its releases may wait to be counted in Redis (ms). @default 50 */
  RATE_LIMIT_QUOTA_SYNC_MS: z.coerce.number().int().min(1).max(10_000).default(50),
  /** Finer rules, JSON: `[{ "org"?, "category"?, "client"?, "sub"?, "requestsPerMinute"?, "subjectsPerDay"? }]` (see README). @default [] */
  RATE_LIMIT_RULES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return rateLimitRulesSchema.parse(v ? JSON.parse(v) : []);
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a list of rules: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Tracing (lib/tracing.ts): OpenTelemetry's standard variables, off unless an exporter is configured.
  // The OTLP exporter reads the rest itself (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, …); OTEL_RESOURCE_ATTRIBUTES is read too.
  /** `true` turns tracing off whatever else is set. @default false */
  OTEL_SDK_DISABLED: z.enum(['true', 'false', '1', '0', '']).default('false').transform((v) => v === 'true' || v === '1'),
  /** `otlp` (on when an OTLP endpoint is set), `console` (spans on stdout), `none`, or `memory` (kept in memory: the benchmark's). @default otlp */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none', 'memory']).default('otlp'),
  /** OTLP/HTTP collector base URL (`/v1/traces` appended); setting it turns tracing on. @default unset (off) */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  /** Full OTLP/HTTP traces URL, instead of the base URL above. @default unset */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  /** `service.name` of the spans. @default archive-gateway, or archive-<department> for a subgraph */
  OTEL_SERVICE_NAME: optionalUrl,
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

export type Config = Omit<z.infer<typeof baseSchema>, 'INTERNAL_TOKEN_SECRET' | 'SHUTDOWN_DELAY_MS' | 'TRUSTED_OPERATIONS'> & {
  INTERNAL_TOKEN_SECRET: string;
  SHUTDOWN_DELAY_MS: number;
  TRUSTED_OPERATIONS: 'off' | 'log' | 'refuse';
  subgraphs: Record<Department, SubgraphConfig>;
  /** The Redis of REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS; undefined = cache and counters in memory. */
  redis: RedisTarget | undefined;
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
  if (data.NODE_ENV === 'production') {
    const problems = productionSecretProblems(data);
    if (problems.length > 0) throw new Error(`Invalid environment for production: ${problems.join('; ')}`);
  }
  const redis = redisTarget(data);
  return {
    ...data,
    redis,
    // Development defaults so `npm start` and `npm run token` work out of the box; never used in production.
    JWT_SECRET: data.JWT_SECRET ?? (data.JWT_JWKS_URL || data.JWT_JWKS_FILE ? undefined : DEV_JWT_SECRET),
    INTERNAL_TOKEN_SECRET: data.INTERNAL_TOKEN_SECRET ?? DEV_INTERNAL_SECRET,
    // Behind a load balancer (production) the delay lets it notice the 503; Ctrl-C in development should not wait.
    SHUTDOWN_DELAY_MS: data.SHUTDOWN_DELAY_MS ?? (data.NODE_ENV === 'production' ? 5000 : 0),
    // Production serves client systems only the documents the archive approved; development lets anything through.
    TRUSTED_OPERATIONS: data.TRUSTED_OPERATIONS ?? (data.NODE_ENV === 'production' ? 'refuse' : 'off'),
    subgraphs,
    subgraphUrlOverrides,
  };
}

/** The one Redis deployment configured; throws when two are, or a sentinel setup lacks its master name. */
function redisTarget(data: z.infer<typeof baseSchema>): RedisTarget | undefined {
  const set = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter((name) => (name === 'REDIS_URL' ? data.REDIS_URL : data[name].length > 0));
  if (set.length > 1) throw new Error(`Invalid environment: ${set.join(' and ')} are both set; set one of REDIS_URL (one Redis), REDIS_CLUSTER_NODES (Redis Cluster) or REDIS_SENTINELS (Redis Sentinel)`);
  if (data.REDIS_SENTINELS.length > 0 && !data.REDIS_SENTINEL_NAME) throw new Error('Invalid environment: REDIS_SENTINELS needs REDIS_SENTINEL_NAME, the master name the sentinels monitor');
  if (data.REDIS_SENTINEL_NAME && data.REDIS_SENTINELS.length === 0) throw new Error('Invalid environment: REDIS_SENTINEL_NAME is set without REDIS_SENTINELS (host:port,… of the sentinels)');
  if (data.REDIS_URL) return { mode: 'single', url: data.REDIS_URL };
  if (data.REDIS_CLUSTER_NODES.length > 0) return { mode: 'cluster', nodes: data.REDIS_CLUSTER_NODES, password: data.REDIS_PASSWORD };
  if (data.REDIS_SENTINELS.length > 0) return { mode: 'sentinel', sentinels: data.REDIS_SENTINELS, name: data.REDIS_SENTINEL_NAME!, password: data.REDIS_PASSWORD };
  return undefined;
}

/** Why a production secret is unusable, or undefined when it is acceptable. */
function secretProblem(name: string, value: string): string | undefined {
  if (KNOWN_SECRETS.has(value)) return `${name} is the published development secret; ${HOW_TO_MAKE_ONE}`;
  if (PLACEHOLDER.test(value)) return `${name} is a placeholder ("${value.slice(0, 12)}…"); ${HOW_TO_MAKE_ONE}`;
  if (value.length < MIN_SECRET_LENGTH) return `${name} is ${value.length} characters, shorter than ${MIN_SECRET_LENGTH}; ${HOW_TO_MAKE_ONE}`;
  return undefined;
}

/**
 * What production refuses: a missing secret, a published or placeholder one, a short one, and one
 * secret used for two purposes. (The audit signing key is required where it is used: audit/signing.ts.)
 */
function productionSecretProblems(data: z.infer<typeof baseSchema>): string[] {
  const problems: string[] = [];
  if (!data.INTERNAL_TOKEN_SECRET) problems.push(`INTERNAL_TOKEN_SECRET must be set; ${HOW_TO_MAKE_ONE}`);
  if (!data.JWT_SECRET && !data.JWT_JWKS_URL && !data.JWT_JWKS_FILE) problems.push('set JWT_SECRET or JWT_JWKS_URL/JWT_JWKS_FILE');
  for (const name of ['JWT_SECRET', 'INTERNAL_TOKEN_SECRET'] as const) {
    const value = data[name];
    const problem = value === undefined ? undefined : secretProblem(name, value);
    if (problem) problems.push(problem);
  }
  if (data.JWT_SECRET && data.JWT_SECRET === data.INTERNAL_TOKEN_SECRET) {
    problems.push('JWT_SECRET and INTERNAL_TOKEN_SECRET are the same; a client token signer could then sign internal tokens: use two secrets');
  }
  return problems;
}
