import type { Kysely } from 'kysely';
import { withArchivalColumns } from '../../common/archival';

// Portable across PostgreSQL/PGlite and MySQL/MariaDB: keys and indexed columns are varchar (MySQL
// cannot index TEXT), booleans come back as 0/1 from MySQL (the store normalises them), and
// DATE/TIMESTAMP/DECIMAL are read back as text/numbers by lib/db on every engine.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('medical_enrolee')
    .addColumn('id_number', 'varchar(18)', (c) => c.primaryKey())
    .addColumn('region', 'varchar(6)', (c) => c.notNull())
    .addColumn('person_type', 'varchar(16)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('medical_enrolment')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('id_number', 'varchar(18)', (c) => c.notNull())
    .addColumn('insutype', 'varchar(3)', (c) => c.notNull())
    .addColumn('start_date', 'date', (c) => c.notNull())
    .addColumn('status', 'varchar(12)', (c) => c.notNull())
    .execute();
  // MedicalInsurance.enrolments: all enrolments of a set of persons.
  await db.schema.createIndex('medical_enrolment_person').on('medical_enrolment').column('id_number').execute();

  // A visit (就诊) is looked up only by its mdtrt_id, from a settlement.
  await db.schema
    .createTable('medical_visit')
    .addColumn('mdtrt_id', 'varchar(30)', (c) => c.primaryKey())
    .addColumn('id_number', 'varchar(18)', (c) => c.notNull())
    .addColumn('hospital_code', 'varchar(16)', (c) => c.notNull())
    .addColumn('med_type', 'varchar(12)', (c) => c.notNull())
    .addColumn('begin_date', 'date', (c) => c.notNull())
    .addColumn('end_date', 'date', (c) => c.notNull())
    .addColumn('diagnosis_code', 'varchar(16)')
    .addColumn('diagnosis_name', 'varchar(64)')
    .execute();

  await withArchivalColumns(
    db.schema
      .createTable('medical_settlement')
      .addColumn('setl_id', 'varchar(30)', (c) => c.primaryKey())
      .addColumn('mdtrt_id', 'varchar(30)', (c) => c.notNull())
      .addColumn('id_number', 'varchar(18)', (c) => c.notNull())
      .addColumn('hospital_code', 'varchar(16)', (c) => c.notNull())
      .addColumn('hospital_name', 'varchar(64)', (c) => c.notNull())
      .addColumn('med_type', 'varchar(12)', (c) => c.notNull())
      .addColumn('settled_at', 'timestamp', (c) => c.notNull())
      .addColumn('medfee_sumamt', 'decimal(12, 2)', (c) => c.notNull())
      .addColumn('fund_pay_sumamt', 'decimal(12, 2)', (c) => c.notNull())
      .addColumn('hifp_pay', 'decimal(12, 2)', (c) => c.notNull())
      .addColumn('acct_pay', 'decimal(12, 2)', (c) => c.notNull())
      .addColumn('cash_payamt', 'decimal(12, 2)', (c) => c.notNull())
      .addColumn('refunded', 'boolean', (c) => c.notNull()),
  ).execute();
  // Settlement pages and counts: a person's settlements in a date range, newest first.
  await db.schema.createIndex('medical_settlement_person_time').on('medical_settlement').columns(['id_number', 'settled_at']).execute();
}
