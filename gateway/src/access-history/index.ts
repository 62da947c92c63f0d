/**
 * The citizen's access history (谁查了我的档案). Its own small schema at /me/graphql (served and
 * audited beside the auditors' API by ../audit/index.ts) rather than a field of the supergraph:
 * the supergraph is whatever Federation 2 composition the gateway is given, and this reads the
 * audit store, not a department. Nor is it on /audit/graphql, whose every field is for `audit:read`:
 * one schema per audience keeps each endpoint's access rule a single check.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describePolicy, type AccessHistoryPolicy } from './policy';

/** The /me/graphql schema. */
export const accessHistoryTypeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');
/** `accessHistoryPolicy`, added to the auditors' schema. */
export const accessPolicyTypeDefs = readFileSync(path.join(__dirname, 'policy.graphql'), 'utf8');

/** Resolves `accessHistoryPolicy` on /audit/graphql (behind the audit:read check). */
export function accessPolicyResolvers(policy: AccessHistoryPolicy) {
  return { Query: { accessHistoryPolicy: () => describePolicy(policy) } };
}

export { accessHistoryResolvers, requireSelfCaller, SELF_SCOPE } from './history';
export { accessHistoryPolicy, type AccessHistoryPolicy } from './policy';
