/**
 * Masks resident ID numbers (`ID_NUMBER_COORDINATES`) in the response for callers without
 * `pii:unmasked`. The subgraphs mask names, phones and addresses themselves, but an ID number is
 * the key the gateway joins subgraphs on, so it travels unmasked internally and is masked here,
 * on the way out. ID numbers the operation was given as arguments (and their 18-character form,
 * for a legacy ID) are left as they are: the caller knows them already.
 * What the ID number encodes (birth date, county) is masked with it wherever it is masked.
 */
import { getNamedType, Kind, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type FieldNode, type GraphQLSchema, type ValueNode } from 'graphql';
import { coercedVariables, fragmentsOf, selectOperation } from '../../../lib/graphql/operation';
import { SKIP, walkResponse, walkSelections } from '../../../lib/graphql/walk';
import { normaliseIdNumber } from '../../../lib/id-number';
import { mask, maskBesideId } from '../../../lib/mask';

/** Schema coordinates whose values are resident ID numbers. */
export const ID_NUMBER_COORDINATES = new Set(['Person.idNumber', 'RecordReference.idNumber']);

type Json = Record<string, unknown>;

/**
 * The identifiers the executed operation was given: the values of its `ID` arguments, as literals
 * or through the variables they reference (the operation's default when one was not provided),
 * through the fragments the operation spreads. Only what reaches an executed `ID` argument
 * counts, so strings sent beside the query (another variable, a `String` argument, a field that
 * authorization removed or `@skip` leaves out) unmask no one. Give it the authorized document.
 */
export function suppliedArguments(
  document: DocumentNode,
  schema: GraphQLSchema,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | undefined,
): Set<string> {
  const out = new Set<string>();
  const operation = selectOperation(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return out;
  // As execution sees them: declared variables only, the operation's defaults filled in.
  const values = coercedVariables(schema, operation, variables ?? {});
  // A legacy ID (15 digits, lower-case x) is answered in its 18-character form: that is what it supplied.
  const add = (v: string): void => {
    out.add(v);
    out.add(normaliseIdNumber(v));
  };
  const addValue = (v: unknown): void => {
    if (typeof v === 'string') add(v);
    else if (Array.isArray(v)) v.forEach(addValue);
  };
  const addArgument = (node: ValueNode): void => {
    if (node.kind === Kind.STRING) add(node.value);
    else if (node.kind === Kind.LIST) node.values.forEach(addArgument);
    else if (node.kind === Kind.VARIABLE) addValue(values[node.name.value]);
  };
  // What @skip/@include leave out never runs: its arguments supply nothing.
  walkSelections({ schema, fragments: fragmentsOf(document), variables: values }, operation.selectionSet, root, ({ node, fieldDef }) => {
    for (const arg of node.arguments ?? []) {
      const def = fieldDef.args.find((a) => a.name === arg.name.value);
      if (def && getNamedType(def.type).name === 'ID') addArgument(arg.value);
    }
  });
  return out;
}

/**
 * What a resident ID number encodes, served beside it: masked with the ID (lib/mask.ts
 * `maskBesideId`), else birth date and county would rebuild the masked ID. `Person.sex` stays: it
 * is the parity of the sequence, which the masked ID shows anyway. Fields of an object under a
 * Person (its medical insurance) belong to that person.
 */
export const ID_DERIVED_FIELDS: Record<string, (value: string) => string> = {
  'Person.birthDate': maskBesideId.birthDate,
  'Person.address': maskBesideId.address,
  'MedicalInsurance.insuredRegion': maskBesideId.regionCode,
  'MedicalInsurance.insuredRegionName': maskBesideId.address,
};
const PERSON = 'Person';
const DERIVED_NAMES = [...new Set(Object.keys(ID_DERIVED_FIELDS).map((c) => c.split('.')[1]))];

/**
 * The response key under which the gateway asks for every Person's ID number itself, so that it
 * knows whose birth date it is masking even when the caller did not select `idNumber`; removed
 * from the response by `maskIdNumbers`.
 */
export const MASKING_KEY = '_idNumberForMasking';

/** Whether an operation's text may select a field of `ID_DERIVED_FIELDS` (then it needs `withMaskingKeys`). */
export function mentionsIdDerivedFields(source: string | undefined): boolean {
  return source === undefined || DERIVED_NAMES.some((name) => source.includes(name));
}

/**
 * `document` with `_idNumberForMasking: idNumber` added to every selection set on Person. When the
 * caller's text already uses that name the document is returned as it is, and every ID-derived
 * field is masked (its person is unknown, so it is treated as masked).
 */
export function withMaskingKeys(document: DocumentNode, schema: GraphQLSchema, source: string | undefined): DocumentNode {
  if (source?.includes(MASKING_KEY)) return document;
  const typeInfo = new TypeInfo(schema);
  const key: FieldNode = { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: MASKING_KEY }, name: { kind: Kind.NAME, value: 'idNumber' } };
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet(node) {
        if (typeInfo.getParentType()?.name !== PERSON) return undefined;
        return { ...node, selections: [...node.selections, key] };
      },
    }),
  );
}

/**
 * Masks, in place, every ID-number value in `data` that is not in `keep`, and the ID-derived
 * fields of every person whose ID number is masked (or unknown); removes `MASKING_KEY`. Walks the
 * executed document with the schema's types, so aliases and fragments are followed.
 */
export function maskIdNumbers(data: Json | null | undefined, document: DocumentNode, schema: GraphQLSchema, keep: Set<string>, operationName?: string | null): void {
  const operation = selectOperation(document, operationName);
  if (!data || !operation) return;
  const persons = new Set<Json>(); // MASKING_KEY is removed once every selection has read it
  // Without the variables only a literal `if:` leaves a selection out: the rest is masked as if it ran.
  const options = { schema, fragments: fragmentsOf(document), operation, data };
  // The state: whether the person the walked object belongs to has their ID number masked.
  walkResponse(options, true, (field, masked) => {
    const { parent, parentType, key, value, coordinate } = field;
    if (parentType.name === PERSON) {
      const id = parent[MASKING_KEY];
      masked = typeof id !== 'string' || !keep.has(id);
      persons.add(parent);
    }
    if (ID_NUMBER_COORDINATES.has(coordinate)) {
      if (typeof value === 'string' && !keep.has(value) && key !== MASKING_KEY) parent[key] = mask.idNumber(value);
      return SKIP;
    }
    const derived = ID_DERIVED_FIELDS[coordinate];
    if (derived) {
      if (typeof value === 'string' && masked) parent[key] = derived(value);
      return SKIP;
    }
    return masked;
  });
  for (const person of persons) delete person[MASKING_KEY];
}
