/**
 * `npm run compose`: writes schema/supergraph.graphql from the subgraph SDLs, and its copy that
 * the Kubernetes manifests serve as a ConfigMap (kustomize reads no file outside its folder).
 */
import { writeFileSync } from 'node:fs';
import { composeSupergraph } from '../schema/compose';

const supergraph = composeSupergraph();
for (const target of ['schema/supergraph.graphql', 'deploy/kubernetes/base/supergraph.graphql']) {
  writeFileSync(target, supergraph);
  console.log(`Wrote ${target}`);
}
