// A synthetic mesh for the xDS benchmark, as a file-mode config dir: one multi-document file per
// service, so a change to one service's endpoints rewrites one small file.
//
//   node --import tsx bench/mesh-gen.ts --services 1000 [--scope 10] --out DIR
//
// Every service has port 9080 (http) and one EndpointSlice of 3 endpoints. Every TRAFFIC_EVERY-th
// service also has a DestinationRule with subsets v1/v2 and a VirtualService splitting 80/20
// between them; only those services get Pods, because subsets select endpoints by the labels of
// the Pods behind them. Addresses are 10.x.y.z: nothing ever connects to them.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ConfigStore, formatDiagnostic, parseDocuments, type Diagnostic, type Snapshot } from '../src/model';

export const NAMESPACE = 'default';
export const PORT = 9080;
const TRAFFIC_EVERY = 10;
const ENDPOINTS = 3;
const VERSIONS = ['v1', 'v2', 'v1'];

export function serviceName(i: number): string {
  return `svc-${String(i).padStart(4, '0')}`;
}

export function serviceHost(i: number): string {
  return `${serviceName(i)}.${NAMESPACE}.svc.cluster.local`;
}

export function fileName(i: number): string {
  return `${serviceName(i)}.yaml`;
}

export function hasTrafficPolicy(i: number): boolean {
  return i % TRAFFIC_EVERY === 0;
}

/** 10.200.0.0/16 onwards, three per service, never reused. */
export function endpointIps(i: number): string[] {
  return Array.from({ length: ENDPOINTS }, (_, k) => {
    const n = i * ENDPOINTS + k;
    return `10.${200 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  });
}

function podName(i: number, k: number): string {
  return `${serviceName(i)}-${VERSIONS[k]}-${k}`;
}

/** Every document of service `i`; `ips` replaces its endpoint addresses (the benchmark's change). */
export function serviceDocuments(i: number, ips = endpointIps(i)): object[] {
  const name = serviceName(i);
  const withPods = hasTrafficPolicy(i);
  const meta = { name, namespace: NAMESPACE, labels: { app: name, service: name } };
  const docs: object[] = [
    { apiVersion: 'v1', kind: 'Service', metadata: meta, spec: { ports: [{ port: PORT, name: 'http', targetPort: PORT }], selector: { app: name } } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-abcde`, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: PORT, protocol: 'TCP' }],
      endpoints: ips.map((ip, k) => ({
        addresses: [ip],
        conditions: { ready: true },
        ...(withPods && { targetRef: { kind: 'Pod', namespace: NAMESPACE, name: podName(i, k) } }),
      })),
    },
  ];
  if (!withPods) return docs;
  ips.forEach((ip, k) => docs.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName(i, k), namespace: NAMESPACE, labels: { app: name, version: VERSIONS[k] } },
    spec: { containers: [{ name, image: 'bench', ports: [{ containerPort: PORT }] }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] },
  }));
  docs.push(
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name, namespace: NAMESPACE },
      spec: { host: name, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name, namespace: NAMESPACE },
      spec: {
        hosts: [name],
        http: [{ route: [{ destination: { host: name, subset: 'v1' }, weight: 80 }, { destination: { host: name, subset: 'v2' }, weight: 20 }] }],
      },
    },
  );
  return docs;
}

export function serviceYaml(i: number, ips?: string[]): string {
  return serviceDocuments(i, ips).map((d) => stringify(d)).join('---\n');
}

/** Gives service `i` the endpoint addresses `ips` (replaceServiceFile). */
export function rewriteService(dir: string, i: number, ips: string[]): void {
  replaceServiceFile(dir, i, serviceYaml(i, ips));
}

/** Replaces one service's file in one step (write aside, then rename), so a watcher never reads half a file. */
export function replaceServiceFile(dir: string, i: number, yaml: string): void {
  const aside = path.join(path.dirname(dir), `.${path.basename(dir)}-${fileName(i)}`);
  writeFileSync(aside, yaml);
  renameSync(aside, path.join(dir, fileName(i)));
}

/**
 * A namespace-wide Sidecar importing services 0..scope-1 only (the first holds a DestinationRule
 * and VirtualService, the second is the one whose endpoints the benchmark changes), so every
 * sidecar is sent `scope` services' config out of the mesh's.
 */
export function sidecarYaml(scope: number): string {
  const hosts = Array.from({ length: scope }, (_, i) => `./${serviceHost(i)}`);
  return stringify({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: NAMESPACE }, spec: { egress: [{ hosts }] } });
}

/** `services` services, each in its file, and with `scope` > 0 a Sidecar scoping every sidecar to that many. */
export function writeMesh(dir: string, services: number, scope = 0): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < services; i++) writeFileSync(path.join(dir, fileName(i)), serviceYaml(i));
  if (scope > 0) writeFileSync(path.join(dir, 'sidecar.yaml'), sidecarYaml(scope));
}

/**
 * The dir read as the file source reads it, one source per file (so no file meets the model's
 * 4 MiB file limit, MAST1013, which the whole 10,000-service mesh as one text would): the
 * snapshot the benchmark translates for the peer, and every finding.
 */
export function snapshotOfDir(dir: string): { snapshot: Snapshot; diagnostics: Diagnostic[] } {
  const store = new ConfigStore();
  for (const f of readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort()) {
    const file = path.join(dir, f);
    const { objects, diagnostics } = parseDocuments(readFileSync(file, 'utf8'), file);
    store.replaceSource(file, objects, diagnostics);
  }
  return { snapshot: store.snapshot(), diagnostics: store.diagnostics() };
}

/** Fails unless the model accepts every object of the dir without a finding. */
export function checkMesh(dir: string): void {
  const { diagnostics } = snapshotOfDir(dir);
  if (diagnostics.length) throw new Error(`the generated mesh has findings:\n${diagnostics.slice(0, 20).map(formatDiagnostic).join('\n')}`);
}

if (require.main === module) {
  const { values } = parseArgs({ options: { services: { type: 'string', default: '1000' }, scope: { type: 'string', default: '0' }, out: { type: 'string' } } });
  if (!values.out) throw new Error('usage: mesh-gen.ts --services N [--scope S] --out DIR');
  writeMesh(values.out, Number(values.services), Number(values.scope));
  checkMesh(values.out);
  console.log(`wrote ${values.services} services to ${values.out}`);
}
