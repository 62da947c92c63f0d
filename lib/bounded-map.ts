/**
 * The project's one bounded memo: a Map that holds at most `max` entries. Adding a key past that
 * drops the oldest one (insertion order), so whatever callers send, the memo's size stays fixed.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.max && !this.has(key)) this.delete(this.keys().next().value!);
    return super.set(key, value);
  }
}
