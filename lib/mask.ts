/**
 * Masking (脱敏) conventions seen in common Chinese libraries (no national standard): ID numbers
 * keep the first 3 and last 4 characters, names the surname, mobiles the first 3 and last 4,
 * addresses their province/city/county part.
 */
export type SensitiveKind = 'idNumber' | 'name' | 'phone' | 'address';

const stars = (n: number) => '*'.repeat(Math.max(n, 0));

export const mask: Record<SensitiveKind, (value: string) => string> = {
  /** `430702198503151239` -> `430***********1239` */
  idNumber: (v) => (v.length <= 7 ? stars(v.length) : v.slice(0, 3) + stars(v.length - 7) + v.slice(-4)),
  /** `张建国` -> `张**` */
  name: (v) => (v.length <= 1 ? v : v[0] + stars(v.length - 1)),
  /** `13807361234` -> `138****1234` */
  phone: (v) => (v.length <= 7 ? stars(v.length) : v.slice(0, 3) + stars(v.length - 7) + v.slice(-4)),
  /** `湖南省常德市武陵区朗州路88号` -> `湖南省常德市武陵区****` */
  address: (v) => {
    const region = /^(.*?省)?(.*?市)?(.*?[区县市])?/.exec(v)?.[0] ?? '';
    return `${region || v.slice(0, 2)}****`;
  },
};

export const SENSITIVE_KINDS = Object.keys(mask) as SensitiveKind[];

/**
 * Stronger masks for what a resident ID number encodes (GB 11643: the 6-digit county code of
 * registration, the 8-digit birth date, the sequence and a check character), applied to a
 * person's other fields whenever that person's ID number is masked: a masked ID shows its first
 * 3 and last 4 characters, so a clear birth date and county beside it leave a single candidate.
 * With these, a birth year and a city remain: about 10 counties × 365 days ÷ 11 check values,
 * some 300 candidates (about 30 where another record, e.g. a property's location, names the county).
 */
export const maskBesideId = {
  /** `1987-06-22` -> `1987-**-**` */
  birthDate: (v: string) => (/^\d{4}-/.test(v) ? `${v.slice(0, 4)}-**-**` : stars(v.length)),
  /** Down to the city: `湖南省常德市武陵区朗州路88号`, its county mask `湖南省常德市武陵区****`, a county name `常德市武陵区` -> `湖南省常德市****`, `常德市****` */
  address: (v: string) => `${/^(.*?省)?(.*?市)?/.exec(v)?.[0] || v.slice(0, 2)}****`,
  /** A county code: `430702` -> `4307**` */
  regionCode: (v: string) => v.slice(0, 4) + stars(v.length - 4),
};
