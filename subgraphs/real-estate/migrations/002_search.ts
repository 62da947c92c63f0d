import type { Kysely } from 'kysely';

// searchRecords finds a right by its address (坐落); certificate and unit numbers and 档号 are indexed already.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('property_right_location').on('property_right').column('location').execute();
}
