/**
 * The non-disclosure rule of the citizen's access history: which accesses are withheld from the
 * person they concern, and for how long. Configuration (ACCESS_HISTORY_*), visible to auditors
 * as `accessHistoryPolicy` on /audit/graphql, so withholding is itself accountable.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Config } from '../../../lib/config';

/** What a rule matches on: the caller's category claim, organisation, or declared purpose (exactly). */
export type HiddenField = 'category' | 'org' | 'purpose';

/** One rule: accesses whose `field` equals `value` are hidden until they are `delayDays` old. */
export interface HiddenRule {
  field: HiddenField;
  value: string;
  delayDays: number;
}

export interface AccessHistoryPolicy {
  hidden: HiddenRule[];
}

const DAY_MS = 86_400_000;

/** The policy configured by ACCESS_HISTORY_HIDDEN_CATEGORIES / _ORGS / _PURPOSES and ACCESS_HISTORY_DELAY_DAYS. */
export function accessHistoryPolicy(config: Config): AccessHistoryPolicy {
  const delayDays = config.ACCESS_HISTORY_DELAY_DAYS;
  const rules = (field: HiddenField, values: string[]) => values.map((value) => ({ field, value, delayDays }));
  return {
    hidden: [
      ...rules('category', config.ACCESS_HISTORY_HIDDEN_CATEGORIES),
      ...rules('org', config.ACCESS_HISTORY_HIDDEN_ORGS),
      ...rules('purpose', config.ACCESS_HISTORY_HIDDEN_PURPOSES),
    ],
  };
}

/**
 * The column (or, for the category, the hashed record's `principal.category`) a rule compares.
 * The category is not a column: only this rule reads it, over one citizen's records.
 */
const columnOf: Record<HiddenField, RawBuilder<string | null>> = {
  category: sql<string | null>`(body::jsonb #>> '{principal,category}')`,
  org: sql<string | null>`org`,
  purpose: sql<string | null>`purpose`,
};

/**
 * A condition true for the audit rows the policy still withholds at `now`: matching a rule and
 * younger than its delay. `coalesce` because a null column (no category) must not hide the row.
 */
export function withheld(policy: AccessHistoryPolicy, now: Date): RawBuilder<boolean> {
  if (policy.hidden.length === 0) return sql<boolean>`false`;
  const each = policy.hidden.map(({ field, value, delayDays }) => {
    const until = new Date(now.getTime() - delayDays * DAY_MS).toISOString();
    return sql`coalesce(${columnOf[field]} = ${value} AND time > ${until}::timestamptz, false)`;
  });
  return sql<boolean>`(${sql.join(each, sql` OR `)})`;
}

/** The policy as the auditors' API shows it: `match` reads `category=public-security`. */
export function describePolicy(policy: AccessHistoryPolicy) {
  return { hidden: policy.hidden.map((r) => ({ match: `${r.field}=${r.value}`, field: r.field, value: r.value, delayDays: r.delayDays })) };
}
