/** The seedable randomness and date arithmetic the synthetic population and every seed share. */
/** mulberry32: a small, fast, seedable PRNG, so data is identical across runs and machines. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = ReturnType<typeof prng>;
export const pick = <T>(rnd: Random, items: ArrayLike<T>): T => items[Math.floor(rnd() * items.length)];
export const between = (rnd: Random, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

/** Adds whole years and days to a YYYY-MM-DD date, clamped to `LATEST_DATE`. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  const out = d.toISOString().slice(0, 10);
  return out > LATEST_DATE ? LATEST_DATE : out;
}
/** Records are dated no later than this, so seeds do not depend on today's date. */
export const LATEST_DATE = '2025-12-31';
