/**
 * Steady traffic over gateway replicas while something fails: reads of a few persons' names and,
 * meanwhile, corrections of one person's name (numbered, so each answer can be placed in time).
 * Every answer is checked as it arrives: a name must be the person's own, and a corrected person's
 * never older than the last correction acknowledged before the read was sent.
 */
import { gql } from '../helpers';

const READ = 'query($id: ID!) { person(idNumber: $id) { name } }';
const CORRECT = 'mutation($id: ID!, $n: String!) { correctPersonName(idNumber: $id, name: $n) { name } }';

export interface LoadOptions {
  /** Gateway GraphQL URLs; requests go round-robin. */
  urls: string[];
  headers: Record<string, string>;
  /** Persons read, with their current names; the first is also corrected every `correctEveryMs`. */
  persons: Array<{ idNumber: string; name: string }>;
  concurrency?: number;
  correctEveryMs?: number;
  /** When set, every request carries `x-request-id: <requestIdPrefix><n>`, and the report lists those answered with data. */
  requestIdPrefix?: string;
}

export interface LoadReport {
  requests: number;
  /** Reads answered with the right data. */
  answered: number;
  /** Reads and corrections that failed, by what the client saw (`503 AUDIT_UNAVAILABLE`, `network`, …). */
  errors: Record<string, number>;
  /** Answers with a wrong or outdated name: must stay empty. */
  wrong: string[];
  corrections: number;
  /** Milliseconds from the first to the last failed request (0 when none failed). */
  errorWindowMs: number;
  /** The request ids of the requests answered with data (with `requestIdPrefix`). */
  answeredIds: string[];
}

/** The corrected name number `n` of `base` (0 = the original). */
const versioned = (base: string, n: number) => (n === 0 ? base : `${base}·${n}`);

/** The `stop` of every load still running: a test that fails before its own `stop()` leaves one behind. */
const unstopped = new Set<() => Promise<LoadReport>>();

/**
 * Stops every load still running (call it first in `afterAll`): a load left sending would keep Jest
 * from ever exiting, so a failed test would hang the run instead of failing it.
 */
export async function stopLoads(): Promise<void> {
  for (const stop of [...unstopped]) await stop().catch(() => {});
}

/** Starts the traffic; `stop()` ends it and reports. */
export function startLoad(options: LoadOptions): { stop(): Promise<LoadReport> } {
  const { urls, headers, persons, concurrency = 6, correctEveryMs = 300, requestIdPrefix } = options;
  const corrected = persons[0];
  let issued = 0; // corrections sent
  let acked = 0; // highest correction acknowledged
  let sending = true;
  let turn = 0;
  const report: LoadReport = { requests: 0, answered: 0, errors: {}, wrong: [], corrections: 0, errorWindowMs: 0, answeredIds: [] };
  let firstError = 0;
  let lastError = 0;
  const failed = (what: string) => {
    report.errors[what] = (report.errors[what] ?? 0) + 1;
    lastError = Date.now();
    firstError ||= lastError;
  };
  const send = async (query: string, variables: Record<string, unknown>) => {
    const requestId = requestIdPrefix && `${requestIdPrefix}${++report.requests}`;
    if (!requestIdPrefix) report.requests++;
    try {
      const res = await gql(urls[turn++ % urls.length], query, variables, requestId ? { ...headers, 'x-request-id': requestId } : headers);
      const codes = (res.errors ?? []).map((e) => e.extensions?.code ?? 'NO_CODE');
      if (codes.length > 0) failed(`${res.status} ${[...new Set(codes)].join(',')}`);
      if (requestId && res.data) report.answeredIds.push(requestId);
      return codes.length === 0 ? res.data : undefined;
    } catch (err) {
      failed(`network ${(err as Error).cause ?? (err as Error).message}`);
      return undefined;
    }
  };

  const reader = async (offset: number) => {
    for (let i = offset; sending; i++) {
      const person = persons[i % persons.length];
      const floor = person === corrected ? acked : 0;
      const data = await send(READ, { id: person.idNumber });
      if (!data) continue;
      const name: string = data.person?.name;
      const ceiling = person === corrected ? issued : 0;
      const ok = Array.from({ length: ceiling - floor + 1 }, (_, k) => versioned(person.name, floor + k)).includes(name);
      if (ok) report.answered++;
      else report.wrong.push(`${person.idNumber}: "${name}", expected correction ${floor}..${ceiling} of "${person.name}"`);
    }
  };
  const corrector = async () => {
    while (sending) {
      const n = ++issued;
      const data = await send(CORRECT, { id: corrected.idNumber, n: versioned(corrected.name, n) });
      if (data?.correctPersonName?.name === versioned(corrected.name, n)) {
        acked = Math.max(acked, n);
        report.corrections++;
      }
      await new Promise((r) => setTimeout(r, correctEveryMs));
    }
  };

  const workers = [...Array.from({ length: concurrency }, (_, k) => reader(k)), corrector()];
  const stop = async () => {
    unstopped.delete(stop);
    sending = false;
    await Promise.all(workers);
    report.errorWindowMs = lastError - firstError;
    // Leave the corrected person as found, so a later test reads the original name.
    await gql(urls[0], CORRECT, { id: corrected.idNumber, n: corrected.name }, headers);
    return report;
  };
  unstopped.add(stop);
  return { stop };
}
