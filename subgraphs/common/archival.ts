/**
 * Archival metadata shared by every department's records: the SDL fragment every subgraph
 * includes, the columns every record table carries, and the 档号 format (DA/T 13-2022).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CreateTableBuilder } from 'kysely';

/** SDL for `ArchivedRecord`, `Retention` and `OpenStatus`; identical in every subgraph. */
export const archivalTypeDefs = readFileSync(path.join(__dirname, 'archival.graphql'), 'utf8');

export type Retention = 'PERMANENT' | 'Y30' | 'Y10';
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
  classification: (r: ArchivalColumns) => r.classification,
  openStatus: (r: ArchivalColumns) => r.open_status,
};

const RETENTION_CODE: Record<Retention, string> = { PERMANENT: 'Y', Y30: 'D30', Y10: 'D10' };

/** 档号 at item level: `全宗号-类别号-件号`, parts within a level joined by `·`. */
export const ARCHIVAL_CODE = /^[A-Z]\d{3}-ZY·[A-Z]{2}·\d{4}·(Y|D30|D10)-\d{4,}$/;

/**
 * Issues 档号 for one fonds and sub-category (e.g. J019 / HY): items numbered from 0001 per year
 * and retention, so a seed run is reproducible.
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
      open_status: extra.open_status ?? 'CONTROLLED',
    };
  }
}
