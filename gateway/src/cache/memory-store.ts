/**
 * The in-memory cache store (no Redis configured): an LRU map with per-entry expiry and tag sets.
 * It lives in one process, so an invalidation reaches only this gateway.
 *
 * Bounded by entries and by bytes: a count alone lets a few thousand large answers (or answers
 * with thousands of tags) fill the heap. The bytes are an estimate — keys, values and tags as
 * UTF-16 (2 bytes a character, what V8 uses for any string holding Chinese) plus a fixed overhead
 * per entry and per tag for the maps and sets that hold them.
 */
import { randomUUID } from 'node:crypto';
import type { CacheRead, CacheStore } from './store';

interface Entry {
  value: string;
  expiresAt: number;
  tags: string[];
  /** This entry's share of the byte budget (see `entryBytes`). */
  bytes: number;
}

export interface MemoryStoreLimits {
  /** Entries kept before the least recently used are evicted. @default 10000 (CACHE_MEMORY_MAX_ENTRIES) */
  maxEntries: number;
  /** Estimated bytes kept before the least recently used are evicted. @default 64 MiB (CACHE_MEMORY_MAX_BYTES) */
  maxBytes: number;
}

// Measured with --expose-gc on Node 20 (heap growth over 100,000 items, strings subtracted): an
// entry's object, tag array and Map slot ~300 bytes; a tag of its own, with its Set and slots ~280.
// A tag shared by many entries costs less, so the estimate errs on the large side.
const ENTRY_OVERHEAD = 300;
const TAG_OVERHEAD = 280;

/** What one entry costs the heap, estimated (see the module comment). */
export function entryBytes(key: string, value: string, tags: readonly string[]): number {
  return ENTRY_OVERHEAD + 2 * (key.length + value.length) + tags.reduce((sum, t) => sum + TAG_OVERHEAD + 2 * t.length, 0);
}

export class MemoryStore implements CacheStore {
  readonly kind = 'memory';
  // A Map iterates in insertion order: re-inserting on every read keeps the least recently used first.
  private readonly entries = new Map<string, Entry>();
  private readonly tags = new Map<string, Set<string>>();
  private epoch = randomUUID();
  private bytes = 0;

  constructor(private readonly limits: MemoryStoreLimits) {}

  /** Estimated bytes held now; never above `limits.maxBytes`. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  async connect(): Promise<void> {}
  onReady(): void {}

  async get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.remove(key, entry);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.put(key, value, ttlSeconds, []);
  }

  async read(key: string): Promise<CacheRead> {
    return { value: await this.get(key), epoch: this.epoch };
  }

  async write(key: string, value: string, ttlSeconds: number, tags: string[], epoch: string): Promise<boolean> {
    if (epoch !== this.epoch) return false;
    this.put(key, value, ttlSeconds, tags);
    return true;
  }

  async invalidate(tags: string[]): Promise<number> {
    this.epoch = randomUUID();
    let dropped = 0;
    for (const tag of tags) {
      for (const key of this.tags.get(tag) ?? []) {
        const entry = this.entries.get(key);
        if (!entry) continue;
        this.remove(key, entry);
        dropped++;
      }
      this.tags.delete(tag);
    }
    return dropped;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.tags.clear();
    this.bytes = 0;
  }

  private put(key: string, value: string, ttlSeconds: number, tags: string[]): void {
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    const bytes = entryBytes(key, value, tags);
    // Larger than the whole budget: storing it would only evict everything else, then itself.
    if (bytes > this.limits.maxBytes) return;
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000, tags, bytes });
    this.bytes += bytes;
    for (const tag of tags) (this.tags.get(tag) ?? this.tags.set(tag, new Set()).get(tag)!).add(key);
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.remove(oldest, entry);
    }
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    this.untag(key, entry);
  }

  /** Forgets `key` in its tag sets, so tag sets never outgrow the entries. */
  private untag(key: string, entry: Entry): void {
    for (const tag of entry.tags) {
      const keys = this.tags.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.tags.delete(tag);
    }
  }
}
