/**
 * Live schema reload: a @apollo/gateway `SupergraphManager` that serves the supergraph read at
 * start, polls its source, and hands every valid new version to @apollo/gateway's `update`
 * callback. @apollo/gateway then builds the new schema and query planner and notifies Apollo
 * Server, which validates later requests against it; a request already executing keeps the plan
 * and data sources it started with, so switching drops none (Hive Gateway's graceful reload).
 *
 * A new version is refused, with a log line, and the old one keeps serving when it does not parse,
 * is not a supergraph, carries access-control directives the gateway cannot enforce, fails
 * @apollo/gateway's validation, or a subgraph it adds or moves does not answer (`check`). Invalid
 * content is not tried again until it changes; a failed check is retried at every poll.
 *
 * The authorization index switches with the schema: `policiesFor` answers for the SDL
 * @apollo/gateway is switching to while its listeners run (authz/stage.ts indexes it by schema).
 */
import type { SupergraphManager, SupergraphSdlUpdateFunction } from '@apollo/gateway';
import type { PolicyIndex } from '../authz/policies';
import type { Logger } from '../../../lib/logger';
import type { ReadinessCheck } from '../health/readiness';
import { prepareSupergraph, supergraphId, type PreparedSupergraph, type SupergraphSubgraph } from './prepare';
import type { SupergraphSource } from './source';
import type { Catalogue } from '../../../lib/legal-basis';

export interface LiveSupergraphOptions {
  /** The supergraph served first. */
  initial: PreparedSupergraph;
  /** Where new versions come from; without one the supergraph never changes. @default none */
  source?: SupergraphSource;
  /** Time between two reads of `source`. @default 2000 (SUPERGRAPH_POLL_INTERVAL_MS) */
  intervalMs: number;
  /** Throws (saying why) unless `next` may replace `current`, e.g. when a subgraph it adds does not answer. @default none */
  check?: (next: PreparedSupergraph, current: PreparedSupergraph) => Promise<void>;
  /** The access rules' catalogue every version must match (prepareSupergraph). @default none */
  catalogue?: Catalogue;
  /** Called once `next` is served, e.g. to tell readiness its subgraphs. @default none */
  onServed?: (next: PreparedSupergraph, previous: PreparedSupergraph) => void;
  logger: Logger;
}

/** What one poll did. */
export type PollOutcome = 'unchanged' | 'served' | 'refused';

export class LiveSupergraph implements SupergraphManager {
  private served: PreparedSupergraph;
  /** The version @apollo/gateway is switching to, while its update runs. */
  private switching?: PreparedSupergraph;
  private update?: SupergraphSdlUpdateFunction;
  /** Last text read (a URL's 304 means "still this"), and the id of content refused as invalid. */
  private lastRead?: string;
  private invalidId?: string;
  private lastRefusal?: string;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<PollOutcome>;
  private stopped = false;

  constructor(private readonly options: LiveSupergraphOptions) {
    this.served = options.initial;
  }

  /** The version being served. */
  get current(): PreparedSupergraph {
    return this.served;
  }

  /** The authorization index of the version whose gateway SDL is `gatewaySdl` (undefined: not one of ours). */
  policiesFor = (gatewaySdl: string): PolicyIndex | undefined =>
    [this.switching, this.served].find((v) => v?.gatewaySdl === gatewaySdl)?.policies;

  /** Called by @apollo/gateway when it loads: the first SDL, and the polling starts. */
  async initialize({ update }: { update: SupergraphSdlUpdateFunction }) {
    this.update = update;
    this.schedule();
    return { supergraphSdl: this.served.gatewaySdl, cleanup: async () => this.stop() };
  }

  /** Reads the source once and switches if it holds a new, valid version (the timer calls this; tests may too). */
  poll(): Promise<PollOutcome> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** Stops polling (when the gateway stops). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped || !this.options.source || this.options.intervalMs <= 0) return;
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), this.options.intervalMs);
    this.timer.unref();
  }

  private async pollOnce(): Promise<PollOutcome> {
    const { source, logger } = this.options;
    if (!source || !this.update) return 'unchanged';
    let text: string | undefined;
    try {
      text = (await source.read()) ?? this.lastRead;
    } catch (err) {
      this.refuse(`unreadable:${(err as Error).message}`, { err, location: source.location }, 'supergraph source unreadable; still serving the current supergraph');
      return 'refused';
    }
    this.lastRead = text;
    if (text === undefined) return 'unchanged';
    const id = supergraphId(text);
    if (id === this.served.id || id === this.invalidId) return 'unchanged';
    let next: PreparedSupergraph;
    try {
      next = prepareSupergraph(text, this.options.catalogue);
    } catch (err) {
      return this.invalid(id, err);
    }
    try {
      await this.options.check?.(next, this.served);
    } catch (err) {
      this.refuse(`check:${id}:${(err as Error).message}`, { err, supergraph: id, serving: this.served.id }, 'new supergraph not served yet: retrying at the next poll');
      return 'refused';
    }
    if (this.stopped) return 'unchanged';
    const previous = this.served;
    this.switching = next;
    try {
      this.update(next.gatewaySdl); // synchronous: the schema, the planner and Apollo Server switch together
    } catch (err) {
      return this.invalid(id, err);
    } finally {
      this.switching = undefined;
    }
    this.served = next;
    this.lastRefusal = undefined;
    logger.info({ supergraph: next.id, previous: previous.id, subgraphs: next.subgraphs.map((s) => s.name) }, 'supergraph reloaded');
    this.options.onServed?.(next, previous);
    return 'served';
  }

  private invalid(id: string, err: unknown): PollOutcome {
    this.invalidId = id;
    this.refuse(`invalid:${id}`, { err, supergraph: id, serving: this.served.id }, 'new supergraph refused as invalid; still serving the current one');
    return 'refused';
  }

  /** Logs a refusal once per distinct reason, so a retried check does not log every poll. */
  private refuse(reason: string, fields: Record<string, unknown>, message: string): void {
    if (reason === this.lastRefusal) return;
    this.lastRefusal = reason;
    this.options.logger.error(fields, message);
  }
}

/**
 * The `check` the gateway uses: every subgraph `next` adds, or serves from another URL, answers
 * the readiness probe (`checkOf`, as /readyz asks it); the others are already being served.
 */
export function subgraphsAnswer(checkOf: (subgraph: SupergraphSubgraph) => ReadinessCheck): NonNullable<LiveSupergraphOptions['check']> {
  return async (next, current) => {
    const before = new Map(current.subgraphs.map((s) => [s.name, s.url]));
    const added = next.subgraphs.filter((s) => before.get(s.name) !== s.url);
    const results = await Promise.all(added.map(async (s) => ({ name: s.name, result: await checkOf(s)() })));
    const failed = results.filter((r) => !r.result.ok);
    if (failed.length > 0) throw new Error(`subgraph(s) not answering: ${failed.map((f) => `${f.name} (${f.result.status})`).join(', ')}`);
  };
}
