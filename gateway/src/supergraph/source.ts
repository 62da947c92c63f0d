/**
 * Where the supergraph comes from: the file at SUPERGRAPH_PATH, or SUPERGRAPH_URL when set. Both
 * are read whole at every poll and compared by content, so an editor's in-place write, a
 * `mv` over the file and a Kubernetes ConfigMap's symlink swap are all seen (file watchers miss
 * some of these), and a touched but unchanged file is no change.
 */
import { readFile } from 'node:fs/promises';

export interface SupergraphSource {
  /** `SUPERGRAPH_PATH (schema/supergraph.graphql)` or the URL: for log lines. */
  readonly location: string;
  /** The supergraph's text now; a URL answering 304 Not Modified gives undefined (no change). */
  read(): Promise<string | undefined>;
}

/** The file at `path`. */
export function fileSource(path: string): SupergraphSource {
  return { location: `SUPERGRAPH_PATH (${path})`, read: () => readFile(path, 'utf8') };
}

/** The document at `url`, asked for with the last ETag so an unchanged one costs a 304. */
export function urlSource(url: string, timeoutMs: number): SupergraphSource {
  let etag: string | undefined;
  return {
    location: `SUPERGRAPH_URL (${url})`,
    async read() {
      const res = await fetch(url, { headers: etag ? { 'if-none-match': etag } : {}, signal: AbortSignal.timeout(timeoutMs) });
      if (res.status === 304) return undefined;
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
      const text = await res.text();
      etag = res.headers.get('etag') ?? undefined;
      return text;
    },
  };
}
