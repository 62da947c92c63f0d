/**
 * The purpose catalogue (policies/purposes.yaml): requester categories, evidence kinds with their
 * forms, and each purpose's minimum field set by department. Read once per process; the rules
 * deciding who may use which purpose are in policies/rules.cedar (engine.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

/** The requester categories (token claim `category`). */
export const CATEGORIES = [
  'court', 'procuratorate', 'public-security', 'state-security', 'lawyer', 'notary', 'civil-affairs',
  'real-estate-registration', 'housing-provident-fund', 'hr-social-security', 'healthcare-security',
  'archive', 'citizen', 'agent',
] as const;
export type Category = (typeof CATEGORIES)[number];
export const isCategory = (value: unknown): value is Category => CATEGORIES.includes(value as Category);

/** Where the policy files live unless ACCESS_POLICY_DIR says otherwise. */
export const DEFAULT_POLICY_DIR = path.join(__dirname, '..', '..', 'policies');

const named = z.object({ name: z.string().min(1), nameZh: z.string().min(1) }).strict();
const coordinate = z.string().regex(/^[A-Z]\w*\.\w+$/, 'a schema coordinate Type.field');

const catalogueFile = z.object({
  categories: z.record(z.string(), named),
  evidence: z.record(z.string().regex(/^[a-z][a-z-]*$/), named.extend({ example: z.string(), pattern: z.string() }).strict()),
  purposes: z.array(named.extend({
    code: z.string().regex(/^[a-z][a-z-]*$/),
    basis: z.string().min(1),
    fields: z.record(z.string(), z.array(coordinate).min(1)),
  }).strict()).min(1),
}).strict();

export interface EvidenceKind {
  kind: string;
  name: string;
  nameZh: string;
  /** A correctly formed reference, shown in the error for a wrongly formed one. */
  example: string;
  form: RegExp;
}

export interface Purpose {
  code: string;
  name: string;
  nameZh: string;
  /** The legal texts the purpose rests on. */
  basis: string;
  /** Department → the coordinates it releases for this purpose. */
  fields: Record<string, string[]>;
}

export interface Catalogue {
  categories: Record<Category, { name: string; nameZh: string }>;
  evidence: Map<string, EvidenceKind>;
  purposes: Map<string, Purpose>;
  /** Every coordinate some purpose lists, with its department. */
  departmentOf: Map<string, string>;
}

/** Reads and checks `purposes.yaml` of `dir`; throws with every problem found. */
export function loadCatalogue(dir: string = DEFAULT_POLICY_DIR): Catalogue {
  const file = path.join(dir, 'purposes.yaml');
  const parsed = catalogueFile.safeParse(parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const data = parsed.data;
  const problems: string[] = [];
  const unknown = Object.keys(data.categories).filter((c) => !isCategory(c));
  const missing = CATEGORIES.filter((c) => !data.categories[c]);
  if (unknown.length) problems.push(`unknown categories ${unknown.join(', ')}`);
  if (missing.length) problems.push(`categories without names: ${missing.join(', ')}`);
  const evidence = new Map<string, EvidenceKind>();
  for (const [kind, e] of Object.entries(data.evidence)) {
    const form = new RegExp(e.pattern, 'u');
    if (!form.test(e.example)) problems.push(`evidence ${kind}: its example does not match its pattern`);
    evidence.set(kind, { kind, name: e.name, nameZh: e.nameZh, example: e.example, form });
  }
  const purposes = new Map<string, Purpose>();
  const departmentOf = new Map<string, string>();
  for (const p of data.purposes) {
    if (purposes.has(p.code)) problems.push(`purpose ${p.code} is listed twice`);
    purposes.set(p.code, p);
    for (const [department, coordinates] of Object.entries(p.fields)) {
      for (const c of coordinates) {
        const other = departmentOf.get(c);
        if (other && other !== department) problems.push(`${c} is listed under ${other} and ${department}`);
        departmentOf.set(c, department);
      }
    }
  }
  if (problems.length) throw new Error(`${file}: ${problems.join('; ')}`);
  return { categories: data.categories as Catalogue['categories'], evidence, purposes, departmentOf };
}
