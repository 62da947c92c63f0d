/**
 * `npm start`: the four subgraphs and the gateway in one process. Embedded stores and in-memory
 * cache when no URLs are set; demo data is seeded on first start. Ctrl-C stops everything.
 */
import { DEPARTMENTS, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { stopOnSignals } from '../lib/process';
import { generatePopulation, DEMO, type Population } from '../subgraphs/common/population';
import { runSubgraph } from '../subgraphs/common/run';
import { SUBGRAPHS } from '../subgraphs';
import { createGateway } from '../gateway/src/server';
import { findRole } from '../lib/roles';
import { signClientToken } from '../lib/tokens';
import { startTracing } from '../lib/tracing';

async function main() {
  const started = Date.now();
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'archive-federation');
  // One process, one tracer provider: the gateway's and the subgraphs' spans share a service name.
  const tracing = await startTracing(config, 'archive-federation');
  let population: Population | undefined;
  const shared = () => (population ??= generatePopulation(config.SEED_PERSONS));
  const subgraphs = await Promise.all(DEPARTMENTS.map((name) => runSubgraph(SUBGRAPHS[name], config, logger, shared)));
  // The gateway calls the subgraphs started here, on the ports they got, not the supergraph's
  // localhost:4001–4004 (whatever listens there would receive this gateway's internal tokens).
  const subgraphUrls = Object.fromEntries(subgraphs.map((s) => [s.name, s.server.url]));
  const gateway = await createGateway({ config, logger: createLogger(config.LOG_LEVEL, 'gateway'), subgraphUrls });
  const running = await gateway.listen(config.GATEWAY_PORT);
  stopOnSignals(logger, [running.stop, ...subgraphs.map((s) => s.stop), ...(tracing ? [tracing.shutdown] : [])]);

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const archivist = findRole('archivist');
  const token = config.JWT_SECRET
    ? await signClientToken({ sub: 'archivist-001', name: archivist.labelZh, org: archivist.org, scopes: archivist.scopes, category: archivist.category }, { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttl: '8h' })
    : '<a JWT from your identity provider>';
  console.log(`
  archive-federation is ready in ${seconds}s

  Gateway:   ${running.url}   (Apollo Sandbox in a browser)
  Explorer:  ${running.url.replace(/\/graphql$/, '/explorer')}   (works offline; pick a role)
  Audit:     ${running.url.replace(/\/graphql$/, '/audit')}
  Subgraphs: ${subgraphs.map((s) => `${s.name} ${s.server.url}`).join('\n             ')}

  Try the dossier query as an archivist (token valid 8 h; other requesters: npm run token -- --category court):
  curl -s ${running.url} -H 'content-type: application/json' \\
    -H 'authorization: Bearer ${token}' -H 'x-access-purpose: archive-management' \\
    -d '{"query":"{ person(idNumber: \\"${DEMO.husband}\\") { name maritalStatus marriages { kind date spouse { name realEstate { certificateNumber location } } } realEstate { certificateNumber } socialInsurance { enrolments { type status } } medicalInsurance { enrolments { insuranceType } } } }"}'

  Ctrl-C stops everything.
`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
