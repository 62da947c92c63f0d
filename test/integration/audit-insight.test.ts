/**
 * Rules over the audit log and the overview, on the embedded store: a week of ordinary traffic with
 * planted misuse; each rule fires on its plant and on nothing else, whether evaluated continuously
 * (small ticks) or on demand; the overview's buckets match counts computed from the records. Old
 * requester windows are pruned on the embedded store and on PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { MetricsRegistry } from '../../gateway/src/metrics';
import { loadConfig } from '../../lib/config';
import { coordinateOwners, departmentsOf } from '../../gateway/src/audit/departments';
import { localTime } from '../../gateway/src/audit/rules';
import { InsightEvaluator, ruleSettings } from '../../gateway/src/audit/evaluator';
import { categoryOf, DENIED_OUTCOMES } from '../../gateway/src/audit/rollup';
import { insightResolvers } from '../../gateway/src/audit/insight-api';
import { topMonthRollupMigration, topRanksMigration, topRollupMigration } from '../../gateway/src/audit/insight-store';
import type { AuditEntry } from '../../gateway/src/audit/record';
import { loadCheckpointSigner } from '../../gateway/src/audit/signing';
import { LazyAuditStore } from '../../gateway/src/audit/store';
import { AuditWriter } from '../../gateway/src/audit/writer';
import { dropDatabase } from '../../lib/db';
import { silentLogger, testDbUrl } from '../helpers';
import { entry, NEIGHBOUR, NEIGHBOUR_CLERK, ordinarySubject, REUSED_CASE, shanghai, weekOfTraffic } from '../audit-traffic';

const settings = ruleSettings(loadConfig({}));
const departments = coordinateOwners(readFileSync('schema/supergraph.graphql', 'utf8'));

/** An audit writer on `lazy` that commits each batch at once. */
const writerOf = (lazy: LazyAuditStore) =>
  new AuditWriter({
    store: lazy,
    signer: loadCheckpointSigner({ dataDir: 'memory', logger: silentLogger }),
    logger: silentLogger,
    batchMs: 0,
    batchMax: 500,
    checkpointRecords: 10_000,
    checkpointSeconds: 600,
    writeTimeoutMs: 30_000,
  });

describe('audit rules and overview on PGlite', () => {
  const lazy = new LazyAuditStore(undefined, 'memory');
  const writer = writerOf(lazy);
  const metrics = new MetricsRegistry();
  // Small ticks: windows are re-evaluated as their records arrive, as in a running gateway.
  const evaluator = new InsightEvaluator({ store: lazy, settings, departments, batch: 97, logger: silentLogger, metrics });
  const api = insightResolvers(lazy, evaluator, settings);
  const { ordinary, planted } = weekOfTraffic();
  const all: AuditEntry[] = [...ordinary, ...Object.values(planted).flat()].sort((a, b) => a.time.localeCompare(b.time));

  beforeAll(async () => {
    for (let i = 0; i < all.length; i += 400) await Promise.all(all.slice(i, i + 400).map((e) => writer.append(e)));
    let report;
    do report = await evaluator.tick();
    while (report && report.records > 0);
  }, 120_000);
  afterAll(async () => {
    await writer.close();
    await lazy.close();
  });

  const findings = async (filter = {}) => (await api.Query.auditFindings(null, { filter, first: 100 })).edges.map((e) => e.node);

  it('flags each planted misuse once, under its rule, and nothing in the ordinary traffic', async () => {
    const found = await findings();
    expect(found.map((f) => `${f.rule} ${f.window}`).sort()).toEqual(
      [`bulk-subjects clerk-bulk/2026-11-25`, `case-reuse case:${REUSED_CASE}`, `off-hours clerk-night/2026-11-26`, `same-county ${NEIGHBOUR_CLERK}/2026-11-24`, 'volume-spike clerk-spike/2026-11-27'].sort(),
    );
    const store = await lazy.get();
    const seqsOf = async (ids: string[]) => (await store.db.selectFrom('audit_record').select('seq').where('id', 'in', ids).orderBy('seq').execute()).map((r) => Number(r.seq));
    const bulk = found.find((f) => f.rule === 'bulk-subjects')!;
    expect(bulk).toMatchObject({ severity: 'HIGH', requester: { sub: 'clerk-bulk' }, acknowledged: false });
    expect(bulk.subjects).toHaveLength(60);
    expect(bulk.recordSeqs).toEqual(await seqsOf(planted.bulk.map((e) => e.id)));
    const reuse = found.find((f) => f.rule === 'case-reuse')!;
    expect(reuse.recordSeqs).toEqual(await seqsOf(planted.caseReuse.map((e) => e.id)));
    expect(reuse.subjects).toHaveLength(25);
    expect(found.find((f) => f.rule === 'off-hours')!.recordSeqs).toEqual(await seqsOf(planted.offHours.map((e) => e.id)));
    expect(found.find((f) => f.rule === 'same-county')!.subjects).toEqual([NEIGHBOUR]);
    expect(found.find((f) => f.rule === 'volume-spike')!.recordSeqs).toEqual(await seqsOf(planted.spike.map((e) => e.id)));
    expect(await metrics.registry.getSingleMetricAsString('audit_findings_total')).toContain('audit_findings_total{rule="bulk-subjects",severity="HIGH"} 1');
  });

  it('finds the same on demand over the week, without duplicating findings', async () => {
    const report = await evaluator.evaluatePeriod('2026-11-22T16:00:00.000Z', '2026-11-27T16:00:00.000Z');
    expect(report.created).toBe(0);
    expect(report.records).toBe(all.filter((e) => e.subjects.length > 0).length);
    expect(await findings()).toHaveLength(5);
    // A stricter period sees the case reuse only partly (windows are clipped): no finding for it.
    const monday = await evaluator.evaluatePeriod('2026-11-22T16:00:00.000Z', '2026-11-23T16:00:00.000Z');
    expect(monday).toMatchObject({ created: 0, findings: 0 });
  });

  it('filters findings and records acknowledgements with their note', async () => {
    expect((await findings({ rule: 'off-hours' })).map((f) => f.window)).toEqual(['clerk-night/2026-11-26']);
    expect(await findings({ severity: 'HIGH' })).toHaveLength(1);
    const [offHours] = await findings({ rule: 'off-hours' });
    const principal = { authenticated: true, sub: 'auditor-7', scopes: ['audit:read'] };
    const acked = await api.Mutation.acknowledgeAuditFinding(null, { id: offHours.id, note: '值班民警处理紧急寻亲，已核实' }, { principal } as never);
    expect(acked).toMatchObject({ acknowledged: true, acknowledgement: { note: '值班民警处理紧急寻亲，已核实', by: 'auditor-7' } });
    expect((await findings({ acknowledged: false })).map((f) => f.rule)).not.toContain('off-hours');
    // Re-evaluating an unchanged window keeps the acknowledgement.
    await evaluator.evaluatePeriod('2026-11-25T16:00:00.000Z', '2026-11-26T16:00:00.000Z');
    expect((await findings({ rule: 'off-hours' }))[0].acknowledged).toBe(true);
    await expect(api.Mutation.acknowledgeAuditFinding(null, { id: offHours.id, note: '  ' }, { principal } as never)).rejects.toThrow(/note/);
    const records = await api.AuditFinding.records({ recordSeqs: offHours.recordSeqs }, { first: 10 });
    expect(records.map((r) => r.id)).toEqual(planted.offHours.map((e) => e.id));
  });

  it('answers the overview from the rollup with the counts the records give', async () => {
    const expected = (key: (e: AuditEntry) => string[]) => {
      const out = new Map<string, { count: number; denied: number }>();
      for (const e of all)
        for (const k of key(e)) {
          const b = out.get(k) ?? { count: 0, denied: 0 };
          b.count += 1;
          if (DENIED_OUTCOMES.includes(e.outcome)) b.denied += 1;
          out.set(k, b);
        }
      return Object.fromEntries([...out].sort(([a], [b]) => a.localeCompare(b)));
    };
    const overview = async (groupBy: string) => {
      const { buckets } = await api.Query.auditOverview(null, { from: '2026-11-20T00:00:00Z', to: '2026-12-01T00:00:00Z', groupBy: groupBy as never });
      return Object.fromEntries(buckets.map((b) => [b.key, { count: b.count, denied: b.denied }]).sort(([a], [b]) => String(a).localeCompare(String(b))));
    };
    expect(await overview('ORGANISATION')).toEqual(expected((e) => [e.principal.org ?? 'none']));
    expect(await overview('PURPOSE')).toEqual(expected((e) => [e.purpose ?? 'none']));
    expect(await overview('CATEGORY')).toEqual(expected((e) => [categoryOf(e.principal)]));
    expect(await overview('CATEGORY')).toHaveProperty('government');
    expect(await overview('DEPARTMENT')).toEqual(expected((e) => (departmentsOf(departments, e.fieldsReturned).length ? departmentsOf(departments, e.fieldsReturned) : ['none'])));
    expect(Object.keys(await overview('DEPARTMENT'))).toEqual(['marriage', 'medical-insurance', 'none', 'real-estate', 'social-security']);
    expect(await overview('HOUR')).toEqual(expected((e) => [`${e.time.slice(0, 13)}:00:00Z`]));
    expect(await overview('DAY')).toEqual(expected((e) => [e.time.slice(0, 10)]));
    // Whole days from the daily rollup, the hours at either end from the hourly one.
    const within = (e: AuditEntry) => e.time >= '2026-11-24T05:00:00.000Z' && e.time < '2026-11-26T07:00:00.000Z';
    const partial = await api.Query.auditOverview(null, { from: '2026-11-24T05:00:00Z', to: '2026-11-26T07:00:00Z', groupBy: 'ORGANISATION' });
    const byOrg = expected((e) => (within(e) ? [e.principal.org ?? 'none'] : []));
    expect(Object.fromEntries(partial.buckets.map((b) => [b.key, { count: b.count, denied: b.denied }]))).toEqual(byOrg);
    // The requested range is widened to whole hours; a range without records has no buckets.
    expect((await api.Query.auditOverview(null, { from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z', groupBy: 'HOUR' })).buckets).toEqual([]);
    const store = await lazy.get();
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM audit_rollup`.execute(store.db);
    // Several records per row even in this spread-out traffic; at a steady rate a row holds many more.
    expect(Number(rows[0].n)).toBeLessThan(all.length / 2);
  });

  it('lists the top requesters and subjects of a period, and accesses per hour by organisation, with the counts the records give', async () => {
    const from = '2026-11-24T00:00:00Z';
    const to = '2026-11-27T00:00:00Z';
    const within = all.filter((e) => e.time >= '2026-11-24T00:00:00.000Z' && e.time < '2026-11-27T00:00:00.000Z');
    const tally = (keys: (e: AuditEntry) => string[], records = within) => {
      const out = new Map<string, { key: string; count: number; denied: number }>();
      for (const e of records)
        for (const key of new Set(keys(e))) {
          const b = out.get(key) ?? { key, count: 0, denied: 0 };
          b.count += 1;
          if (DENIED_OUTCOMES.includes(e.outcome)) b.denied += 1;
          out.set(key, b);
        }
      return [...out.values()].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
    };
    // Counted exactly (requesters; subjects over up to 7 days): every entry certain.
    const top = async (args: Parameters<typeof api.Query.auditTop>[1]) => {
      const entries = await api.Query.auditTop(null, args);
      expect(entries.every((e) => e.rankCertain)).toBe(true);
      return entries.map(({ rankCertain: _, ...e }) => e);
    };
    const requesters = await top({ from, to, by: 'REQUESTER', first: 5 });
    expect(requesters).toEqual(tally((e) => [e.principal.sub]).slice(0, 5));
    expect(requesters).toHaveLength(5);
    expect(await top({ from, to, by: 'SUBJECT', first: 100 })).toEqual(tally((e) => e.subjects).slice(0, 100));
    // Widened to whole UTC days: 01:00 to 23:00 reads the same days.
    expect(await top({ from: '2026-11-24T01:00:00Z', to: '2026-11-26T23:00:00Z', by: 'REQUESTER', first: 5 })).toEqual(requesters);
    await expect(api.Query.auditTop(null, { from, to, by: 'SUBJECT', first: 101 })).rejects.toThrow(/first must be between 1 and 100/);

    const hourly = await api.Query.auditTimeline(null, { from, to, interval: 'HOUR', stackBy: 'ORGANISATION' });
    const byHour = tally((e) => [`${e.time.slice(0, 13)}:00:00Z|${e.principal.org ?? 'none'}`]).sort((a, b) => a.key.localeCompare(b.key));
    expect(hourly.map((b) => ({ key: `${b.time}|${b.key}`, count: b.count, denied: b.denied }))).toEqual(byHour);
    const daily = await api.Query.auditTimeline(null, { from: '2026-11-24T05:00:00Z', to, interval: 'DAY', stackBy: 'PURPOSE' });
    const byDay = tally((e) => (e.time >= '2026-11-24T05:00:00.000Z' ? [`${e.time.slice(0, 10)}|${e.purpose ?? 'none'}`] : [])).sort((a, b) => a.key.localeCompare(b.key));
    expect(daily.map((b) => ({ key: `${b.time}|${b.key}`, count: b.count, denied: b.denied }))).toEqual(byDay);
    await expect(api.Query.auditTimeline(null, { from, to, interval: 'HOUR', stackBy: 'HOUR' })).rejects.toThrow(/stackBy must be one of/);

    // A range over whole months reads November from the monthly rollup, the days either side from the daily one.
    const wide = { from: '2026-10-20T00:00:00Z', to: '2026-12-03T00:00:00Z' };
    const wideRequesters = await top({ ...wide, by: 'REQUESTER', first: 5 });
    expect(wideRequesters).toEqual(tally((e) => [e.principal.sub], all).slice(0, 5));
    // Subjects over 44 days: drawn from each period's leaders; the entries no missing subject can match
    // come first and are exactly the records' top, the rest are flagged.
    const wideSubjects = await api.Query.auditTop(null, { ...wide, by: 'SUBJECT', first: 100 });
    const certain = wideSubjects.filter((e) => e.rankCertain);
    expect(certain.length).toBeGreaterThan(0);
    expect(wideSubjects.slice(0, certain.length)).toEqual(certain);
    expect(certain.map(({ rankCertain: _, ...e }) => e)).toEqual(tally((e) => e.subjects, all).slice(0, certain.length));

    // At upgrade the migrations fill the per-day rollup from the records already rolled up, and the per-month one from it: the same lists.
    const store = await lazy.get();
    await sql`DROP TABLE audit_rollup_top_month`.execute(store.db);
    await sql`DROP TABLE audit_rollup_top`.execute(store.db);
    await topRollupMigration.up(store.db);
    await topMonthRollupMigration.up(store.db);
    await topRanksMigration.up(store.db);
    expect(await top({ from, to, by: 'REQUESTER', first: 5 })).toEqual(requesters);
    expect(await top({ from, to, by: 'SUBJECT', first: 100 })).toEqual(tally((e) => e.subjects).slice(0, 100));
    expect(await top({ ...wide, by: 'REQUESTER', first: 5 })).toEqual(wideRequesters);

    // A long range over more subjects a day than a list reads per day: one subject read every day
    // stands out and is certain; the ones read once are listed as uncertain, since a subject below
    // each day's leaders could have been counted up to once a day (10) in all.
    await sql`INSERT INTO audit_rollup_top (day, kind, key, count, denied, cache_hits)
      SELECT timestamptz '2026-09-01T00:00:00Z' + make_interval(days => d), 'SUBJECT', 'once-' || d || '-' || s, 1, 0, 0 FROM generate_series(0, 9) AS d, generate_series(1, 300) AS s
      UNION ALL SELECT timestamptz '2026-09-01T00:00:00Z' + make_interval(days => d), 'SUBJECT', 'every-day', 5, 0, 0 FROM generate_series(0, 9) AS d`.execute(store.db);
    const spread = await api.Query.auditTop(null, { from: '2026-09-01T00:00:00Z', to: '2026-09-11T00:00:00Z', by: 'SUBJECT', first: 20 });
    expect(spread[0]).toEqual({ key: 'every-day', count: 50, denied: 0, rankCertain: true });
    expect(spread).toHaveLength(20);
    expect(spread.slice(1).every((e) => e.count === 1 && !e.rankCertain)).toBe(true);
  });

  it('keeps each window as counting it from the records gives: at upgrade, and again when the calendar changes', async () => {
    const store = await lazy.get();
    const windows = async () =>
      (
        await sql<{ rule: string; window_key: string }>`SELECT w.rule, w.window_key, w.first_seq::int, w.time, w.sub, w.org, w.requests::int, w.subject_count::int, w.subjects,
            w.record_seqs::int[], (SELECT array_agg(l ORDER BY l) FROM unnest(w.labels) AS l) AS labels,
            (SELECT array_agg(s.subject ORDER BY s.subject) FROM audit_rule_window_subject s WHERE s.window_id = w.id) AS subject_set
          FROM audit_rule_window w ORDER BY w.rule, w.window_key`.execute(store.db)
      ).rows;
    // Kept tick by tick, 97 records at a time.
    const kept = await windows();
    expect(kept.filter((w) => w.rule === 'bulk-subjects' && w.window_key === 'clerk-bulk/2026-11-25')).toMatchObject([{ subject_count: 60, subject_set: expect.any(Array) }]);
    // As after the upgrade: no windows yet. The next tick counts them from the log.
    await sql`DELETE FROM audit_rule_window`.execute(store.db);
    await sql`DELETE FROM audit_insight_cursor WHERE name = 'windows'`.execute(store.db);
    expect(await evaluator.tick()).toMatchObject({ records: 0 });
    expect(await windows()).toEqual(kept);
    // Another time zone puts records on other days: counted again under it, and back.
    const utc = new InsightEvaluator({ store: lazy, settings: { ...settings, timeZone: 'UTC' }, departments, batch: 97, logger: silentLogger });
    await utc.tick();
    const inUtc = await windows();
    expect(inUtc).not.toEqual(kept);
    // 03:10 on the 26th in Shanghai is the 25th in UTC.
    expect(inUtc.map((w) => `${w.rule} ${w.window_key}`)).toEqual(expect.arrayContaining(['off-hours clerk-night/2026-11-25']));
    expect(inUtc.map((w) => `${w.rule} ${w.window_key}`)).not.toContain('off-hours clerk-night/2026-11-26');
    await evaluator.tick();
    expect(await windows()).toEqual(kept);
    expect(await findings()).toHaveLength(5);
  });

  it('reads the working calendar from configuration and refuses a malformed one', () => {
    const custom = ruleSettings(loadConfig({ AUDIT_RULE_WORK_HOURS: '07:30-19:00', AUDIT_RULE_WORK_DAYS: '6,1,2', AUDIT_RULE_TIME_ZONE: 'Asia/Urumqi' }));
    expect(custom).toMatchObject({ workHours: { startMinute: 450, endMinute: 1140 }, workDays: [1, 2, 6], timeZone: 'Asia/Urumqi' });
    expect(() => loadConfig({ AUDIT_RULE_WORK_HOURS: '18:00-08:00' })).toThrow(/AUDIT_RULE_WORK_HOURS/);
    expect(() => loadConfig({ AUDIT_RULE_WORK_DAYS: '0,8' })).toThrow(/AUDIT_RULE_WORK_DAYS/);
    expect(() => loadConfig({ AUDIT_RULE_TIME_ZONE: 'Mars/Olympus' })).toThrow(/AUDIT_RULE_TIME_ZONE/);
    // 2026-11-28 is a Saturday; 23:30 UTC on the 27th is already Saturday 07:30 in Shanghai.
    expect(localTime(new Date('2026-11-27T23:30:00Z'), 'Asia/Shanghai')).toEqual({ day: '2026-11-28', weekday: 6, minute: 450 });
  });
});

describe('on-demand evaluation over one day', () => {
  it('compares the day with the baseline before the period (volume-spike)', async () => {
    const lazy = new LazyAuditStore(undefined, 'memory');
    const writer = writerOf(lazy);
    try {
      const { ordinary, planted } = weekOfTraffic();
      for (const e of [...ordinary.filter((x) => x.principal.sub === 'clerk-spike'), ...planted.spike]) await writer.append(e);
      const evaluator = new InsightEvaluator({ store: lazy, settings, departments, batch: 100, logger: silentLogger });
      // Friday (Shanghai) only: its 40 requests, against Monday to Thursday read from before the period.
      expect(await evaluator.evaluatePeriod('2026-11-26T16:00:00.000Z', '2026-11-27T16:00:00.000Z')).toMatchObject({ records: 40, created: 1 });
      // Thursday only: five requests, nothing to flag.
      expect(await evaluator.evaluatePeriod('2026-11-25T16:00:00.000Z', '2026-11-26T16:00:00.000Z')).toMatchObject({ records: 5, created: 0 });
    } finally {
      await writer.close();
      await lazy.close();
    }
  }, 60_000);
});

// The embedded store and PostgreSQL, which a deployed gateway's evaluator runs on.
describe.each([
  ['PGlite', undefined],
  ['PostgreSQL', testDbUrl('postgres', 'rule_windows')],
])('old requester windows (%s)', (_engine, url) => {
  afterAll(async () => {
    if (url) await dropDatabase(url);
  });

  it('are deleted once no tick can touch them or read them as a baseline; a case number\'s are kept', async () => {
    const lazy = new LazyAuditStore(url, 'memory');
    const writer = writerOf(lazy);
    try {
      const store = await lazy.get();
      const windows = async () => (await sql<{ k: string; subjects: number }>`SELECT w.rule || ' ' || w.window_key AS k, (SELECT count(*)::int FROM audit_rule_window_subject s WHERE s.window_id = w.id) AS subjects FROM audit_rule_window w ORDER BY 1`.execute(store.db)).rows;
      const read = (local: string, caseNumber: string | null = null) => writer.append(entry({ at: shanghai(local), sub: 'clerk-a', subjects: [ordinarySubject(1)], caseNumber }));
      // A fresh evaluator prunes at its first tick (then hourly).
      const tick = () => new InsightEvaluator({ store: lazy, settings, departments, batch: 100, logger: silentLogger }).tick();
      await read('2026-10-01T10:00:00', REUSED_CASE);
      await tick();
      expect(await windows()).toEqual([
        { k: 'bulk-subjects clerk-a/2026-10-01', subjects: 1 },
        { k: `case-reuse case:${REUSED_CASE}`, subjects: 1 },
        { k: 'volume-spike clerk-a/2026-10-01', subjects: 0 },
      ]);
      // Seven weeks on: 2026-11-20 is more than the baseline and two days after 2026-10-01.
      expect(settings.baselineDays + 2).toBeLessThan(50);
      await read('2026-11-20T10:00:00');
      await read('2026-11-25T10:00:00');
      expect(await tick()).toMatchObject({ records: 2 });
      expect(await windows()).toEqual([
        { k: 'bulk-subjects clerk-a/2026-11-20', subjects: 1 },
        { k: 'bulk-subjects clerk-a/2026-11-25', subjects: 1 },
        { k: `case-reuse case:${REUSED_CASE}`, subjects: 1 },
        { k: 'volume-spike clerk-a/2026-11-20', subjects: 0 },
        { k: 'volume-spike clerk-a/2026-11-25', subjects: 0 },
      ]);
      // The pruned windows' subjects went with them.
      expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_rule_window_subject`.execute(store.db)).rows[0].n).toBe(3);
    } finally {
      await writer.close();
      await lazy.close();
    }
  }, 60_000);
});
