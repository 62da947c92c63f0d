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
