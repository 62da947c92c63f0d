/** Authorization for the gateway: read the directives from the supergraph, prune, report. */
export { readPolicies, type PolicyIndex, type Requirement } from './policies';
export { authorizeOperation, isSatisfied, type AuthorizeArgs, type AuthorizeResult, type Denial, type Principal } from './authorize';
export { deniedErrors, fillDenied, UNAUTHORIZED_MESSAGE } from './errors';
