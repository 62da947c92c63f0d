/**
 * Which department's data a record returned: each schema coordinate in `fieldsReturned` belongs to
 * the subgraph the supergraph says resolves it (`@join__field(graph:)`, or the type's only
 * `@join__type`). Fields several subgraphs resolve (entity keys, shared interfaces) name none.
 */
import { Kind, parse, type ConstDirectiveNode } from 'graphql';

/** Coordinate (`Person.marriages`) → department (`marriage`). */
export type DepartmentMap = ReadonlyMap<string, string>;

const argument = (d: ConstDirectiveNode, name: string) => {
  const v = d.arguments?.find((a) => a.name.value === name)?.value;
  return v && (v.kind === Kind.ENUM || v.kind === Kind.STRING || v.kind === Kind.BOOLEAN) ? v.value : undefined;
};

/** Reads the coordinate → department map from a composed supergraph's SDL. */
export function departmentMap(supergraphSdl: string): DepartmentMap {
  const doc = parse(supergraphSdl);
  const graphs = new Map<string, string>();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.ENUM_TYPE_DEFINITION || def.name.value !== 'join__Graph') continue;
    for (const value of def.values ?? []) {
      const name = value.directives?.find((d) => d.name.value === 'join__graph');
      const label = name && argument(name, 'name');
      if (typeof label === 'string') graphs.set(value.name.value, label);
    }
  }
  const map = new Map<string, string>();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const typeGraphs = (def.directives ?? []).filter((d) => d.name.value === 'join__type').map((d) => argument(d, 'graph'));
    for (const field of def.fields ?? []) {
      const joins = (field.directives ?? []).filter((d) => d.name.value === 'join__field' && argument(d, 'external') !== true);
      const owners = new Set(joins.length > 0 ? joins.map((d) => argument(d, 'graph')) : typeGraphs);
      const [only] = owners;
      const department = owners.size === 1 && typeof only === 'string' ? graphs.get(only) : undefined;
      if (department) map.set(`${def.name.value}.${field.name.value}`, department);
    }
  }
  return map;
}

/** The departments a record's returned coordinates came from, sorted and comma-joined; `none` when none. */
export function departmentsOf(map: DepartmentMap, fieldsReturned: readonly string[]): string {
  const set = new Set<string>();
  for (const c of fieldsReturned) {
    const d = map.get(c);
    if (d) set.add(d);
  }
  return set.size > 0 ? [...set].sort().join(',') : 'none';
}
