/** The Apollo persisted-query manifest, as client systems publish it (`npm run operations -- publish`). */
import { z } from 'zod';
import { normalisedHash } from './normalise';
import type { ManifestOperation } from './store';

const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1).max(200),
      name: z.string().nullish(),
      type: z.enum(['query', 'mutation', 'subscription']),
      body: z.string().min(1),
    }),
  ),
});

/** Validates a manifest: its shape, unique ids, and every body a parseable document. */
export function parseManifest(json: unknown): ManifestOperation[] {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`Not an Apollo persisted-query manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const ids = new Set<string>();
  for (const op of parsed.data.operations) {
    if (ids.has(op.id)) throw new Error(`Operation id ${op.id} appears twice in the manifest.`);
    ids.add(op.id);
    try {
      normalisedHash(op.body);
    } catch (err) {
      throw new Error(`Operation ${op.id} does not parse: ${(err as Error).message}`);
    }
  }
  return parsed.data.operations;
}
