/** Every department's subgraph definition, by name: what start, seed, compose and tests iterate over. */
import type { Department } from '../lib/config';
import type { SubgraphDefinition } from './common/server';
import { subgraph as marriage } from './marriage';

export const SUBGRAPHS: Partial<Record<Department, SubgraphDefinition>> = {
  marriage,
};
