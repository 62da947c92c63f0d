/**
 * Label values that come from callers (a client-name header, an organisation claim) would let a
 * caller create unbounded time series; past `max` distinct values, new ones are counted as `other`.
 */
export function boundedLabel(max = 100): (value: string | undefined) => string {
  const seen = new Set<string>();
  return (value) => {
    if (value === undefined) return 'none';
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}
