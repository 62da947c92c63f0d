/** Every department's subgraph definition, by name: what start, seed, compose and tests iterate over. */
import type { Department } from '../lib/config';
import type { SubgraphDefinition } from './common/server';
import { subgraph as socialSecurity } from './social-security';
import { subgraph as marriage } from './marriage';
import { subgraph as realEstate } from './real-estate';
import { subgraph as medicalInsurance } from './medical-insurance';

export const SUBGRAPHS: Record<Department, SubgraphDefinition> = {
  'social-security': socialSecurity,
  'real-estate': realEstate,
  marriage,
  'medical-insurance': medicalInsurance,
};

/** The definition of the department `name`; throws naming the departments there are. */
export function subgraphDefinition(name: string): SubgraphDefinition {
  const def = SUBGRAPHS[name as Department];
  if (!def) throw new Error(`Unknown subgraph "${name}"; one of: ${Object.keys(SUBGRAPHS).join(', ')}`);
  return def;
}
