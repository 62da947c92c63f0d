/**
 * `npm run import -- --dept <department> --file <corrections.json>`: applies a batch of record
 * corrections that arrive from a department's own system to its store (the same change as the
 * department's correction mutation), then drops every cached answer that showed a changed person,
 * through the gateway's cache: in Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS) that reaches every gateway replica at once, and
 * in the durable invalidation log in the audit database (AUDIT_DB_URL), which the replicas check
 * every entry against, so a Redis that comes back with old data cannot serve them either.
 *
 * The file is a JSON array of the mutation's arguments, one object per correction:
 *   social-security    { "idNumber": "…", "name": "…" }               (correctPersonName)
 *   marriage           { "id": "12", "office": "…" }                   (correctMarriageOffice)
 *   real-estate        { "unitNumber": "…", "location": "…" }          (correctPropertyLocation)
 *   medical-insurance  { "idNumber": "…", "personType": "RETIRED" }    (correctMedicalPersonType)
 * Exit status: 0 all applied and invalidated; 1 some rows refused; 2 the invalidation could not be
 * logged (or, without AUDIT_DB_URL, the cache could not be reached).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEPARTMENTS, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { appendInvalidations, Cache, openCacheStore, personTag } from '../gateway/src/cache';
import { openAuditStore } from '../gateway/src/audit/store';
import { cacheMetrics } from '../gateway/src/cache/metrics';
import { MetricsRegistry } from '../gateway/src/metrics';
import { openDepartmentStore } from '../subgraphs/common/run';
import { subgraphDefinition } from '../subgraphs';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { dept: { type: 'string' }, file: { type: 'string' } } });
  if (!values.dept || !values.file) throw new Error(`Usage: npm run import -- --dept <${DEPARTMENTS.join('|')}> --file <corrections.json>`);
  const def = subgraphDefinition(values.dept);
  const rows = JSON.parse(readFileSync(values.file, 'utf8')) as Array<Record<string, unknown>>;
  if (!Array.isArray(rows)) throw new Error(`${values.file} must hold a JSON array of corrections`);
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'import');

  const changed = new Set<string>();
  let refused = 0;
  const store = await openDepartmentStore(def, config);
  try {
    for (const [i, row] of rows.entries()) {
      try {
        const persons = await def.correction.apply(store, row);
        persons.forEach((p) => changed.add(p));
      } catch (err) {
        refused++;
        console.error(`row ${i + 1}: ${(err as Error).message}`);
      }
    }
  } finally {
    await store.close();
  }
  console.log(`${def.name}: ${rows.length - refused} of ${rows.length} corrections applied, ${changed.size} persons changed`);
  if (changed.size === 0) return refused ? 1 : 0;

  if (!config.redis) console.warn('No Redis is configured (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS): a running gateway caches in its own memory, which this process cannot reach; its entries expire on their own.');
  const tags = [...changed].map(personTag);
  const logged = await logInvalidations(config, tags);
  const cache = new Cache({ store: openCacheStore(config), logger, metrics: cacheMetrics(new MetricsRegistry()), retryAfterMs: 0 });
  let dropped = false;
  try {
    await cache.connect(2000);
    for (let attempt = 0; attempt < 5 && !dropped; attempt++) {
      dropped = await cache.invalidate(tags);
      if (!dropped) await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await cache.close();
  }
  if (dropped) console.log(`Dropped the cached answers showing the ${changed.size} persons changed.`);
  else if (logged === true) console.warn('Redis could not be reached; the gateways ignore those answers anyway (the invalidation is logged in the audit database).');
  // Logged durably, or (without a log) dropped from Redis: no gateway serves the old records.
  if (logged === true || (logged === 'no log' && dropped)) return refused ? 1 : 0;
  console.error(`The records are written, but the invalidation could not be ${logged === false ? 'logged in the audit database' : 'applied'}: stale answers may be served until they expire (CACHE_MAX_TTL_SECONDS, ${config.CACHE_MAX_TTL_SECONDS} s). Re-run the import once it is back.`);
  return 2;
}

/**
 * Appends the invalidation to the audit database's log (true), or says why not: false when it is
 * unreachable; 'no log' without Redis (nothing outlives a gateway's own memory) or without
 * AUDIT_DB_URL (the embedded audit store belongs to the one gateway running on it).
 */
async function logInvalidations(config: ReturnType<typeof loadConfig>, tags: string[]): Promise<boolean | 'no log'> {
  if (!config.redis) return 'no log';
  if (!config.AUDIT_DB_URL) {
    console.warn('AUDIT_DB_URL is unset: the invalidation is not logged durably; a Redis restored from older data may serve stale answers until they expire.');
    return 'no log';
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const audit = await openAuditStore(config.AUDIT_DB_URL, config.DATA_DIR);
      try {
        await appendInvalidations(audit.db, tags);
        return true;
      } finally {
        await audit.close();
      }
    } catch (err) {
      console.error(`audit database: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return false;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error((err as Error).message);
    process.exit(1);
  },
);
