/** `npm run compose`: writes schema/supergraph.graphql from the subgraph SDLs. */
import { writeFileSync } from 'node:fs';
import { composeSupergraph } from './supergraph';

const target = 'schema/supergraph.graphql';
writeFileSync(target, composeSupergraph());
console.log(`Wrote ${target}`);
