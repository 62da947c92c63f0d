import type { Kysely } from 'kysely';

// An enrolment that ended (or was suspended) carries the last day it covered; claims settle only
// within [start_date, end_date].
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('medical_enrolment').addColumn('end_date', 'date').execute();
}
