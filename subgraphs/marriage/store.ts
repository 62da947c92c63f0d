/** The marriage registration store: tables and the queries the loaders run. */
import { jsonList, parseJsonList, type Store } from '../../lib/db';
import type { ArchivalColumns } from '../common/archival';
import type { MarriageKind } from '../common/population';
import type { SearchableKind } from '../common/search';

export interface RegistrationRow extends ArchivalColumns {
  id: number;
  kind: MarriageKind;
  registered_on: string;
  office: string;
  certificate_number: string;
  husband_id: string;
  husband_name: string;
  wife_id: string;
  wife_name: string;
}

export interface DocumentRow {
  id: number;
  registration_id: number;
  title: string;
  pages: number;
}

export interface MarriageDB {
  marriage_registration: RegistrationRow;
  marriage_document: DocumentRow;
}

export type MarriageStore = Store<MarriageDB>;

/** What searchRecords finds in this store: registrations, by party, certificate number or 档号. */
export const SEARCHABLE: SearchableKind[] = [
  { kind: 'MarriageRecord', score: 2, table: 'marriage_registration', columns: { certificateNumber: 'certificate_number' }, persons: { columns: ['husband_id', 'wife_id'] } },
];

const DOCUMENT_COLUMNS = { id: true, registration_id: true, title: true, pages: true } as const;

/** A registration with, when asked for, the documents filed with it (in filing order). */
export type RegistrationRecord = RegistrationRow & { documents?: DocumentRow[] };

/** Registrations in which any of `ids` is a party, oldest first, with their documents when `documents`. One statement. */
export async function registrationsOf(store: MarriageStore, ids: readonly string[], documents: boolean): Promise<RegistrationRecord[]> {
  const rows = await store.db
    .selectFrom('marriage_registration')
    .selectAll('marriage_registration')
    .$if(documents, (q) =>
      q.select((eb) =>
        eb
          .selectFrom('marriage_document as d')
          .whereRef('d.registration_id', '=', 'marriage_registration.id')
          .select(jsonList<DocumentRow>(store.dialect, 'd', DOCUMENT_COLUMNS, ['id']).as('list'))
          .as('documents'),
      ),
    )
    .where((eb) => eb.or([eb('husband_id', 'in', ids), eb('wife_id', 'in', ids)]))
    .orderBy('registered_on')
    .orderBy('id')
    .execute();
  return rows.map(({ documents, ...r }) => ({ ...r, ...(documents !== undefined && { documents: parseJsonList(documents!) }) }));
}

/** Corrects the office of registration `id`; returns its two parties, or null when there is no such registration. */
export async function correctRegistrationOffice(store: MarriageStore, id: number, office: string): Promise<string[] | null> {
  const row = await store.db.selectFrom('marriage_registration').select(['husband_id', 'wife_id']).where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  await store.db.updateTable('marriage_registration').set({ office }).where('id', '=', id).execute();
  return [row.husband_id, row.wife_id];
}
