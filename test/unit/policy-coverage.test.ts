/**
 * Every record field of the composed schema has a declared policy, and every field that carries
 * one is nullable, so denying it never nulls its parent object. The gateway's own `access`
 * subgraph holds no department's records: its types are reached only through its root fields,
 * which are guarded like every other.
 */
import { readFileSync } from 'node:fs';
import { buildASTSchema, isNonNullType, isObjectType, parse } from 'graphql';
import { ACCESS_SUBGRAPH } from '../../gateway/src/access';
import { coordinateOwners } from '../../gateway/src/audit/departments';
import { readPolicies } from '../../gateway/src/authz/policies';

const supergraph = readFileSync('schema/supergraph.graphql', 'utf8');
const owners = coordinateOwners(supergraph);
const accessOnly = (type: string) => [...owners].filter(([c]) => c.startsWith(`${type}.`)).every(([, graphs]) => graphs.length === 1 && graphs[0] === ACCESS_SUBGRAPH);
const { gatewaySdl, policies } = readPolicies(supergraph);
const schema = buildASTSchema(parse(gatewaySdl));
const hasScopes = (coordinate: string) => (policies.fields.get(coordinate)?.scopes.length ?? 0) > 0;
const ROOTS = new Set(['Query', 'Mutation']);
const recordTypes = Object.values(schema.getTypeMap()).filter(
  (t) => isObjectType(t) && !t.name.startsWith('_') && !t.name.startsWith('join__') && !t.name.startsWith('link__') && !ROOTS.has(t.name) && t.name !== 'Person' && !accessOnly(t.name),
);

describe('policy coverage of schema/supergraph.graphql', () => {
  it('finds the record types of all four departments', () => {
    const names = recordTypes.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['MarriageRecord', 'PropertyRight', 'SocialInsurance', 'MedicalSettlement']));
  });

  it.each(recordTypes.map((t) => [t.name]))('%s requires a department scope', (name) => {
    const typeLevel = (policies.types.get(name)?.scopes.length ?? 0) > 0;
    const fields = Object.keys((schema.getType(name) as any).getFields());
    const unprotected = fields.filter((f) => !typeLevel && !hasScopes(`${name}.${f}`));
    expect(unprotected).toEqual([]);
  });

  it('protects every Person field but the key, and every root field', () => {
    const person = schema.getType('Person') as any;
    const open = Object.keys(person.getFields()).filter((f) => f !== 'idNumber' && !hasScopes(`Person.${f}`));
    expect(open).toEqual([]);
    for (const root of ['Query', 'Mutation']) {
      const type = schema.getType(root) as any;
      if (!type) continue;
      const unguarded = Object.keys(type.getFields()).filter((f) => {
        const r = policies.fields.get(`${root}.${f}`);
        return !r || (!r.authenticated && r.scopes.length === 0);
      });
      expect(unguarded).toEqual([]);
    }
  });

  it('keeps every policy-carrying field below the root nullable', () => {
    const nonNull: string[] = [];
    for (const [coordinate] of policies.fields) {
      const [typeName, fieldName] = coordinate.split('.');
      if (ROOTS.has(typeName)) continue;
      const field = (schema.getType(typeName) as any)?.getFields()[fieldName];
      if (field && isNonNullType(field.type)) nonNull.push(coordinate);
    }
    expect(nonNull).toEqual([]);
  });
});
