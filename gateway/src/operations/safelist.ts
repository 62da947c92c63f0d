/**
 * The gateway's view of the trusted-operations store: each client's approved operations, read
 * on first use and again once `ttlMs` has passed, so a publish, approval or retirement reaches
 * every replica within that time without a message bus. While the store is unreachable the last
 * list read keeps serving; a client never read before has an empty list (refuse mode refuses it).
 */
import { BoundedMap } from '../../../lib/bounded-map';
import type { Logger } from '../../../lib/logger';
import { approvedOperations, type OperationsStore } from './store';

/** One client's approved operations. */
export interface ClientList {
  /** Document by operation id. */
  bodies: ReadonlyMap<string, string>;
  /** Operation id by normalised-document hash. */
  ids: ReadonlyMap<string, string>;
}

const EMPTY: ClientList = { bodies: new Map(), ids: new Map() };

interface Entry {
  list: ClientList;
  readAt: number;
  reading?: Promise<ClientList>;
}

export interface SafelistOptions {
  /** Opens the store; called again after a failure. */
  open(): Promise<OperationsStore>;
  /** How long a client's list is reused. @default 5000 */
  ttlMs: number;
  logger: Logger;
  /** Most clients kept; the client name comes from a header, so it is bounded. @default 1000 */
  maxClients?: number;
}

export class Safelist {
  private readonly entries: BoundedMap<string, Entry>;
  private store?: Promise<OperationsStore>;

  constructor(private readonly options: SafelistOptions) {
    this.entries = new BoundedMap(options.maxClients ?? 1000);
  }

  /** The approved operations of `client`, at most `ttlMs` old (older while the store is down). */
  forClient(client: string): Promise<ClientList> | ClientList {
    let entry = this.entries.get(client);
    if (!entry) {
      entry = { list: EMPTY, readAt: 0 };
      this.entries.set(client, entry);
    }
    if (Date.now() - entry.readAt < this.options.ttlMs) return entry.list;
    // Requests arriving while the list is read wait for the same read.
    return (entry.reading ??= this.refresh(client, entry));
  }

  async close(): Promise<void> {
    const store = await this.store?.catch(() => undefined);
    await store?.close();
  }

  private async refresh(client: string, entry: Entry): Promise<ClientList> {
    try {
      entry.list = await this.read(client);
    } catch (err) {
      this.options.logger.warn({ err, client }, 'trusted operations store unreachable; the last list read is used');
    } finally {
      entry.readAt = Date.now();
      entry.reading = undefined;
    }
    return entry.list;
  }

  private async read(client: string): Promise<ClientList> {
    if (!this.store) {
      const opening = this.options.open();
      this.store = opening;
      opening.catch(() => {
        if (this.store === opening) this.store = undefined; // the next read tries again
      });
    }
    const rows = await approvedOperations(await this.store, client);
    return { bodies: new Map(rows.map((r) => [r.id, r.body])), ids: new Map(rows.map((r) => [r.normalised_hash, r.id])) };
  }
}
