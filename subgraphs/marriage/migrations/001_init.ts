import type { Kysely } from 'kysely';
import { withArchivalColumns } from '../../common/archival';

export async function up(db: Kysely<any>): Promise<void> {
  await withArchivalColumns(
    db.schema
      .createTable('marriage_registration')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('kind', 'varchar(10)', (c) => c.notNull())
      .addColumn('registered_on', 'date', (c) => c.notNull())
      .addColumn('office', 'varchar(64)', (c) => c.notNull())
      .addColumn('certificate_number', 'varchar(32)', (c) => c.notNull())
      .addColumn('husband_id', 'varchar(18)', (c) => c.notNull())
      .addColumn('husband_name', 'varchar(32)', (c) => c.notNull())
      .addColumn('wife_id', 'varchar(18)', (c) => c.notNull())
      .addColumn('wife_name', 'varchar(32)', (c) => c.notNull()),
  ).execute();
  // Person.marriages looks a person up on either side.
  await db.schema.createIndex('marriage_registration_husband').on('marriage_registration').column('husband_id').execute();
  await db.schema.createIndex('marriage_registration_wife').on('marriage_registration').column('wife_id').execute();
  await db.schema
    .createTable('marriage_document')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('registration_id', 'integer', (c) => c.notNull())
    .addColumn('title', 'varchar(64)', (c) => c.notNull())
    .addColumn('pages', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('marriage_document_registration').on('marriage_document').column('registration_id').execute();
}
