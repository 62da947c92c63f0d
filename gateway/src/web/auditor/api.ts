/// <reference lib="dom" />
/**
 * The auditors' page's calls to the audit API (gateway/src/audit/schema.graphql), and the JSON
 * lines export it builds from them. Browser code.
 */

import type { VerifyReport } from '../../audit/verify';
import { graphqlCall } from '../graphql-client';

/** Search fields, as the audit API's `AuditFilter` takes them (empty ones are left out). */
export interface Filter {
  subject?: string;
  actor?: string;
  org?: string;
  purpose?: string;
  /** Requester category, exactly. */
  category?: string;
  /** Grant id (`X-Access-Grant`), exactly. */
  grant?: string;
  outcome?: string;
  /** ISO-8601, inclusive. */
  from?: string;
  /** ISO-8601, exclusive. */
  to?: string;
}

/** A row of the results table. */
export interface RecordSummary {
  id: string;
  seq: number;
  time: string;
  endpoint: string;
  principal: { sub: string; name: string | null; org: string | null };
  purpose: string | null;
  caseNumber: string | null;
  operationName: string | null;
  subjects: string[];
  outcome: string;
  errorCodes: string[];
}

/** A whole record, as the detail view and the export show it. */
export interface FullRecord extends RecordSummary {
  requestId: string;
  principal: RecordSummary['principal'] & { authenticated: boolean; scopes: string[]; category: string | null };
  /** The legal basis the request declared. */
  basis: { category: string | null; purpose: string | null; evidence: Array<{ kind: string; reference: string }>; grant: { id: string; approvedBy: string } | null } | null;
  clientAddress: string;
  operationType: string | null;
  documentHash: string | null;
  document: string | null;
  variables: string | null;
  fieldsReturned: string[];
  fieldsDenied: string[];
  cacheHit: boolean;
  durationMs: number;
  httpStatus: number;
  normalised: string[];
  truncated: string[];
  prevHash: string;
  hash: string;
}

/** What `auditChainStatus` answers: the server's verify report, as JSON. */
export type ChainStatus = VerifyReport;

/** One bar of the overview (`auditOverview`). */
export interface Bucket {
  key: string;
  count: number;
  denied: number;
  cacheHits: number;
}

/** One hour or day of one key (`auditTimeline`). */
export interface TimelineBucket extends Bucket {
  time: string;
}

/** A requester or subject of a top list (`auditTop`). */
export interface TopEntry {
  key: string;
  count: number;
  denied: number;
}

/** A finding of the rules (`auditFindings`), with the records that triggered it. */
export interface Finding {
  id: string;
  rule: string;
  severity: string;
  time: string;
  window: string;
  requester: { sub: string; org: string | null };
  subjects: string[];
  recordSeqs: number[];
  detail: string;
  acknowledged: boolean;
  /** The first 50 triggering records. */
  records: RecordSummary[];
}

export interface Page<T> {
  records: T[];
  hasNextPage: boolean;
  endCursor: string | null;
}

const SUMMARY = 'id seq time endpoint principal { sub name org } purpose caseNumber operationName subjects outcome errorCodes';
const FULL = `${SUMMARY} requestId principal { authenticated scopes category } basis { category purpose evidence { kind reference } grant { id approvedBy } } clientAddress operationType documentHash document variables fieldsReturned fieldsDenied cacheHit durationMs httpStatus normalised truncated prevHash hash`;
const CHAIN = 'ok records firstSeq lastSeq lastHash checkpoints lastCheckpoint { seq time keyId } keyIds anchored problem { seq reason }';

/** A client for the audit API with one token. */
export class AuditApi {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  private call<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    return graphqlCall<T>(this.url, this.token, query, variables);
  }

  /** Accesses in [from, to) grouped by `groupBy` (see the audit API's auditOverview). */
  async overview(groupBy: string, from: string, to: string): Promise<Bucket[]> {
    const query = 'query AuditOverview($from: String, $to: String, $groupBy: AuditGroupBy!) { auditOverview(from: $from, to: $to, groupBy: $groupBy) { buckets { key count denied cacheHits } } }';
    return (await this.call<{ auditOverview: { buckets: Bucket[] } }>(query, { from, to, groupBy })).auditOverview.buckets;
  }

  /** Accesses in [from, to) per hour or day and `stackBy` key (`auditTimeline`). */
  async timeline(stackBy: string, interval: 'HOUR' | 'DAY', from: string, to: string): Promise<TimelineBucket[]> {
    const query = `query AuditTimeline($from: String, $to: String, $interval: AuditInterval!, $stackBy: AuditGroupBy!) {
      auditTimeline(from: $from, to: $to, interval: $interval, stackBy: $stackBy) { time key count denied cacheHits } }`;
    return (await this.call<{ auditTimeline: TimelineBucket[] }>(query, { from, to, interval, stackBy })).auditTimeline;
  }

  /** The requesters or subjects with the most requests in [from, to) (`auditTop`). */
  async top(by: 'REQUESTER' | 'SUBJECT', from: string, to: string, first = 10): Promise<TopEntry[]> {
    const query = 'query AuditTop($from: String, $to: String, $by: AuditTopBy!, $first: Int) { auditTop(from: $from, to: $to, by: $by, first: $first) { key count denied } }';
    return (await this.call<{ auditTop: TopEntry[] }>(query, { from, to, by, first })).auditTop;
  }

  /** The newest open findings. */
  async findings(first = 20): Promise<Finding[]> {
    const query = `query AuditFindings($first: Int) { auditFindings(filter: { acknowledged: false }, first: $first) {
      edges { node { id rule severity time window requester { sub org } subjects recordSeqs detail acknowledged records(first: 50) { ${SUMMARY} } } } } }`;
    return (await this.call<{ auditFindings: { edges: Array<{ node: Finding }> } }>(query, { first })).auditFindings.edges.map((e) => e.node);
  }

  /** One page of records matching `filter`, newest first. */
  async search(filter: Filter, first = 50, after?: string | null): Promise<Page<RecordSummary>> {
    return this.page(SUMMARY, filter, first, after);
  }

  private async page<T>(fields: string, filter: Filter, first: number, after?: string | null): Promise<Page<T>> {
    const data = await this.call<{ auditRecords: { edges: Array<{ node: T }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
      `query AuditSearch($filter: AuditFilter, $first: Int, $after: String) { auditRecords(filter: $filter, first: $first, after: $after) { edges { node { ${fields} } } pageInfo { hasNextPage endCursor } } }`,
      { filter, first, after: after ?? null },
    );
    const { edges, pageInfo } = data.auditRecords;
    return { records: edges.map((e) => e.node), ...pageInfo };
  }

  /** One whole record. */
  async record(id: string): Promise<FullRecord | null> {
    return (await this.call<{ auditRecord: FullRecord | null }>(`query AuditRecord($id: ID!) { auditRecord(id: $id) { ${FULL} } }`, { id })).auditRecord;
  }

  /** Chain verification over [from, to) (the whole log without either). */
  async chainStatus(from?: string, to?: string): Promise<ChainStatus> {
    return (await this.call<{ auditChainStatus: ChainStatus }>(`query AuditChain($from: String, $to: String) { auditChainStatus(from: $from, to: $to) { ${CHAIN} } }`, { from: from ?? null, to: to ?? null }))
      .auditChainStatus;
  }

  /**
   * Every record matching `filter` (pages of 100, at most `limit`), oldest first, as the export
   * writes them. `onProgress` is told how many were read so far.
   */
  async all(filter: Filter, limit: number, onProgress: (n: number) => void): Promise<{ records: FullRecord[]; truncated: boolean }> {
    const records: FullRecord[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page<FullRecord> = await this.page<FullRecord>(FULL, filter, 100, after);
      records.push(...page.records);
      onProgress(records.length);
      if (!page.hasNextPage) return { records: records.reverse(), truncated: false };
      if (records.length >= limit) return { records: records.reverse(), truncated: true };
      after = page.endCursor;
    }
  }
}

/**
 * Downloads the utilisation register of [from, to) (`/audit/register.<format>`, the file the
 * server builds) with the token, and hands it to the browser as a file.
 */
export async function downloadRegister(url: string, token: string, format: 'xlsx' | 'jsonl', from: string, to: string): Promise<void> {
  const res = await fetch(`${url}.${format}?${new URLSearchParams({ from, to })}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new Error(body?.errors?.[0]?.message ?? `HTTP ${res.status}`);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `register.${format}`;
  const href = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/** The export's format name, in its header line. */
export const SEARCH_EXPORT_FORMAT = 'archive-federation/audit-search-export/v1';

/**
 * JSON lines: a header (the filter, the chain status of the range, counts), then one line per
 * record in chain order. It holds each record's `prevHash`/`hash`, so consecutive records can be
 * checked against each other; the signed, offline-verifiable archive export is
 * `npm run audit -- export` on the server.
 */
export function exportLines(filter: Filter, chain: ChainStatus | null, records: FullRecord[], truncated: boolean): string {
  const header = { type: 'header', format: SEARCH_EXPORT_FORMAT, exportedAt: new Date().toISOString(), filter, records: records.length, truncated, chain };
  return [header, ...records.map((r) => ({ type: 'record', ...r }))].map((line) => JSON.stringify(line)).join('\n') + '\n';
}
