import type { Kysely } from 'kysely';
import { withArchivalColumns } from '../../common/archival';

// varchar rather than text throughout: MySQL cannot index TEXT columns without a prefix length.
export async function up(db: Kysely<any>): Promise<void> {
  await withArchivalColumns(
    db.schema
      .createTable('property_right')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('unit_number', 'varchar(28)', (c) => c.notNull())
      .addColumn('certificate_number', 'varchar(40)', (c) => c.notNull().unique())
      .addColumn('location', 'varchar(128)', (c) => c.notNull())
      .addColumn('area', 'decimal(10, 2)', (c) => c.notNull())
      .addColumn('purpose', 'varchar(12)', (c) => c.notNull())
      .addColumn('right_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('registration_type', 'varchar(12)', (c) => c.notNull())
      .addColumn('registered_on', 'date', (c) => c.notNull())
      .addColumn('status', 'varchar(12)', (c) => c.notNull())
      .addColumn('ended_on', 'date')
      .addColumn('holding', 'varchar(8)', (c) => c.notNull()),
  ).execute();
  // Not unique: a transfer leaves the old right (TRANSFERRED) and the new one on the same unit.
  await db.schema.createIndex('property_right_unit').on('property_right').column('unit_number').execute();

  await db.schema
    .createTable('right_holder')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('right_id', 'integer', (c) => c.notNull())
    .addColumn('id_number', 'varchar(18)', (c) => c.notNull())
    .addColumn('name', 'varchar(32)', (c) => c.notNull())
    .addColumn('share', 'decimal(5, 2)')
    .execute();
  // Person.realEstate looks holders up by person; owners/coOwners/holders by right.
  await db.schema.createIndex('right_holder_person').on('right_holder').column('id_number').execute();
  await db.schema.createIndex('right_holder_right').on('right_holder').column('right_id').execute();

  await db.schema
    .createTable('mortgage')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('right_id', 'integer', (c) => c.notNull())
    .addColumn('mortgagee', 'varchar(64)', (c) => c.notNull())
    .addColumn('amount', 'decimal(14, 2)', (c) => c.notNull())
    .addColumn('term_start', 'date', (c) => c.notNull())
    .addColumn('term_end', 'date', (c) => c.notNull())
    .addColumn('certificate_number', 'varchar(40)', (c) => c.notNull().unique())
    .addColumn('cancelled', 'boolean', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mortgage_right').on('mortgage').column('right_id').execute();

  await db.schema
    .createTable('seizure')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('right_id', 'integer', (c) => c.notNull())
    .addColumn('court', 'varchar(64)', (c) => c.notNull())
    .addColumn('case_number', 'varchar(40)', (c) => c.notNull())
    .addColumn('start_date', 'date', (c) => c.notNull())
    .addColumn('end_date', 'date', (c) => c.notNull())
    .addColumn('released', 'boolean', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('seizure_right').on('seizure').column('right_id').execute();
}
