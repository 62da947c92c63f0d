import type { Kysely } from 'kysely';

/**
 * Inserts rows as multi-row INSERTs of `batchSize` rows (well under every engine's parameter
 * limit), calling `progress` with the number of rows written after each batch.
 */
export async function insertBatches<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  table: T,
  rows: Record<string, unknown>[],
  progress?: (written: number) => void,
  batchSize = 1000,
): Promise<void> {
  for (let i = 0; i < rows.length; i += batchSize) {
    const batch = rows.slice(i, i + batchSize);
    await db.insertInto(table).values(batch as never).execute();
    progress?.(batch.length);
  }
}

/** Writes several tables' rows in order with `insertBatches`, reporting progress over all of them. */
export async function writeTables<DB>(db: Kysely<DB>, tables: Array<[keyof DB & string, object[]]>, progress?: (done: number, total: number) => void): Promise<void> {
  const total = tables.reduce((n, [, rows]) => n + rows.length, 0);
  let done = 0;
  for (const [table, rows] of tables) await insertBatches(db, table, rows as Record<string, unknown>[], (n) => progress?.((done += n), total));
}
