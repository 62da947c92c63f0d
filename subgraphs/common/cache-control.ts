import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The `@cacheControl` directive the department SDLs put their cache hints in (see the .graphql). */
export const cacheControlTypeDefs = readFileSync(path.join(__dirname, 'cache-control.graphql'), 'utf8');
