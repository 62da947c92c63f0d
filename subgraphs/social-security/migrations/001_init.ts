import type { Kysely } from 'kysely';
import { withArchivalColumns } from '../../common/archival';

export async function up(db: Kysely<any>): Promise<void> {
  // The resident register: every person, keyed (and so indexed) by ID number.
  await db.schema
    .createTable('resident')
    .addColumn('id_number', 'varchar(18)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(32)', (c) => c.notNull())
    .addColumn('phone', 'varchar(20)')
    .addColumn('address', 'varchar(128)')
    .execute();
  await db.schema
    .createTable('employer')
    .addColumn('unit_number', 'varchar(16)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('credit_code', 'varchar(18)', (c) => c.notNull().unique())
    .addColumn('region', 'varchar(6)', (c) => c.notNull())
    .execute();
  // One social-insurance file per insured person.
  await withArchivalColumns(
    db.schema
      .createTable('insurance_file')
      .addColumn('id_number', 'varchar(18)', (c) => c.primaryKey())
      .addColumn('insured_number', 'varchar(20)', (c) => c.notNull().unique())
      .addColumn('agency', 'varchar(64)', (c) => c.notNull())
      .addColumn('employer_unit', 'varchar(16)'),
  ).execute();
  await withArchivalColumns(
    db.schema
      .createTable('insurance_enrolment')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('id_number', 'varchar(18)', (c) => c.notNull())
      .addColumn('insurance_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('status', 'varchar(12)', (c) => c.notNull())
      .addColumn('first_enrolled_on', 'date', (c) => c.notNull()),
  ).execute();
  // SocialInsurance.enrolments looks up by person; a person joins each type once.
  await db.schema.createIndex('insurance_enrolment_person_type').on('insurance_enrolment').columns(['id_number', 'insurance_type']).unique().execute();
  // The primary key (id_number, period) serves both the per-person ranking and the period filter.
  await db.schema
    .createTable('contribution')
    .addColumn('id_number', 'varchar(18)', (c) => c.notNull())
    .addColumn('period', 'varchar(6)', (c) => c.notNull())
    .addColumn('base', 'decimal(10, 2)', (c) => c.notNull())
    .addColumn('employer_amount', 'decimal(10, 2)', (c) => c.notNull())
    .addColumn('personal_amount', 'decimal(10, 2)', (c) => c.notNull())
    .addColumn('paid', 'boolean', (c) => c.notNull())
    .addPrimaryKeyConstraint('contribution_pk', ['id_number', 'period'])
    .execute();
}
