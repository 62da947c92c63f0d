/**
 * Archival metadata shared by every department's records: the SDL fragment every subgraph
 * includes, the columns every record table carries, and the 档号 format (DA/T 13-2022).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CreateTableBuilder } from 'kysely';

/** SDL for `ArchivedRecord`, `Retention` and `OpenStatus`; identical in every subgraph. */
export const archivalTypeDefs = readFileSync(path.join(__dirname, 'archival.graphql'), 'utf8');

/** 保管期限: permanent, or a term in years (marriage files 100 years; social-security files 10-100 by kind). */
export type Retention = 'PERMANENT' | 'Y100' | 'Y50' | 'Y30' | 'Y10';
export type OpenStatus = 'OPEN' | 'CONTROLLED' | 'DELAYED' | 'UNREVIEWED';

/** The archival columns as stored (snake_case) on every record table. */
export interface ArchivalColumns {
  archival_code: string;
  fonds: string;
  retention: Retention;
  classification: string | null;
  open_status: OpenStatus;
}

/** Adds the archival columns to a record table in a migration. */
export function withArchivalColumns<T extends string, C extends string>(table: CreateTableBuilder<T, C>) {
  return table
    .addColumn('archival_code', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('fonds', 'varchar(8)', (c) => c.notNull())
    .addColumn('retention', 'varchar(10)', (c) => c.notNull())
    .addColumn('classification', 'varchar(32)')
    .addColumn('open_status', 'varchar(12)', (c) => c.notNull());
}

/** Resolvers mapping the stored columns to `ArchivedRecord` fields; spread into each record type. */
export const archivalResolvers = {
  archivalCode: (r: ArchivalColumns) => r.archival_code,
  fonds: (r: ArchivalColumns) => r.fonds,
  retention: (r: ArchivalColumns) => r.retention,
  retentionYears: (r: ArchivalColumns) => retentionYears(r.retention),
  classification: (r: ArchivalColumns) => r.classification,
  openStatus: (r: ArchivalColumns) => r.open_status,
};

const RETENTION_CODE: Record<Retention, string> = { PERMANENT: 'Y', Y100: 'D100', Y50: 'D50', Y30: 'D30', Y10: 'D10' };

/** The retention term in years, or null for permanent records. */
export function retentionYears(retention: Retention): number | null {
  return retention === 'PERMANENT' ? null : Number(retention.slice(1));
}

/** 档案法 (2020) Art. 27: archives open to the public 25 years after they were formed. */
export const OPENING_AFTER_YEARS = 25;
/** Seeds judge opening as of this year, so they do not depend on today's date. */
const OPENING_AS_OF = 2025;

/**
 * 开放标识 by the 25-year rule: a record younger than 25 years is 控制; an older one is due for
 * opening, but files about identifiable persons are held back by review (延期开放, which the same
 * article allows), so only records without personal information become OPEN.
 */
export function openStatusFor(year: number | string, personal = true, asOf = OPENING_AS_OF): OpenStatus {
  if (asOf - Number(year) < OPENING_AFTER_YEARS) return 'CONTROLLED';
  return personal ? 'DELAYED' : 'OPEN';
}

/**
 * 档号 at item level: `全宗号-类别号-件号`, parts within a level joined by `·`; the category may
 * carry a registration class (marriage: `ZY·HY·JH·2019·D100-0001`).
 */
export const ARCHIVAL_CODE = /^[A-Z]\d{3}-ZY·[A-Z]{2}(·[A-Z]{2})?·\d{4}·(Y|D100|D50|D30|D10)-\d{4,}$/;

/**
 * Issues 档号 for one fonds and sub-category (e.g. J019 / HY): items numbered from 0001 per year
 * and retention, so a seed run is reproducible; 开放标识 follows `openStatusFor` unless given.
 */
export class ArchivalNumbering {
  private readonly counters = new Map<string, number>();
  constructor(
    private readonly fonds: string,
    private readonly subCategory: string,
  ) {}

  next(year: number | string, retention: Retention, extra: Partial<Pick<ArchivalColumns, 'classification' | 'open_status'>> = {}): ArchivalColumns {
    const key = `${year}·${RETENTION_CODE[retention]}`;
    const item = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, item);
    return {
      archival_code: `${this.fonds}-ZY·${this.subCategory}·${key}-${String(item).padStart(4, '0')}`,
      fonds: this.fonds,
      retention,
      classification: extra.classification ?? null,
      open_status: extra.open_status ?? openStatusFor(year),
    };
  }
}
