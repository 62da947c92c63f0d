import { sql, type Kysely } from 'kysely';

// searchRecords looks residents up by name and birth date (or year): the birth date is the ID
// number's characters 7-14, kept as a generated column (the same SQL on PostgreSQL, PGlite and
// MySQL/MariaDB) so one ordinary index serves name + date, name + year range and year alone.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('resident')
    .addColumn('birth_date', 'varchar(8)', (c) => c.generatedAlwaysAs(sql`substring(id_number, 7, 8)`).stored())
    .execute();
  await db.schema.createIndex('resident_name_birth').on('resident').columns(['name', 'birth_date']).execute();
  await db.schema.createIndex('resident_birth').on('resident').column('birth_date').execute();
}
