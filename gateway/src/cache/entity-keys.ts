/**
 * The entities a request's subgraph fetches asked for by key, which the response cache tags its
 * entry with (key.ts, `responseTags`): a spouse whose medical insurance came back null still
 * tags the entry, so enrolling them later drops it. The cache installs one on the context on a
 * miss (`CachedContext.entityKeys`); the subgraph data source (gateway/src/fetch) only reports its
 * fetches to it, through `FetchListener`.
 */

/** What the subgraph data source tells the context's listener about each subgraph fetch. */
export interface FetchListener {
  /** A fetch is being sent with these variables. */
  fetching(variables: Record<string, unknown> | undefined): void;
}

export class EntityKeys implements FetchListener {
  /** `Type:value` for each entity fetched by a single-field key (`Person:<idNumber>`). */
  readonly tags = new Set<string>();

  /** Notes the entities a fetch asks for by key (`_entities` representations). */
  fetching(variables: Record<string, unknown> | undefined): void {
    const representations = variables?.representations;
    if (!Array.isArray(representations)) return;
    for (const rep of representations) {
      const { __typename, ...key } = (rep ?? {}) as Record<string, unknown>;
      const values = Object.values(key);
      if (typeof __typename === 'string' && values.length === 1 && typeof values[0] === 'string') this.tags.add(`${__typename}:${values[0]}`);
    }
  }
}
