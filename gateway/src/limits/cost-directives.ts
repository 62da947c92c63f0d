/**
 * Reads the demand-control directives (`@cost`, `@listSize`, the cost spec composition copies
 * from the subgraph SDLs into the supergraph) into an index the cost estimator consults. The
 * supergraph links the spec as `@link(url: "https://specs.apollo.dev/cost/v0.1", import: [...])`;
 * a directive not imported is reachable under the spec's namespace (`@cost` for the spec's own
 * name, `@cost__listSize` otherwise), so the names are read from the link, never assumed.
 */
import { Kind, parse, valueFromASTUntyped, type DirectiveNode, type DocumentNode } from 'graphql';

/** `@listSize` on a field: how many items its list (or the lists named by `sizedFields`) holds. */
export interface ListSize {
  assumedSize?: number;
  /** Int arguments whose value is the size; the largest given wins. */
  slicingArguments: string[];
  /** Child fields the size applies to, when the field returns a page object rather than a list. */
  sizedFields: string[];
  /** Refuse an operation that gives not exactly one slicing argument. @default true */
  requireOneSlicingArgument: boolean;
}

/** The cost directives by coordinate: `Type` (type weights), `Type.field`, `Type.field(arg:)`. */
export interface CostDirectives {
  readonly weights: ReadonlyMap<string, number>;
  readonly listSizes: ReadonlyMap<string, ListSize>;
}

export const NO_COST_DIRECTIVES: CostDirectives = { weights: new Map(), listSizes: new Map() };

const COST_SPEC = /^https:\/\/specs\.apollo\.dev\/cost\/v0\.\d+$/;

/** The `@cost` and `@listSize` applications of a supergraph (an empty index when it links no cost spec). */
export function readCostDirectives(supergraph: string | DocumentNode): CostDirectives {
  const doc = typeof supergraph === 'string' ? parse(supergraph) : supergraph;
  const names = directiveNames(doc);
  if (!names) return NO_COST_DIRECTIVES;
  const weights = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();
  const read = (coordinate: string, directives: readonly DirectiveNode[] | undefined) => {
    for (const d of directives ?? []) {
      const args = Object.fromEntries((d.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
      if (d.name.value === names.cost && typeof args.weight === 'number') weights.set(coordinate, args.weight);
      if (d.name.value === names.listSize) {
        listSizes.set(coordinate, {
          assumedSize: typeof args.assumedSize === 'number' ? args.assumedSize : undefined,
          slicingArguments: Array.isArray(args.slicingArguments) ? args.slicingArguments : [],
          sizedFields: Array.isArray(args.sizedFields) ? args.sizedFields : [],
          requireOneSlicingArgument: args.requireOneSlicingArgument !== false,
        });
      }
    }
  };
  for (const def of doc.definitions) {
    if (!('name' in def) || !def.name || !('directives' in def)) continue;
    if (def.kind === Kind.DIRECTIVE_DEFINITION) continue;
    const type = def.name.value;
    read(type, def.directives);
    if (!('fields' in def)) continue;
    for (const field of def.fields ?? []) {
      const coordinate = `${type}.${field.name.value}`;
      read(coordinate, field.directives);
      if ('arguments' in field) for (const arg of field.arguments ?? []) read(`${coordinate}(${arg.name.value}:)`, arg.directives);
    }
  }
  return { weights, listSizes };
}

/** The local names of `@cost` and `@listSize`, from the supergraph's link to the cost spec. */
function directiveNames(doc: DocumentNode): { cost: string; listSize: string } | undefined {
  for (const def of doc.definitions) {
    if (def.kind !== Kind.SCHEMA_DEFINITION && def.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const d of def.directives ?? []) {
      const args = Object.fromEntries((d.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
      if (typeof args.url !== 'string' || !COST_SPEC.test(args.url)) continue;
      const ns = typeof args.as === 'string' ? args.as : 'cost';
      const imports: unknown[] = Array.isArray(args.import) ? args.import : [];
      const local = (name: string, fallback: string) => {
        for (const i of imports) {
          if (i === `@${name}`) return name;
          if (i && typeof i === 'object' && (i as { name?: unknown }).name === `@${name}`) return String((i as { as?: string }).as ?? name).replace(/^@/, '');
        }
        return fallback;
      };
      return { cost: local('cost', ns), listSize: local('listSize', `${ns}__listSize`) };
    }
  }
  return undefined;
}
