/**
 * Evaluates the rules (rules.ts) and maintains the rollups the overview reads (rollup.ts). Continuously:
 * `tick()` reads the records after the last evaluated seq, adds them to the rollup, re-evaluates the
 * windows they touch and moves the cursor, all in one transaction under an advisory lock that
 * replicas try and skip when held, so each record is rolled up exactly once. On demand:
 * `evaluatePeriod()` runs the rules over a period. Findings are keyed by (rule, window), so a re-run
 * or a second replica updates a finding rather than duplicating it.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { MetricsRegistry, type Counter } from '../metrics';
import type { Config } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import type { CoordinateOwners } from './departments';
import { rollUp } from './rollup';
import { RULES, requesterDay, type Candidate, type RuleRecord, type RuleSettings } from './rules';
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
const DAY_MS = 86_400_000;

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
      const fresh = await trx
        .selectFrom('audit_record')
        .select([...COLUMNS, 'body'])
        .where('seq', '>', Number(cursor?.seq ?? 0))
        .orderBy('seq')
        .limit(this.options.batch)
        .execute();
      if (fresh.length === 0) return { records: 0, created: 0, findings: 0 };
      await rollUp(trx, fresh, this.options.departments);
      const findings = await this.windowsOf(trx, fresh.map(ruleRecord));
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

  /** The findings of the whole windows the `fresh` records fall in. */
  private async windowsOf(trx: Transaction<AuditDB>, fresh: RuleRecord[]): Promise<Candidate[]> {
    const { settings } = this.options;
    const withSubjects = fresh.filter((r) => r.subjects.length > 0);
    if (withSubjects.length === 0) return [];
    const touched = new Set(withSubjects.map((r) => requesterDay(r, settings)));
    const cases = [...new Set(withSubjects.flatMap((r) => (r.caseNumber ? [r.caseNumber] : [])))];
    for (const c of cases) touched.add(`case:${c}`);
    const subs = [...new Set(withSubjects.map((r) => r.sub))];
    const times = withSubjects.map((r) => r.time.getTime());
    // A day either side covers any time zone's local day around the fresh records; before them, the baseline.
    const history = (await this.recordsOf(trx, subs, Math.min(...times) - (settings.baselineDays + 1) * DAY_MS, Math.max(...times) + DAY_MS)).map(ruleRecord);
    const earliest = Math.min(...times) - DAY_MS;
    const byCase = cases.length === 0 ? [] : await trx.selectFrom('audit_record').select(COLUMNS).where('case_number', 'in', cases).execute();
    const context = { 'requester-day': history.filter((r) => r.time.getTime() >= earliest), 'requester-history': history, case: byCase.map(ruleRecord) };
    return RULES.flatMap((rule) => rule.evaluate(context[rule.scope], settings)).filter((c) => touched.has(c.windowKey));
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
    for (const f of findings) {
      const row = await trx
        .insertInto('audit_finding')
        .values({ id: randomUUID(), rule: f.rule, severity: f.severity, window_key: f.windowKey, time: f.time.toISOString(), sub: f.sub, org: f.org, subjects: f.subjects, record_seqs: f.recordSeqs, detail: f.detail })
        .onConflict((oc) =>
          oc
            .columns(['rule', 'window_key'])
            .doUpdateSet({ subjects: sql`excluded.subjects`, record_seqs: sql`excluded.record_seqs`, detail: sql`excluded.detail`, time: sql`least(audit_finding.time, excluded.time)` })
            // Unchanged unless the window grew: an acknowledged finding keeps its acknowledgement.
            .where(sql<boolean>`NOT (audit_finding.record_seqs @> excluded.record_seqs AND audit_finding.subjects @> excluded.subjects)`),
        )
        .returning(sql<boolean>`(xmax::text = '0')`.as('inserted'))
        .executeTakeFirst();
      if (!row) continue;
      written += 1;
      if (row.inserted) created.push(f);
    }
    return written;
  }
}
