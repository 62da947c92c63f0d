/**
 * Which department released a field: the owning subgraph of each schema coordinate, read from the
 * supergraph's join directives, so it follows whatever supergraph the gateway serves. Used by the
 * rules' overview (by department) and by the citizens' access history.
 */
import { Kind, parse, type ConstDirectiveNode } from 'graphql';

/** Schema coordinate (`Person.marriages`) -> the subgraphs (`marriage`) that resolve it. */
export type CoordinateOwners = ReadonlyMap<string, readonly string[]>;

const argument = (d: ConstDirectiveNode, name: string) => d.arguments?.find((a) => a.name.value === name)?.value;

/** The `graph` argument's enum value of a join directive, or undefined. */
function graphOf(d: ConstDirectiveNode): string | undefined {
  const graph = argument(d, 'graph');
  return graph?.kind === Kind.ENUM ? graph.value : undefined;
}

/**
 * Reads the owners of every field of the supergraph's object and interface types. A field with
 * `@join__field(graph: …)` belongs to those graphs (external ones left out); a field without one
 * belongs to its type's graphs when the type lives in exactly one. Fields shared by several
 * (entity keys such as `Person.idNumber`) have no owner: the citizen sent that value, no
 * department released it.
 */
export function coordinateOwners(supergraphSdl: string): CoordinateOwners {
  const doc = parse(supergraphSdl);
  const graphNames = new Map<string, string>();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.ENUM_TYPE_DEFINITION || def.name.value !== 'join__Graph') continue;
    for (const value of def.values ?? []) {
      const name = value.directives?.find((d) => d.name.value === 'join__graph');
      const label = name && argument(name, 'name');
      graphNames.set(value.name.value, label?.kind === Kind.STRING ? label.value : value.name.value.toLowerCase());
    }
  }
  const named = (graphs: Iterable<string>) => [...new Set([...graphs].map((g) => graphNames.get(g) ?? g))].sort();
  const owners = new Map<string, string[]>();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION && def.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    const typeGraphs = (def.directives ?? []).filter((d) => d.name.value === 'join__type').flatMap((d) => graphOf(d) ?? []);
    for (const field of def.fields ?? []) {
      const joins = (field.directives ?? []).filter((d) => d.name.value === 'join__field');
      const resolving = joins.filter((d) => !(argument(d, 'external')?.kind === Kind.BOOLEAN && (argument(d, 'external') as { value: boolean }).value)).flatMap((d) => graphOf(d) ?? []);
      const graphs = resolving.length > 0 ? resolving : new Set(typeGraphs).size === 1 ? typeGraphs : [];
      if (graphs.length > 0) owners.set(`${def.name.value}.${field.name.value}`, named(graphs));
    }
  }
  return owners;
}

/** The departments that released `coordinates`, sorted; coordinates without an owner add none. */
export function departmentsOf(owners: CoordinateOwners, coordinates: readonly string[]): string[] {
  return [...new Set(coordinates.flatMap((c) => owners.get(c) ?? []))].sort();
}
