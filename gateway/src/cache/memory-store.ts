/**
 * The in-memory cache store (REDIS_URL unset): an LRU map with per-entry expiry and tag sets.
 * It lives in one process, so an invalidation reaches only this gateway.
 */
import { randomUUID } from 'node:crypto';
import type { CacheRead, CacheStore } from './store';

interface Entry {
  value: string;
  expiresAt: number;
  tags: string[];
}

export class MemoryStore implements CacheStore {
  readonly kind = 'memory';
  // A Map iterates in insertion order: re-inserting on every read keeps the least recently used first.
  private readonly entries = new Map<string, Entry>();
  private readonly tags = new Map<string, Set<string>>();
  private epoch = randomUUID();

  /** @param maxEntries entries kept before the least recently used are evicted */
  constructor(private readonly maxEntries: number) {}

  async connect(): Promise<void> {}
  onReady(): void {}

  async get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= Date.now()) {
      this.untag(key, entry);
      return undefined;
    }
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
        this.entries.delete(key);
        this.untag(key, entry);
        dropped++;
      }
      this.tags.delete(tag);
    }
    return dropped;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.tags.clear();
  }

  private put(key: string, value: string, ttlSeconds: number, tags: string[]): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.untag(key, old);
    }
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000, tags });
    for (const tag of tags) (this.tags.get(tag) ?? this.tags.set(tag, new Set()).get(tag)!).add(key);
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
      this.untag(oldest, entry);
    }
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
