/**
 * The audit part of /readyz: a replica whose records cannot be committed must not receive traffic,
 * whether its store is unreachable or its writer is wedged (a commit stuck behind a dead
 * connection or the chain lock), and the check itself answers within its own deadline.
 */
import { withDeadline } from '../../../lib/deadline';
import type { LazyAuditStore } from './store';
import type { AuditWriter } from './writer';

export interface AuditReadiness {
  ready: boolean;
  /** `reachable`, `unreachable` (no answer, or none within the deadline) or `stalled` (a commit older than the limit). */
  audit: 'reachable' | 'unreachable' | 'stalled';
  /** Why the replica is not ready, for operators. */
  reason?: string;
}

export interface AuditReadinessOptions {
  store: Pick<LazyAuditStore, 'reachable'>;
  writer: Pick<AuditWriter, 'commitAgeMs'>;
  /** A commit running longer than this makes the replica not ready (AUDIT_STALLED_AFTER_MS). */
  stalledAfterMs: number;
  /** The store probe's deadline (READYZ_TIMEOUT_MS). */
  timeoutMs: number;
}

/** Checks the writer first (no I/O), then probes the store within `timeoutMs`. */
export async function checkAuditReadiness({ store, writer, stalledAfterMs, timeoutMs }: AuditReadinessOptions): Promise<AuditReadiness> {
  const age = writer.commitAgeMs();
  if (age > stalledAfterMs) {
    return { ready: false, audit: 'stalled', reason: `an audit commit has been running for ${age} ms (limit ${stalledAfterMs} ms)` };
  }
  const reachable = await withDeadline(store.reachable(), timeoutMs, () => new Error('timeout')).catch(() => null);
  if (reachable) return { ready: true, audit: 'reachable' };
  return { ready: false, audit: 'unreachable', reason: reachable === null ? `the audit store did not answer within ${timeoutMs} ms` : 'the audit store is unreachable' };
}
