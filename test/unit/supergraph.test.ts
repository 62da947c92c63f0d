import { readFileSync } from 'node:fs';
import { composeSupergraph } from '../../schema/compose';

describe('schema/supergraph.graphql', () => {
  it('is what `npm run compose` writes from the current subgraph SDLs', () => {
    const committed = readFileSync('schema/supergraph.graphql', 'utf8');
    expect(committed === composeSupergraph() ? 'up to date' : 'stale: run npm run compose').toBe('up to date');
  });
});
