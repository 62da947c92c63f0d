/**
 * deploy/kubernetes: each overlay renders with `kubectl kustomize` (no cluster), every object
 * validates against the Kubernetes API schemas (kubernetes-models, offline), and the rendered
 * objects keep the deployment contract (README, "Running in production").
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { DEPARTMENTS, envPrefix, loadConfig } from '../../lib/config';

/** What the Secrets would hold: two distinct random secrets, as production requires. */
const SECRETS = { JWT_SECRET: randomBytes(32).toString('base64'), INTERNAL_TOKEN_SECRET: randomBytes(32).toString('base64') };

/** A rendered object: untyped JSON beyond what every object has. */
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [field: string]: any };

const OVERLAYS = { development: { gateways: 1, subgraphs: 1 }, production: { gateways: 3, subgraphs: 2 } };
const KUBECTL_HINT =
  "kubectl is missing: run 'sudo bash scripts/test-services.sh' (installs Debian's kubernetes-client), or 'apt-get install -y kubernetes-client'";

function render(overlay: string): K8sObject[] {
  const out = spawnSync('kubectl', ['kustomize', `deploy/kubernetes/overlays/${overlay}`], { encoding: 'utf8' });
  if ((out.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new Error(KUBECTL_HINT);
  if (out.status !== 0) throw new Error(`kubectl kustomize ${overlay} failed: ${out.stderr}`);
  return parseAllDocuments(out.stdout)
    .map((doc) => doc.toJS() as K8sObject)
    .filter(Boolean);
}

// kubernetes-models is ESM only, which Jest's CommonJS runtime cannot load: validate in a child node.
// kustomize wraps long base64 Secret data over lines, which the API server's (Go's) decoder skips
// and the schema's "byte" format does not: unwrap it first.
const VALIDATOR = `
import { readFileSync } from 'node:fs';
async function problemOf(o) {
  if (o.kind === 'Secret') for (const k of Object.keys(o.data ?? {})) o.data[k] = o.data[k].replace(/\\s+/g, '');
  // One module per kind: kubernetes-models/<group>/<version>/<Kind> (the core group has none).
  const module = ['kubernetes-models', o.apiVersion, o.kind].join('/');
  const Model = (await import(module).catch(() => ({})))[o.kind];
  if (!Model) return 'no schema for ' + o.apiVersion;
  try { new Model(o).validate(); } catch (err) { return err.message; }
}
const found = [];
for (const objects of JSON.parse(readFileSync(0, 'utf8'))) {
  const problems = [];
  for (const o of objects) {
    const problem = await problemOf(o);
    if (problem) problems.push(o.kind + ' ' + o.metadata?.name + ': ' + problem);
  }
  found.push(problems);
}
process.stdout.write(JSON.stringify(found));`;

/** For each list of objects, its schema problems, one line per invalid object; empty when all are valid. */
function schemaProblems(lists: K8sObject[][]): string[][] {
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', VALIDATOR], { input: JSON.stringify(lists), encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`schema validator failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as string[][];
}

/** The environment variable names lib/config.ts reads: loadConfig is run on an env that records each read. */
function namesConfigReads(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get(_target, key) {
      if (typeof key === 'string' && /^[A-Z][A-Z0-9_]*$/.test(key)) read.add(key);
      return undefined;
    },
  });
  loadConfig(env);
  return read;
}

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const podSpec = (d: K8sObject) => d.spec.template.spec;
const podLabels = (d: K8sObject) => d.spec.template.metadata.labels as Record<string, string>;

// Rendered and schema-checked once for all tests (one child process: loading the schemas is slow).
const rendered: Record<string, K8sObject[]> = {};
let problems: string[][];
const BROKEN: K8sObject[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'broken' }, spec: { template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'http' }] }] } } } },
  { apiVersion: 'v1', kind: 'Nonsense', metadata: { name: 'x' } },
];
beforeAll(() => {
  for (const overlay of Object.keys(OVERLAYS)) rendered[overlay] = render(overlay);
  problems = schemaProblems([...Object.values(rendered), BROKEN]);
});

describe.each(Object.entries(OVERLAYS))('deploy/kubernetes/overlays/%s', (overlay, expected) => {
  let objects: K8sObject[];
  const all = (kind: string) => objects.filter((o) => o.kind === kind);
  const one = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`${kind} ${name} is not in the ${overlay} overlay`);
    return found;
  };
  const deployments = () => all('Deployment');
  const containers = () => deployments().flatMap((d) => podSpec(d).containers as any[]);
  /** The literal env of a container: its ConfigMaps (envFrom) and its `value` entries. */
  const literalEnv = (c: any): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const from of c.envFrom ?? []) Object.assign(env, one('ConfigMap', from.configMapRef.name).data);
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    return env;
  };
  const secretKey = (c: any, name: string) => c.env.find((e: any) => e.name === name)?.valueFrom?.secretKeyRef;

  beforeAll(() => {
    objects = rendered[overlay];
  });

  it('renders objects that validate against the Kubernetes API schemas', () => {
    expect(objects.length).toBeGreaterThan(10);
    expect(problems[Object.keys(OVERLAYS).indexOf(overlay)]).toEqual([]);
  });

  it('runs the gateway on replicas under an HPA on CPU and a PodDisruptionBudget', () => {
    const gateway = one('Deployment', 'gateway');
    expect(gateway.spec.replicas).toBe(expected.gateways);
    const hpa = one('HorizontalPodAutoscaler', 'gateway');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'gateway' });
    expect(hpa.spec.minReplicas).toBe(expected.gateways);
    expect(hpa.spec.metrics).toContainEqual(expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) }));
    expect(podSpec(gateway).containers[0].resources.requests.cpu).toBeDefined(); // what the HPA's utilization is of
    const pdb = one('PodDisruptionBudget', 'gateway');
    expect(matches(pdb.spec.selector.matchLabels, podLabels(gateway))).toBe(true);
    expect(pdb.spec.maxUnavailable ?? expected.gateways - pdb.spec.minAvailable).toBeLessThan(Math.max(2, expected.gateways));
  });

  it('runs one Deployment and Service per department, which the gateway reaches by name', () => {
    const gatewayEnv = literalEnv(podSpec(one('Deployment', 'gateway')).containers[0]);
    for (const name of DEPARTMENTS) {
      const deployment = one('Deployment', name);
      expect(deployment.spec.replicas).toBe(expected.subgraphs);
      const [container] = podSpec(deployment).containers;
      expect(container.args.slice(-2)).toEqual(['subgraph', name]);
      const port = Number(literalEnv(container)[`${envPrefix(name)}_PORT`]);
      expect(container.ports).toContainEqual({ name: 'http', containerPort: port });
      const service = one('Service', name);
      expect(matches(service.spec.selector, podLabels(deployment))).toBe(true);
      expect(service.spec.ports).toContainEqual(expect.objectContaining({ port, targetPort: 'http' }));
      expect(gatewayEnv[`${envPrefix(name)}_SUBGRAPH_URL`]).toBe(`http://${name}:${port}/graphql`);
      expect(secretKey(container, `${envPrefix(name)}_DB_URL`)).toBeDefined();
    }
  });

  it('probes readiness on /readyz and liveness on /healthz, and stops within the grace period', () => {
    for (const d of deployments()) {
      for (const c of podSpec(d).containers) {
        expect([d.metadata.name, c.readinessProbe.httpGet]).toEqual([d.metadata.name, { path: '/readyz', port: 'http' }]);
        expect([d.metadata.name, c.livenessProbe.httpGet]).toEqual([d.metadata.name, { path: '/healthz', port: 'http' }]);
        // After the preStop pause the gateway serves on, not ready, for SHUTDOWN_DELAY_MS; then a
        // request still running may take its subgraph calls and its audit write, and the drain
        // gives up on it after SHUTDOWN_DRAIN_MS.
        const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
        const config = loadConfig({ ...literalEnv(c), ...SECRETS });
        const longestRequest = (config.SUBGRAPH_TIMEOUT_MS + config.AUDIT_WRITE_TIMEOUT_MS) / 1000;
        const drain = preStop + config.SHUTDOWN_DELAY_MS / 1000 + Math.max(config.SHUTDOWN_DRAIN_MS / 1000, longestRequest);
        expect([d.metadata.name, podSpec(d).terminationGracePeriodSeconds > drain]).toEqual([d.metadata.name, true]);
      }
    }
  });

  it('lets only gateway pods reach the subgraph pods', () => {
    const gatewayLabels = podLabels(one('Deployment', 'gateway'));
    const policies = all('NetworkPolicy').filter((p) => DEPARTMENTS.some((name) => matches(p.spec.podSelector.matchLabels, podLabels(one('Deployment', name)))));
    expect(policies.length).toBeGreaterThan(0);
    for (const name of DEPARTMENTS) {
      const labels = podLabels(one('Deployment', name));
      const covering = policies.filter((p) => matches(p.spec.podSelector.matchLabels, labels));
      expect([name, covering.length]).toEqual([name, 1]);
    }
    for (const policy of policies) {
      expect(matches(policy.spec.podSelector.matchLabels, gatewayLabels)).toBe(false);
      expect(policy.spec.policyTypes).toContain('Ingress');
      for (const rule of policy.spec.ingress) {
        // Only pod selectors of this namespace: no namespaceSelector, no ipBlock.
        for (const peer of rule.from) {
          expect(Object.keys(peer)).toEqual(['podSelector']);
          expect(matches(peer.podSelector.matchLabels, gatewayLabels)).toBe(true);
          expect(DEPARTMENTS.some((name) => matches(peer.podSelector.matchLabels, podLabels(one('Deployment', name))))).toBe(false);
        }
        expect(rule.ports).toEqual([{ protocol: 'TCP', port: 'http' }]);
      }
    }
  });

  it('runs every container as non-root on a read-only root filesystem, writing only to emptyDirs', () => {
    for (const d of deployments()) {
      const pod = podSpec(d);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        expect(c.securityContext.runAsUser ?? pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(c.resources).toMatchObject({ requests: { cpu: expect.any(String), memory: expect.any(String) }, limits: { memory: expect.any(String) } });
        for (const mount of c.volumeMounts) {
          const volume = pod.volumes.find((v: any) => v.name === mount.name);
          expect([mount.name, mount.readOnly === true || volume.emptyDir !== undefined]).toEqual([mount.name, true]);
        }
      }
    }
  });

  it('sets only environment variables lib/config.ts reads, with values it accepts', () => {
    const known = namesConfigReads();
    for (const c of containers()) {
      const names = [...Object.keys(literalEnv(c)), ...c.env.map((e: any) => e.name)];
      expect(names.filter((n) => !known.has(n))).toEqual([]);
      expect(() => loadConfig({ ...literalEnv(c), ...SECRETS })).not.toThrow();
    }
    const gateway = podSpec(one('Deployment', 'gateway')).containers[0];
    expect(literalEnv(gateway)).toMatchObject({ HOST: '0.0.0.0', NODE_ENV: overlay });
  });

  it('serves the committed supergraph from a ConfigMap', () => {
    const committed = readFileSync('schema/supergraph.graphql', 'utf8');
    const copy = readFileSync('deploy/kubernetes/base/supergraph.graphql', 'utf8');
    expect(copy === committed ? 'up to date' : 'stale: npm run compose').toBe('up to date');
    const pod = podSpec(one('Deployment', 'gateway'));
    const volume = pod.volumes.find((v: any) => v.configMap);
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === volume.name);
    expect(literalEnv(pod.containers[0]).SUPERGRAPH_PATH).toBe(`${mount.mountPath}/supergraph.graphql`);
    expect(one('ConfigMap', volume.configMap.name).data['supergraph.graphql'].trim()).toBe(committed.trim());
  });

  it('takes every secret from a Secret: generated in development, provided by the operator in production', () => {
    const template = parseAllDocuments(readFileSync('deploy/kubernetes/overlays/production/secrets.template.yaml', 'utf8')).map((d) => d.toJS() as K8sObject);
    const refs = containers().flatMap((c) => c.env.flatMap((e: any) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [])));
    const gateway = podSpec(one('Deployment', 'gateway'));
    for (const name of ['JWT_SECRET', 'INTERNAL_TOKEN_SECRET', 'AUDIT_DB_URL', 'REDIS_URL']) expect([name, secretKey(gateway.containers[0], name)]).toEqual([name, expect.anything()]);
    if (overlay === 'production') {
      expect(all('Secret')).toEqual([]);
      const keyVolume = gateway.volumes.find((v: any) => v.secret);
      expect([keyVolume.secret.defaultMode & 0o077, gateway.securityContext.fsGroup]).toEqual([0o040, gateway.securityContext.runAsUser]);
      refs.push({ name: keyVolume.secret.secretName, key: 'audit-signing-key.pem' });
      expect(literalEnv(gateway.containers[0]).AUDIT_SIGNING_KEY_FILE).toBe(`${gateway.containers[0].volumeMounts.find((m: any) => m.name === keyVolume.name).mountPath}/audit-signing-key.pem`);
      for (const ref of refs) {
        const secret = template.find((s) => s.metadata.name === ref.name);
        expect([ref, secret?.stringData?.[ref.key] !== undefined]).toEqual([ref, true]);
      }
      // Placeholders that production refuses: empty keys stop the pods at start (lib/config.ts).
      const values = Object.assign({}, ...template.map((s) => s.stringData));
      expect([values.JWT_SECRET, values.INTERNAL_TOKEN_SECRET, values['audit-signing-key.pem']]).toEqual(['', '', '']);
      expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: values.JWT_SECRET, INTERNAL_TOKEN_SECRET: values.INTERNAL_TOKEN_SECRET })).toThrow(/production/);
    } else {
      for (const ref of refs) expect([ref, one('Secret', ref.name).data?.[ref.key]]).toEqual([ref, expect.any(String)]);
    }
  });
});

describe('the schema validation', () => {
  it('finds what the API server would refuse', () => {
    expect(problems[problems.length - 1]).toEqual([expect.stringMatching(/^Deployment broken: .*(selector|containerPort)/), 'Nonsense x: no schema for v1']);
  });
});
