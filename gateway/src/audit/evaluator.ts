/**
 * Evaluates the rules (rules.ts) and maintains the rollups the overview reads (rollup.ts). Continuously:
 * `tick()` reads the records after the last evaluated seq, adds them to the rollups and to the rules'
 * windows (audit_rule_window: counts, first records, distinct subjects), judges the windows they
 * touched from those rows and moves the cursor, all in one transaction under an advisory lock that
 * replicas try and skip when held, so each record is counted exactly once and a tick costs what its
 * records touch, not the history. On demand: `evaluatePeriod()` runs the rules over a period's
 * records. Findings are keyed by (rule, window), so a re-run or a second replica updates a finding
 * rather than duplicating it. A requester's windows are deleted once they are older than any a tick
 * can still touch or read as a baseline (`prune`); a case number's are kept, since its reuse is
 * judged over all time.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { MetricsRegistry, type Counter } from '../metrics';
import type { Config } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import type { CoordinateOwners } from './departments';
import { rollUp } from './rollup';
import { candidateOf, FINDING_LIST_MAX, RULES, type Candidate, type Rule, type RuleRecord, type RuleSettings, type RuleWindow } from './rules';
import type { AuditDB, LazyAuditStore } from './store';

export interface EvaluatorOptions {
  store: Pick<LazyAuditStore, 'get'>;
  settings: RuleSettings;
  departments: CoordinateOwners;
  /** Most new records one tick takes (AUDIT_RULES_BATCH). */
  batch: number;
  logger: Logger;
  /** Where `audit_findings_total` is registered (the gateway's /metrics). */
  metrics?: MetricsRegistry;
}

export interface EvaluationReport {
  /** Records read. */
  records: number;
  /** Findings created. */
  created: number;
  /** Findings created or updated. */
  findings: number;
}

const LOCK = sql`pg_try_advisory_xact_lock(hashtext('archive-federation/audit-insight'))`;
const CURSOR = 'rules';
/** The cursor row saying under which settings the windows were counted. */
const WINDOWS = 'windows';
const DAY_MS = 86_400_000;
/** Records one statement reads when the windows are counted from the log. */
const COUNT_CHUNK = 20_000;
/** Rows one insert writes (PostgreSQL takes at most 65,535 parameters a statement). */
const ROW_CHUNK = 2000;
/** Window subjects one statement adds. */
const SUBJECT_CHUNK = 50_000;
/** Windows one tick deletes at most (their subjects go with them), so a long backlog is pruned tick by tick. */
const PRUNE_CHUNK = 10_000;
/** Between two prunes once the backlog is gone. */
const PRUNE_EVERY_MS = 3_600_000;
/** The rules whose windows are a requester's days, which `prune` deletes when old. */
const REQUESTER_RULES = RULES.filter((rule) => rule.scope !== 'case').map((rule) => rule.id);

interface Row {
  seq: number | string;
  time: Date;
  sub: string;
  org: string | null;
  purpose: string | null;
  case_number: string | null;
  outcome: string;
  subjects: string[];
}

/** A window a tick added records to. */
interface Touched {
  rule: Rule;
  id: number;
  key: string;
}

/** An audit_rule_window row without its lists, as read back. */
interface WindowRow {
  id: number | string;
  rule: string;
  window_key: string;
  first_seq: number | string;
  time: Date;
  sub: string;
  org: string | null;
  requests: number | string;
  subject_count: number | string;
  labels: string[];
}

const ruleRecord = (r: Row): RuleRecord => ({ seq: Number(r.seq), time: new Date(r.time), sub: r.sub, org: r.org, purpose: r.purpose, caseNumber: r.case_number, subjects: r.subjects });
const COLUMNS = ['seq', 'time', 'sub', 'org', 'purpose', 'case_number', 'outcome', 'subjects'] as const;

/** The rules' thresholds and calendar from configuration. */
export function ruleSettings(config: Config): RuleSettings {
  return {
    bulkSubjects: config.AUDIT_RULE_BULK_SUBJECTS,
    caseSubjects: config.AUDIT_RULE_CASE_SUBJECTS,
    workHours: config.AUDIT_RULE_WORK_HOURS,
    workDays: config.AUDIT_RULE_WORK_DAYS,
    timeZone: config.AUDIT_RULE_TIME_ZONE,
    spikeFactor: config.AUDIT_RULE_SPIKE_FACTOR,
    spikeMin: config.AUDIT_RULE_SPIKE_MIN,
    baselineDays: config.AUDIT_RULE_BASELINE_DAYS,
    orgPurposes: config.AUDIT_RULE_ORG_PURPOSES,
  };
}

export class InsightEvaluator {
  private readonly findingsTotal: Counter<'rule' | 'severity'>;
  /** No prune before this time (epoch ms): one an hour, or at every tick while old windows remain. */
  private pruneAfter = 0;

  constructor(private readonly options: EvaluatorOptions) {
    this.findingsTotal = (options.metrics ?? new MetricsRegistry()).counter({
      name: 'audit_findings_total',
      help: 'Findings of the audit rules created by this gateway, by rule and severity.',
      labelNames: ['rule', 'severity'],
    });
  }

  /** Evaluates the records since the last tick (of any replica); null when another replica is at it. */
  async tick(): Promise<EvaluationReport | null> {
    const store = await this.options.store.get();
    const created: Candidate[] = [];
    const report = await store.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ locked: boolean }>`SELECT ${LOCK} AS locked`.execute(trx);
      if (!rows[0]?.locked) return null;
      const cursor = await trx.selectFrom('audit_insight_cursor').select('seq').where('name', '=', CURSOR).executeTakeFirst();
      await this.countWindows(trx, Number(cursor?.seq ?? 0));
      const fresh = await trx
        .selectFrom('audit_record')
        .select([...COLUMNS, 'body'])
        .where('seq', '>', Number(cursor?.seq ?? 0))
        .orderBy('seq')
        .limit(this.options.batch)
        .execute();
      if (fresh.length === 0) return { records: 0, created: 0, findings: 0 };
      await rollUp(trx, fresh, this.options.departments);
      await this.prune(trx, new Date(fresh[0].time).getTime());
      const findings = await this.judge(trx, await this.addToWindows(trx, fresh.map(ruleRecord), RULES));
      const saved = await this.save(trx, findings, created);
      const last = Number(fresh[fresh.length - 1].seq);
      await trx
        .insertInto('audit_insight_cursor')
        .values({ name: CURSOR, seq: last })
        .onConflict((oc) => oc.column('name').doUpdateSet({ seq: last }))
        .execute();
      return { records: fresh.length, created: created.length, findings: saved };
    });
    // Counted once committed: a rolled-back tick creates nothing.
    for (const c of created) this.findingsTotal.inc({ rule: c.rule, severity: c.severity });
    return report;
  }

  /** Runs every rule over the records in [from, to); windows are clipped to the period. */
  async evaluatePeriod(from: string, to: string): Promise<EvaluationReport> {
    const store = await this.options.store.get();
    const created: Candidate[] = [];
    const report = await store.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('audit_record')
        .select(COLUMNS)
        .where('time', '>=', from as never)
        .where('time', '<', to as never)
        .where(sql<boolean>`cardinality(subjects) > 0`)
        .execute();
      const records = rows.map(ruleRecord);
      const { baselineDays } = this.options.settings;
      // The baseline of the period's first days lies before it; findings are kept for the period's days only.
      const start = Date.parse(from);
      const subs = [...new Set(records.map((r) => r.sub))];
      const before = subs.length === 0 ? [] : (await this.recordsOf(trx, subs, start - (baselineDays + 1) * DAY_MS, start)).map(ruleRecord);
      const findings = RULES.flatMap((rule) =>
        rule.scope === 'requester-history' ? rule.evaluate([...before, ...records], this.options.settings).filter((c) => c.time.getTime() >= start) : rule.evaluate(records, this.options.settings),
      );
      return { records: rows.length, findings: await this.save(trx, findings, created), created: 0 };
    });
    for (const c of created) this.findingsTotal.inc({ rule: c.rule, severity: c.severity });
    return { ...report, created: created.length };
  }

  /**
   * Counts the windows from the log when they were counted under other settings (or never, after
   * 009_audit_rule_windows): the requester-day windows a tick can still touch or read as a
   * baseline, and every case number's. Records through `through`; a one-off scan of the log.
   */
  private async countWindows(trx: Transaction<AuditDB>, through: number): Promise<void> {
    const { timeZone, workHours, workDays, orgPurposes, baselineDays } = this.options.settings;
    const settings = JSON.stringify({ timeZone, workHours, workDays, orgPurposes, baselineDays });
    const counted = await trx.selectFrom('audit_insight_cursor').select('settings').where('name', '=', WINDOWS).executeTakeFirst();
    if (counted?.settings === settings) return;
    const started = Date.now();
    await trx.deleteFrom('audit_rule_window').execute();
    const last = await trx.selectFrom('audit_record').select('time').where('seq', '=', through).executeTakeFirst();
    // A day more than the baseline before the last record, so the oldest day a tick reads is whole.
    const since = last ? new Date(last.time).getTime() - (baselineDays + 2) * DAY_MS : 0;
    const byCase = RULES.filter((rule) => rule.scope === 'case');
    const byRequester = RULES.filter((rule) => rule.scope !== 'case');
    // By ranges of seqs, so each statement reads at most COUNT_CHUNK records whatever plan it gets.
    for (let after = 0; after < through; after += COUNT_CHUNK) {
      const rows = await trx
        .selectFrom('audit_record')
        .select(COLUMNS)
        .where('seq', '>', after)
        .where('seq', '<=', Math.min(through, after + COUNT_CHUNK))
        .where(sql<boolean>`cardinality(subjects) > 0`)
        .where((eb) => eb.or([eb('case_number', 'is not', null), eb('time', '>=', new Date(since).toISOString() as never)]))
        .orderBy('seq')
        .execute();
      const records = rows.map(ruleRecord);
      await this.addToWindows(trx, records.filter((r) => r.time.getTime() >= since), byRequester);
      await this.addToWindows(trx, records, byCase);
    }
    await trx
      .insertInto('audit_insight_cursor')
      .values({ name: WINDOWS, seq: through, settings })
      .onConflict((oc) => oc.column('name').doUpdateSet({ seq: through, settings }))
      .execute();
    if (through > 0) this.options.logger.info({ through, ms: Date.now() - started }, 'audit rules: windows counted from the log');
  }

  /**
   * Deletes requester windows that began more than the baseline and two days before `oldest` (the
   * earliest record this tick reads): no later record joins them and no baseline reads them, the
   * same bound `countWindows` counts from. At most PRUNE_CHUNK a tick.
   */
  private async prune(trx: Transaction<AuditDB>, oldest: number): Promise<void> {
    if (Date.now() < this.pruneAfter) return;
    const before = new Date(oldest - (this.options.settings.baselineDays + 2) * DAY_MS).toISOString();
    const { numDeletedRows } = await trx
      .deleteFrom('audit_rule_window')
      .where('id', 'in', (eb) => eb.selectFrom('audit_rule_window').select('id').where('rule', 'in', REQUESTER_RULES).where('time', '<', before as never).limit(PRUNE_CHUNK))
      .executeTakeFirst();
    this.pruneAfter = Number(numDeletedRows) < PRUNE_CHUNK ? Date.now() + PRUNE_EVERY_MS : 0;
  }

  /** Adds `records` (ascending seq) to the windows of `rules` they join; returns the windows they touched. */
  private async addToWindows(trx: Transaction<AuditDB>, records: readonly RuleRecord[], rules: readonly Rule[]): Promise<Touched[]> {
    const { settings } = this.options;
    const added = new Map<string, { rule: Rule; key: string; first: RuleRecord; requests: number; seqs: number[]; subjects: Set<string>; labels: Set<string> }>();
    for (const r of records) {
      if (r.subjects.length === 0) continue;
      for (const rule of rules) {
        const m = rule.member(r, settings);
        if (!m) continue;
        const id = `${rule.id}\n${m.key}`;
        let w = added.get(id);
        if (!w) added.set(id, (w = { rule, key: m.key, first: r, requests: 0, seqs: [], subjects: new Set(), labels: new Set() }));
        w.requests += 1;
        if (w.seqs.length < FINDING_LIST_MAX) w.seqs.push(r.seq);
        for (const subject of m.subjects) w.subjects.add(subject);
        if (m.label !== undefined) w.labels.add(m.label);
      }
    }
    const windows = [...added.values()];
    const touched: Touched[] = [];
    const subjectIds: number[] = [];
    const subjects: string[] = [];
    for (let i = 0; i < windows.length; i += ROW_CHUNK) {
      const chunk = windows.slice(i, i + ROW_CHUNK);
      const rows = await trx
        .insertInto('audit_rule_window')
        .values(
          chunk.map((w) => ({
            rule: w.rule.id,
            window_key: w.key,
            first_seq: w.first.seq,
            time: w.first.time.toISOString(),
            sub: w.first.sub,
            org: w.first.org,
            requests: w.requests,
            subject_count: 0,
            subjects: [...w.subjects].sort().slice(0, FINDING_LIST_MAX),
            record_seqs: w.seqs,
            labels: [...w.labels],
          })),
        )
        .onConflict((oc) =>
          oc.columns(['rule', 'window_key']).doUpdateSet({
            requests: sql`audit_rule_window.requests + excluded.requests`,
            // The records come after every record already counted: their seqs follow.
            record_seqs: sql`(audit_rule_window.record_seqs || excluded.record_seqs)[1:${sql.lit(FINDING_LIST_MAX)}]`,
            // Byte order ("C"), as JavaScript sorts the ASCII ID numbers.
            subjects: sql`ARRAY(SELECT DISTINCT s COLLATE "C" FROM unnest(audit_rule_window.subjects || excluded.subjects) AS u(s) ORDER BY 1 LIMIT ${sql.lit(FINDING_LIST_MAX)})`,
            labels: sql`ARRAY(SELECT DISTINCT unnest(audit_rule_window.labels || excluded.labels))`,
          }),
        )
        .returning(['id', 'rule', 'window_key'])
        .execute();
      const ids = new Map(rows.map((row) => [`${row.rule}\n${row.window_key}`, Number(row.id)]));
      for (const w of chunk) {
        const id = ids.get(`${w.rule.id}\n${w.key}`)!;
        touched.push({ rule: w.rule, id, key: w.key });
        if (!w.rule.countsSubjects) continue;
        for (const subject of w.subjects) {
          subjectIds.push(id);
          subjects.push(subject);
        }
      }
    }
    // Each subject new to its window counts once.
    for (let i = 0; i < subjects.length; i += SUBJECT_CHUNK) {
      await sql`WITH added AS (
          INSERT INTO audit_rule_window_subject (window_id, subject)
          SELECT * FROM unnest(${subjectIds.slice(i, i + SUBJECT_CHUNK)}::bigint[], ${subjects.slice(i, i + SUBJECT_CHUNK)}::text[])
          ON CONFLICT DO NOTHING RETURNING window_id)
        UPDATE audit_rule_window w SET subject_count = w.subject_count + a.n
        FROM (SELECT window_id, count(*) AS n FROM added GROUP BY window_id) AS a WHERE w.id = a.window_id`.execute(trx);
    }
    return touched;
  }

  /** The findings among the `touched` windows, judged from their rows (and their rules' baseline windows). */
  private async judge(trx: Transaction<AuditDB>, touched: readonly Touched[]): Promise<Candidate[]> {
    if (touched.length === 0) return [];
    const { settings } = this.options;
    const wanted = new Set<string>();
    for (const t of touched) for (const key of [t.key, ...(t.rule.baseline?.(t.key, settings) ?? [])]) wanted.add(`${t.rule.id}\n${key}`);
    const pairs = [...wanted].map((w) => w.split('\n'));
    const { rows } = await sql<WindowRow>`SELECT id, rule, window_key, first_seq, time, sub, org, requests, subject_count, labels FROM audit_rule_window
      WHERE (rule, window_key) IN (SELECT * FROM unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[]))`.execute(trx);
    const known = new Map(rows.map((row) => [`${row.rule}\n${row.window_key}`, row]));
    const breaking: Array<Touched & { window: RuleWindow; detail: string }> = [];
    for (const t of touched) {
      const row = known.get(`${t.rule.id}\n${t.key}`)!;
      // `breaks` reads the counts; the lists are read below, for the windows that break.
      const window: RuleWindow = {
        key: t.key,
        first: { seq: Number(row.first_seq), time: new Date(row.time), sub: row.sub, org: row.org },
        requests: Number(row.requests),
        subjectCount: Number(row.subject_count),
        subjects: [],
        seqs: [],
        labels: [...row.labels].sort(),
      };
      const detail = t.rule.breaks(window, settings, (key) => Number(known.get(`${t.rule.id}\n${key}`)?.requests ?? 0));
      if (detail !== undefined) breaking.push({ ...t, window, detail });
    }
    if (breaking.length === 0) return [];
    const ids = breaking.map((b) => b.id);
    const lists = new Map<number, { subjects: string[]; record_seqs: Array<number | string> }>();
    for (let i = 0; i < ids.length; i += ROW_CHUNK) {
      const chunk = await trx.selectFrom('audit_rule_window').select(['id', 'subjects', 'record_seqs']).where('id', 'in', ids.slice(i, i + ROW_CHUNK)).execute();
      for (const row of chunk) lists.set(Number(row.id), row);
    }
    return breaking.map(({ rule, id, window, detail }) => {
      const list = lists.get(id)!;
      return candidateOf(rule, { ...window, subjects: list.subjects, seqs: list.record_seqs.map(Number) }, detail);
    });
  }

  /** The requests naming subjects of `subs` in [from, to) (epoch ms). */
  private recordsOf(trx: Transaction<AuditDB>, subs: string[], from: number, to: number) {
    return trx
      .selectFrom('audit_record')
      .select(COLUMNS)
      .where('sub', 'in', subs)
      .where('time', '>=', new Date(from).toISOString() as never)
      .where('time', '<', new Date(to).toISOString() as never)
      .where(sql<boolean>`cardinality(subjects) > 0`)
      .execute();
  }

  /** Inserts new findings, widens existing ones; pushes the newly created onto `created`. Returns how many were written. */
  private async save(trx: Transaction<AuditDB>, findings: Candidate[], created: Candidate[]): Promise<number> {
    let written = 0;
    for (let i = 0; i < findings.length; i += ROW_CHUNK) {
      const chunk = findings.slice(i, i + ROW_CHUNK);
      const rows = await trx
        .insertInto('audit_finding')
        .values(chunk.map((f) => ({ id: randomUUID(), rule: f.rule, severity: f.severity, window_key: f.windowKey, time: f.time.toISOString(), sub: f.sub, org: f.org, subjects: f.subjects, record_seqs: f.recordSeqs, detail: f.detail })))
        .onConflict((oc) =>
          oc
            .columns(['rule', 'window_key'])
            .doUpdateSet({ subjects: sql`excluded.subjects`, record_seqs: sql`excluded.record_seqs`, detail: sql`excluded.detail`, time: sql`least(audit_finding.time, excluded.time)` })
            // Unchanged unless the window grew: an acknowledged finding keeps its acknowledgement.
            .where(sql<boolean>`NOT (audit_finding.record_seqs @> excluded.record_seqs AND audit_finding.subjects @> excluded.subjects)`),
        )
        .returning(['rule', 'window_key', sql<boolean>`(xmax::text = '0')`.as('inserted')])
        .execute();
      const inserted = new Set(rows.filter((row) => row.inserted).map((row) => `${row.rule}\n${row.window_key}`));
      written += rows.length;
      for (const f of chunk) if (inserted.has(`${f.rule}\n${f.windowKey}`)) created.push(f);
    }
    return written;
  }
}
