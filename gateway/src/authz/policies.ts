/**
 * Reads the access-control directives (`@authenticated`, `@requiresScopes`, `@policy`) out of a
 * composed supergraph and returns a supergraph that @apollo/gateway accepts.
 *
 * Why: composition links these three specs `for: SECURITY`, and @apollo/gateway 2.x refuses every
 * SECURITY feature it does not implement ("feature https://specs.apollo.dev/authenticated/v0.1 is
 * for: SECURITY but is unsupported"). The gateway therefore takes over enforcement: we index the
 * requirements here, strip the features, and `authorizeOperation` prunes each operation before
 * @apollo/gateway plans it (Apollo Router's semantics).
 */
import {
  Kind,
  parse,
  print,
  valueFromASTUntyped,
  visit,
  isTypeDefinitionNode,
  isTypeExtensionNode,
  type ASTNode,
  type ConstDirectiveNode,
  type DirectiveNode,
  type DocumentNode,
} from 'graphql';
import { LEGAL_BASIS, type Requirement } from '../../../lib/access-policy';
import type { Catalogue } from '../../../lib/legal-basis';

export type { Requirement };

/** Requirements by type name and by field coordinate (`Type.field`); absent = open. */
export interface PolicyIndex {
  readonly types: ReadonlyMap<string, Requirement>;
  readonly fields: ReadonlyMap<string, Requirement>;
}

type SpecName = 'authenticated' | 'requiresScopes' | 'policy';

/** The three specs and the auxiliary scalar each defines (`requiresScopes__Scope`, …). */
const SPECS: Record<SpecName, { argument?: 'scopes' | 'policies'; scalar?: string }> = {
  authenticated: {},
  requiresScopes: { argument: 'scopes', scalar: 'Scope' },
  policy: { argument: 'policies', scalar: 'Policy' },
};
const SPEC_BASE = 'https://specs.apollo.dev/';
/** The only version composition 2.x emits; an unknown version fails closed rather than go unenforced. */
const SUPPORTED_VERSION = 'v0.1';

interface LinkApp {
  node: ConstDirectiveNode;
  url: string;
  as?: string;
  imports: Array<{ name: string; as?: string }>;
}

/** Reads `@link(url:, as:, import:)` (or legacy `@core(feature:, as:)`) arguments. */
function readLink(node: ConstDirectiveNode): LinkApp | undefined {
  const args = new Map(node.arguments?.map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
  const url = args.get('url') ?? args.get('feature');
  if (typeof url !== 'string') return undefined;
  const rawImports = args.get('import');
  const list = rawImports == null ? [] : Array.isArray(rawImports) ? rawImports : [rawImports];
  const imports = list.map((i) => (typeof i === 'string' ? { name: i } : { name: String(i.name), as: i.as }));
  const as = args.get('as');
  return { node, url, as: typeof as === 'string' ? as : undefined, imports };
}

/** `https://specs.apollo.dev/requiresScopes/v0.1` -> `{ name: 'requiresScopes', version: 'v0.1' }`. */
function splitUrl(url: string): { base: string; name: string; version: string } {
  const parts = url.replace(/\/+$/, '').split('/');
  const version = parts.pop() ?? '';
  const name = parts.pop() ?? '';
  return { base: `${parts.join('/')}/`, name, version };
}

/**
 * Schema-level link applications. The link spec may itself be renamed (`@link(url: ".../link/v1.0",
 * as: "l")`), so the link directive's name is found from its self-reference, never assumed.
 */
function linkApplications(doc: DocumentNode): LinkApp[] {
  const schemaDirectives = doc.definitions.flatMap((d) =>
    d.kind === Kind.SCHEMA_DEFINITION || d.kind === Kind.SCHEMA_EXTENSION ? (d.directives ?? []) : [],
  );
  const linkNames = new Set<string>();
  for (const d of schemaDirectives) {
    const link = readLink(d);
    if (!link) continue;
    const { base, name } = splitUrl(link.url);
    if (base === SPEC_BASE && (name === 'link' || name === 'core') && d.name.value === (link.as ?? name)) {
      linkNames.add(d.name.value);
    }
  }
  return schemaDirectives.filter((d) => linkNames.has(d.name.value)).map((d) => readLink(d)!).filter(Boolean);
}

/** Name resolution of the link spec: imported -> its `as` or own name; else `ns` or `ns__name`. */
function resolveNames(links: LinkApp[]) {
  const directives = new Map<string, SpecName>();
  const types = new Set<string>();
  const removedLinks = new Set<ConstDirectiveNode>();
  for (const link of links) {
    const { base, name, version } = splitUrl(link.url);
    if (base !== SPEC_BASE || !(name in SPECS)) continue;
    if (version !== SUPPORTED_VERSION) {
      throw new Error(`Unsupported ${link.url}: the gateway's authorization understands ${name}/${SUPPORTED_VERSION} only; upgrade gateway/src/authz before using it`);
    }
    const kind = name as SpecName;
    const ns = link.as ?? name;
    const imported = (element: string) => link.imports.find((i) => i.name === element);
    const dir = imported(`@${name}`);
    directives.set(dir ? (dir.as ?? dir.name).replace(/^@/, '') : ns, kind);
    const scalar = SPECS[kind].scalar;
    if (scalar) {
      const t = imported(scalar);
      types.add(t ? (t.as ?? t.name) : `${ns}__${scalar}`);
    }
    removedLinks.add(link.node);
  }
  return { directives, types, removedLinks };
}

/** Scope/policy lists are `[[T!]!]!` input, so a bare value coerces to a one-element list. */
function toGroups(value: unknown): string[][] {
  const outer = Array.isArray(value) ? value : value == null ? [] : [value];
  return outer.map((g) => (Array.isArray(g) ? g : [g]).map(String));
}

/** AND of two OR-of-AND lists (only needed if an element carries the same directive twice). */
function andGroups(a: string[][], b: string[][]): string[][] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return a.flatMap((x) => b.map((y) => [...new Set([...x, ...y])]));
}

function requirementOf(directives: readonly DirectiveNode[] | undefined, names: Map<string, SpecName>): Requirement | undefined {
  let req: Requirement | undefined;
  for (const d of directives ?? []) {
    const kind = names.get(d.name.value);
    if (!kind) continue;
    req ??= { authenticated: false, scopes: [], policies: [] };
    if (kind === 'authenticated') req.authenticated = true;
    const argName = SPECS[kind].argument;
    const arg = argName && d.arguments?.find((a) => a.name.value === argName);
    if (arg && argName) req[argName] = andGroups(req[argName], toGroups(valueFromASTUntyped(arg.value)));
  }
  return req;
}

function merge(index: Map<string, Requirement>, key: string, req: Requirement | undefined): void {
  if (!req) return;
  const prev = index.get(key);
  index.set(key, prev ? {
    authenticated: prev.authenticated || req.authenticated,
    scopes: andGroups(prev.scopes, req.scopes),
    policies: andGroups(prev.policies, req.policies),
  } : req);
}

/**
 * Where the directives may not go (arguments, input fields, enum values, unions, …) we refuse the
 * schema: stripping them silently would turn an intended restriction into an open field.
 */
function refuse(where: string, directives: readonly DirectiveNode[] | undefined, names: Map<string, SpecName>): void {
  const bad = directives?.find((d) => names.has(d.name.value));
  if (bad) throw new Error(`@${bad.name.value} on ${where} is not enforced by the gateway (Router allows it on fields, objects, interfaces, scalars and enums only)`);
}

/** Type kinds the three directives may be applied to (their `on` clause). */
const TYPE_LEVEL = new Set<Kind>([Kind.OBJECT_TYPE_DEFINITION, Kind.OBJECT_TYPE_EXTENSION, Kind.INTERFACE_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_EXTENSION, Kind.SCALAR_TYPE_DEFINITION, Kind.SCALAR_TYPE_EXTENSION, Kind.ENUM_TYPE_DEFINITION, Kind.ENUM_TYPE_EXTENSION]);

function collect(doc: DocumentNode, names: Map<string, SpecName>): PolicyIndex {
  const types = new Map<string, Requirement>();
  const fields = new Map<string, Requirement>();
  for (const def of doc.definitions) {
    if (def.kind === Kind.SCHEMA_DEFINITION || def.kind === Kind.SCHEMA_EXTENSION) refuse('the schema', def.directives, names);
    if (def.kind === Kind.DIRECTIVE_DEFINITION) def.arguments?.forEach((a) => refuse(`@${def.name.value}(${a.name.value}:)`, a.directives, names));
    if (!isTypeDefinitionNode(def) && !isTypeExtensionNode(def)) continue;
    const typeName = def.name.value;
    if (TYPE_LEVEL.has(def.kind)) merge(types, typeName, requirementOf(def.directives, names));
    else refuse(typeName, def.directives, names);
    if ('values' in def) def.values?.forEach((v) => refuse(`${typeName}.${v.name.value}`, v.directives, names));
    if (!('fields' in def)) continue;
    for (const field of def.fields ?? []) {
      const coordinate = `${typeName}.${field.name.value}`;
      if (field.kind === Kind.FIELD_DEFINITION) {
        merge(fields, coordinate, requirementOf(field.directives, names));
        field.arguments?.forEach((a) => refuse(`${coordinate}(${a.name.value}:)`, a.directives, names));
      } else refuse(coordinate, field.directives, names);
    }
  }
  return { types, fields };
}

/**
 * Indexes the authorization directives of `supergraphSdl` and strips them for @apollo/gateway.
 *
 * Directive names are resolved through the supergraph's own `@link`s (imports with `as`, a
 * renamed namespace, composition's `@federation__requiresScopes` form), so a rename cannot
 * bypass enforcement. A supergraph that links none of the three specs is returned unchanged.
 *
 * @returns `gatewaySdl`: the supergraph without the three `@link`s, their directive definitions,
 *   their usages and their `Scope`/`Policy` scalars; `policies`: requirements by type and by
 *   `Type.field` coordinate.
 * @throws on an unsupported spec version, or a directive placed where it would not be enforced.
 */
export function readPolicies(supergraphSdl: string): { gatewaySdl: string; policies: PolicyIndex } {
  const doc = parse(supergraphSdl);
  const { directives, types, removedLinks } = resolveNames(linkApplications(doc));
  if (removedLinks.size === 0) return { gatewaySdl: supergraphSdl, policies: { types: new Map(), fields: new Map() } };
  const policies = collect(doc, directives);
  const dropType = (n: ASTNode) => (isTypeDefinitionNode(n) || isTypeExtensionNode(n)) && types.has(n.name.value);
  const stripped = visit(doc, {
    Directive: (node) => (directives.has(node.name.value) || removedLinks.has(node as ConstDirectiveNode) ? null : undefined),
    DirectiveDefinition: (node) => (directives.has(node.name.value) ? null : undefined),
    enter: (node) => (dropType(node) ? null : undefined),
  });
  return { gatewaySdl: print(stripped), policies };
}

/**
 * Checks that the access rules and the supergraph agree: every coordinate a purpose lists for one
 * of the supergraph's `departments` is a field governed by `@policy(policies: [["legal_basis"]])`,
 * and every governed field is released by some purpose (else nobody could ever read it). Fields of
 * a department the supergraph does not hold yet may be listed ahead of it. The gateway refuses to
 * start, or to switch to a new supergraph, otherwise.
 */
export function assertRulesCoverSchema(policies: PolicyIndex, catalogue: Catalogue, departments: readonly string[]): void {
  const governed = new Set([...policies.fields].filter(([, r]) => r.policies.some((g) => g.includes(LEGAL_BASIS))).map(([c]) => c));
  const listed = new Set([...catalogue.departmentOf].filter(([, department]) => departments.includes(department)).map(([c]) => c));
  const orphaned = [...governed].filter((c) => !catalogue.departmentOf.has(c));
  const unknown = [...listed].filter((c) => !governed.has(c));
  const problems = [
    ...(unknown.length ? [`purposes.yaml lists fields the supergraph does not govern with @policy(policies: [["${LEGAL_BASIS}"]]): ${unknown.join(', ')}`] : []),
    ...(orphaned.length ? [`no purpose in purposes.yaml releases ${orphaned.join(', ')}`] : []),
  ];
  if (problems.length) throw new Error(`The access rules do not match the supergraph: ${problems.join('; ')}`);
}

/** Every scope a supergraph's `@requiresScopes` mentions. */
export function scopesIn(policies: PolicyIndex): Set<string> {
  const out = new Set<string>();
  for (const map of [policies.types, policies.fields]) for (const r of map.values()) r.scopes.flat().forEach((s) => out.add(s));
  return out;
}
