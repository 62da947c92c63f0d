/**
 * The utilisation register (查档登记) a reading room keeps, read from the audit log: one row per
 * released subject of every answered record read, with its legal basis (requester, organisation,
 * category, purpose, evidence, grant and approver) and the departments and fields released.
 * Written as a spreadsheet (XLSX) or JSON lines; `npm run audit -- register` and
 * `GET /audit/register.xlsx|jsonl` both use it.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { DEPARTMENTS } from '../../../lib/config';
import type { CoordinateOwners } from './departments';
import type { AuditRecord } from './record';
import type { AuditStore } from './store';

export const REGISTER_FORMATS = ['xlsx', 'jsonl'] as const;
export type RegisterFormat = (typeof REGISTER_FORMATS)[number];

export interface RegisterRow {
  /** When the request arrived (ISO-8601). */
  time: string;
  requester: string;
  requesterName: string | null;
  organisation: string | null;
  category: string | null;
  purpose: string | null;
  evidence: Array<{ kind: string; reference: string }>;
  grant: string | null;
  approver: string | null;
  /** The ID number whose records were released. */
  subject: string;
  departments: string[];
  fields: string[];
  /** The audit record it comes from (its id and place in the chain). */
  record: string;
  seq: number;
}

/** The spreadsheet's columns, in order: header (Chinese and English) and width. */
export const REGISTER_COLUMNS: ReadonlyArray<{ key: keyof RegisterRow; header: string; width: number }> = [
  { key: 'time', header: '日期 Date', width: 20 },
  { key: 'requester', header: '查档人 Requester', width: 18 },
  { key: 'requesterName', header: '姓名 Name', width: 12 },
  { key: 'organisation', header: '单位 Organisation', width: 24 },
  { key: 'category', header: '类别 Category', width: 16 },
  { key: 'purpose', header: '用途 Purpose', width: 22 },
  { key: 'evidence', header: '凭证 Evidence', width: 40 },
  { key: 'grant', header: '审批单 Grant', width: 30 },
  { key: 'approver', header: '审批人 Approver', width: 16 },
  { key: 'subject', header: '查档对象 Subject', width: 21 },
  { key: 'departments', header: '部门 Departments', width: 24 },
  { key: 'fields', header: '字段 Fields released', width: 60 },
  { key: 'record', header: '审计记录 Audit record', width: 38 },
  { key: 'seq', header: '序号 Seq', width: 10 },
];

const PAGE = 2000;
const departments = new Set<string>(DEPARTMENTS);

/** The register rows of one record: none unless it is a record read that released something. */
export function registerRowsOf(record: AuditRecord, owners: CoordinateOwners): RegisterRow[] {
  if (record.endpoint !== 'graphql' || (record.outcome !== 'OK' && record.outcome !== 'PARTIAL') || record.subjects.length === 0) return [];
  const ownersOf = (c: string) => (owners.get(c) ?? []).filter((d) => departments.has(d));
  const fields = record.fieldsReturned.filter((c) => ownersOf(c).length > 0);
  const { basis, principal } = record;
  const row = {
    time: record.time,
    requester: principal.sub,
    requesterName: principal.name,
    organisation: principal.org,
    category: basis?.category ?? principal.category ?? null,
    purpose: basis?.purpose ?? record.purpose,
    // Before the legal basis was recorded, the case number was the only evidence a request declared.
    evidence: basis?.evidence ?? (record.caseNumber ? [{ kind: 'case-number', reference: record.caseNumber }] : []),
    grant: basis?.grant?.id ?? null,
    approver: basis?.grant?.approvedBy ?? null,
    departments: [...new Set(fields.flatMap(ownersOf))].sort(),
    fields,
    record: record.id,
    seq: record.seq,
  };
  return record.subjects.map((subject) => ({ ...row, subject }));
}

/** The register of [from, to), in chain order. */
export async function* registerRows(store: AuditStore, owners: CoordinateOwners, range: { from: string; to: string }): AsyncGenerator<RegisterRow> {
  for (let after = 0; ; ) {
    const rows = await store.db
      .selectFrom('audit_record')
      .select(['seq', 'body'])
      .where('time', '>=', range.from as never)
      .where('time', '<', range.to as never)
      .where('outcome', 'in', ['OK', 'PARTIAL'])
      .where(sql<boolean>`cardinality(subjects) > 0`)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const r of rows) yield* registerRowsOf(JSON.parse(r.body) as AuditRecord, owners);
    if (rows.length < PAGE) return;
    after = Number(rows[rows.length - 1].seq);
  }
}

const write = (out: Writable, text: string) => new Promise<void>((resolve, reject) => out.write(text, (err) => (err ? reject(err) : resolve())));

/** One JSON object per line; returns the number of rows. */
export async function writeRegisterJsonl(rows: AsyncIterable<RegisterRow>, out: Writable): Promise<number> {
  let n = 0;
  for await (const row of rows) {
    await write(out, `${JSON.stringify(row)}\n`);
    n++;
  }
  return n;
}

/** A cell's text for the list columns of the spreadsheet. */
export function registerCell(row: RegisterRow, key: keyof RegisterRow): string | number | Date | null {
  const value = row[key];
  if (key === 'time') return new Date(row.time);
  if (key === 'evidence') return row.evidence.map((e) => `${e.kind}=${e.reference}`).join('; ');
  if (Array.isArray(value)) return value.join(', ');
  return value as string | number | null;
}

/**
 * One worksheet `查档登记`, a header row and one row per released subject, streamed to `out` (which
 * it ends); dates are spreadsheet dates (UTC). Returns the number of rows.
 */
export async function writeRegisterXlsx(rows: AsyncIterable<RegisterRow>, out: Writable, title = '查档登记'): Promise<number> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true });
  workbook.creator = 'archive-federation';
  const sheet = workbook.addWorksheet(title, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = REGISTER_COLUMNS.map(({ key, header, width }) => ({ key, header, width, ...(key === 'time' ? { style: { numFmt: 'yyyy-mm-dd hh:mm:ss' } } : {}) }));
  sheet.getRow(1).font = { bold: true };
  let n = 0;
  for await (const row of rows) {
    sheet.addRow(REGISTER_COLUMNS.map(({ key }) => registerCell(row, key))).commit();
    n++;
  }
  sheet.commit();
  await workbook.commit();
  return n;
}
