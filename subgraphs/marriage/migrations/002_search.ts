import type { Kysely } from 'kysely';

// searchRecords finds a registration by its certificate number (档号 has its unique index already).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('marriage_registration_certificate').on('marriage_registration').column('certificate_number').execute();
}
