/**
 * The trusted-operations store: every client system's published operations and whether the
 * archive approved them. PostgreSQL (`OPERATIONS_DB_URL`, by default the audit database, in its own
 * table with its own migration history) or embedded PGlite under DATA_DIR.
 */
import { type Kysely, type Migration } from 'kysely';
import { dialectOf, openStore, type OpenStoreOptions, type Store } from '../../../lib/db';
import { normalisedHash } from './normalise';

/** `pending` until the archive approves it; only `approved` operations are trusted; `retired` ones no longer are. */
export type OperationStatus = 'pending' | 'approved' | 'retired';

export interface TrustedOperationRow {
  client: string;
  /** The manifest's id (what a client sends instead of the document). */
  id: string;
  name: string | null;
  type: string;
  /** The document as published. */
  body: string;
  /** SHA-256 of the normalised document (see normalise.ts): what a full document is matched by. */
  normalised_hash: string;
  status: OperationStatus;
  published_at: string;
  updated_at: string;
}

export interface OperationsDB {
  trusted_operation: TrustedOperationRow;
}

export type OperationsStore = Store<OperationsDB>;

const init: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('trusted_operation')
      .addColumn('client', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('normalised_hash', 'char(64)', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('published_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('trusted_operation_pk', ['client', 'id'])
      .execute();
  },
};

export const operationsMigrations: Record<string, Migration> = { '001_trusted_operation': init };

/** Opens and migrates the store; a MySQL URL is refused (one engine to operate beside the audit log). */
export async function openOperationsStore(url: string | undefined, dataDir: string, options: Pick<OpenStoreOptions, 'timeouts' | 'onConnectionError'> = {}): Promise<OperationsStore> {
  if (dialectOf(url) === 'mysql') throw new Error('OPERATIONS_DB_URL must be a postgres:// URL (or unset for the audit database or the embedded store)');
  const open = () => openStore<OperationsDB>({ name: 'operations', url, dataDir, migrations: operationsMigrations, migrationTable: 'trusted_operation_migration', poolSize: 2, ...options });
  try {
    return await open();
  } catch (err) {
    // Replicas starting together race to create the migration table; the loser retries once.
    if (/duplicate key value/.test((err as Error).message)) return open();
    throw err;
  }
}

/** One operation of an Apollo persisted-query manifest. */
export interface ManifestOperation {
  id: string;
  name?: string | null;
  type: string;
  body: string;
}

/**
 * Publishes `operations` for `client` as pending (approved with `approve`). Re-publishing an id
 * with the same document changes nothing; with another document it is refused, since clients
 * already hold the id.
 * @returns the ids newly added
 */
export async function publishOperations(store: OperationsStore, client: string, operations: ManifestOperation[], approve = false): Promise<string[]> {
  const now = new Date().toISOString();
  return store.db.transaction().execute(async (tx) => {
    const existing = new Map((await tx.selectFrom('trusted_operation').select(['id', 'body']).where('client', '=', client).execute()).map((r) => [r.id, r.body]));
    const added: string[] = [];
    for (const op of operations) {
      const before = existing.get(op.id);
      if (before !== undefined) {
        if (before !== op.body) throw new Error(`Operation ${op.id} of ${client} is already published with another document; publish the change under a new id.`);
        continue;
      }
      await tx
        .insertInto('trusted_operation')
        .values({ client, id: op.id, name: op.name ?? null, type: op.type, body: op.body, normalised_hash: normalisedHash(op.body), status: approve ? 'approved' : 'pending', published_at: now, updated_at: now })
        .execute();
      added.push(op.id);
    }
    return added;
  });
}

/** Sets the status of `ids` (all of the client's operations when omitted); returns how many changed. */
export async function setOperationStatus(store: OperationsStore, client: string, status: OperationStatus, ids?: string[]): Promise<number> {
  let q = store.db.updateTable('trusted_operation').set({ status, updated_at: new Date().toISOString() }).where('client', '=', client).where('status', '!=', status);
  if (ids) {
    if (ids.length === 0) return 0;
    q = q.where('id', 'in', ids);
  }
  // Retired stays retired: approving everything must not bring back what the archive withdrew.
  if (!ids && status === 'approved') q = q.where('status', '=', 'pending');
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The operations of `client` (every client when omitted), by client and id. */
export function listOperations(store: OperationsStore, client?: string): Promise<TrustedOperationRow[]> {
  let q = store.db.selectFrom('trusted_operation').selectAll().orderBy('client').orderBy('id');
  if (client) q = q.where('client', '=', client);
  return q.execute();
}

/** The approved operations of `client`. */
export function approvedOperations(store: OperationsStore, client: string): Promise<Array<Pick<TrustedOperationRow, 'id' | 'body' | 'normalised_hash'>>> {
  return store.db.selectFrom('trusted_operation').select(['id', 'body', 'normalised_hash']).where('client', '=', client).where('status', '=', 'approved').execute();
}
