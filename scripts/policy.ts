/**
 * `npm run policy -- explain --category court --purpose marriage-confirmation --field Person.marriages
 *   [--evidence unit-letter,work-id] [--grant]`: prints whether the access rules release the field
 * and the rule that decided it.
 * `npm run policy -- validate`: checks the policy files (ACCESS_POLICY_DIR) against their schema and
 * the supergraph (SUPERGRAPH_PATH), as the gateway does at start.
 * `npm run policy -- purposes`: lists the purposes, who may declare each and with what evidence.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { loadAccessPolicy } from '../lib/legal-basis';
import { assertRulesCoverSchema, readPolicies } from '../gateway/src/authz/policies';
import { subgraphsOf } from '../gateway/src/supergraph/prepare';

function main(): void {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      category: { type: 'string' },
      purpose: { type: 'string' },
      field: { type: 'string', multiple: true },
      evidence: { type: 'string', default: '' },
      grant: { type: 'boolean', default: false },
      organisation: { type: 'string' },
    },
  });
  const config = loadConfig();
  const policy = loadAccessPolicy(config.ACCESS_POLICY_DIR);
  const [command] = positionals;
  if (command === 'validate') {
    const sdl = readFileSync(config.SUPERGRAPH_PATH, 'utf8');
    assertRulesCoverSchema(readPolicies(sdl).policies, policy.catalogue, subgraphsOf(sdl).map((s) => s.name));
    console.log(`${config.ACCESS_POLICY_DIR}: the rules validate against their schema and cover ${config.SUPERGRAPH_PATH}.`);
    return;
  }
  if (command === 'purposes') {
    for (const p of policy.catalogue.purposes.values()) {
      console.log(`${p.code}  ${p.nameZh} / ${p.name}  (${p.basis})`);
      for (const u of policy.usersOf(p.code)) if (!u.grant) console.log(`  ${u.category}${u.evidence.length ? `: ${u.evidence.join(' + ')}` : ''}`);
      console.log(`  anyone else: with the archive's approval (X-Access-Grant)`);
      for (const [department, fields] of Object.entries(p.fields)) console.log(`  ${department}: ${fields.join(' ')}`);
    }
    return;
  }
  if (command !== 'explain' || !values.category || !values.field?.length) {
    throw new Error('Usage: npm run policy -- explain --category C --purpose P --field Type.field [--field …] [--evidence kind,kind] [--grant]\n       npm run policy -- validate | purposes');
  }
  const evidence = values.evidence.split(',').map((k) => k.trim()).filter(Boolean);
  for (const kind of evidence) if (!policy.catalogue.evidence.has(kind)) throw new Error(`Unknown evidence kind "${kind}"; one of: ${[...policy.catalogue.evidence.keys()].join(', ')}`);
  for (const field of values.field) {
    const grant = values.grant ? { id: 'G-EXPLAIN', fields: [field] } : undefined;
    const d = policy.decide({ category: values.category, organisation: values.organisation, purpose: values.purpose, evidence, grant }, field);
    const because = d.rules.length ? ` by rule ${d.rules.join(', ')}` : ' (no rule permits it)';
    console.log(`${field}: ${d.allowed ? 'RELEASED' : `WITHHELD — ${d.reason}`}${because}`);
    if (d.missingEvidence?.length) console.log(`  missing evidence: ${d.missingEvidence.join(', ')}`);
    if (!d.allowed && d.purposes?.length) console.log(`  purposes that release it: ${d.purposes.join(', ')}`);
  }
}

try {
  main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
