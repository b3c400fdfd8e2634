// A whole mesh on loopback addresses from a config dir such as examples/bookinfo: Mast, a sample
// app and a sidecar for every Pod, and a gateway Envoy for every gateway Pod. The Pods in the
// YAML are the topology: their IPs give each workload its addresses (docs/conventions.md), their
// labels and service accounts its identity, their container args the app's flags.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildBootstrap } from '../../src/bootstrap/bootstrap';
import { nodeId } from '../../src/proxy/node';
import { parseEchoArgs, startEcho } from '../../examples/app/echo';
import { fileBackend, type BackendFactory, type ConfigBackend } from './backend';
import { Envoy } from './envoy';
import { Mast } from './mast';
import { NackWatch } from './nacks';
import { get } from './net';
import { onCleanup, tempDir } from './processes';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
export const BOOKINFO = path.join(EXAMPLES, 'bookinfo');

/** Pods with label `istio` set to one of these are gateways (Envoy alone, role `router`), as Istio labels its own. */
const GATEWAY_LABEL = ['istio', ['ingressgateway', 'egressgateway', 'eastwestgateway']] as const;
const ENVOY_ADMIN_PORT = 15000;
/** A Pod annotated with this `none` gets no sample app from the harness: its scenario starts one. */
export const OWN_APP_ANNOTATION = 'mast.e2e/app';

export interface MeshOptions {
  /** Folder of YAML to copy into the mesh's config dir, or several (the demo adds examples/tracing/). */
  source?: string | string[];
  /** Where the configuration lives: the config dir (default) or an API server. */
  backend?: BackendFactory;
  delta?: boolean;
  /** Where config/ and logs/ go (the demo's .run/); a temp dir by default. */
  workDir?: string;
  /**
   * Second octet of every mesh address (127.X.1.N). 0 keeps the YAML's addresses; tests pass a
   * random one, so test runs of several people on one machine never share an address.
   */
  octet?: number;
  /** More `mast serve` flags than the backend's (`--workload-cert-ttl 1m`), kept across restarts. */
  mastArgs?: string[];
  /** Makes a hosts file for the sidecars' Envoys from the mesh's address prefix (envoy.ts hostsFile). */
  hosts?: (prefix: string) => string;
  progress?: (line: string) => void;
}

export interface Workload {
  pod: string;
  namespace: string;
  labels: Record<string, string>;
  role: 'sidecar' | 'router';
  nodeId: string;
  /** Pod IP: a sidecar's inbound listeners, a gateway's listeners. */
  ip: string;
  /** The pod's "localhost": its app, and its Envoy's admin API. */
  localAddress: string;
  /** Where the sidecar's outbound listeners bind: what the app sends to. */
  outboundAddress: string;
  /** The first container port: the app's port, or a gateway's listener port. */
  port: number;
  envoy: Envoy;
  /** The sample app; gateways have none. */
  app?: Server;
}

interface PodSpec {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { serviceAccountName?: string; containers: { args?: string[]; ports?: { containerPort: number }[] }[] };
  status: { podIP: string };
}

/** Octets drawn in this process: a test file's in-process servers stay bound until the file ends. */
const drawn = new Set<number>();

/**
 * A second octet (10.OCTET.0.0/16) for a mesh's addresses, 1-254, none drawn before in this
 * process: each run of a describeMesh gets its own, since a server a test binds on a workload's
 * address (nginx on 10.X.2.1:443) is closed only when the file ends, and a later run drawing the
 * same octet failed with EADDRINUSE.
 */
export function randomOctet(): number {
  const free = Array.from({ length: 254 }, (_, i) => i + 1).filter((o) => !drawn.has(o));
  const octet = free[Math.floor(Math.random() * free.length)];
  if (octet === undefined) throw new Error('every 10.X octet is taken in this process');
  drawn.add(octet);
  return octet;
}

/** The loopback plan: block 1 is the pod IP, 2 its local address, 3 its outbound address. */
function planAddress(podIp: string, block: number): string {
  const [a, b, , n] = podIp.split('.');
  return `${a}.${b}.${block}.${n}`;
}

export class Mesh {
  /** NACKs from the mesh's Envoys since they were last checked (describeMesh checks after each test). */
  readonly nacks = new NackWatch(() => this.workloads.map((w) => w.envoy));

  private constructor(
    readonly configDir: string,
    readonly logDir: string,
    readonly backend: ConfigBackend,
    /** The `mast serve` flags Mast runs with: the backend's, then the mesh's own. */
    private readonly mastArgs: string[],
    private current: Mast,
    readonly workloads: Workload[],
  ) {}

  get mast(): Mast {
    return this.current;
  }

  static async start(o: MeshOptions = {}): Promise<Mesh> {
    const say = o.progress ?? (() => {});
    const workDir = o.workDir ?? tempDir('mesh');
    const configDir = path.join(workDir, 'config');
    const logDir = path.join(workDir, 'logs');
    mkdirSync(configDir, { recursive: true });
    mkdirSync(logDir, { recursive: true });
    const backend = await (o.backend ?? fileBackend)(configDir);
    const { files, pods } = readConfig(o.source ?? BOOKINFO, backend.addressPrefix(o.octet ?? 0));
    await backend.load(files);

    const mastArgs = [...backend.mastArgs, ...(o.mastArgs ?? [])];
    say(`starting Mast (${mastArgs.join(' ')})`);
    const mast = await Mast.start(mastArgs, logDir, { debugToken: backend.debugToken });
    // allSettled: a failed start must not leave other workloads still starting during cleanup.
    const hostsFile = o.hosts ? path.join(workDir, 'hosts') : undefined;
    if (hostsFile && o.hosts) writeFileSync(hostsFile, o.hosts(backend.addressPrefix(o.octet ?? 0)));
    const started = await Promise.allSettled(pods.map((p) => startWorkload(p, mast, backend, logDir, o.delta ?? false, hostsFile)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const workloads = started.map((r) => (r as PromiseFulfilledResult<Workload>).value);
    say(`waiting for ${workloads.length} Envoys to receive their config`);
    await Promise.all(workloads.map((w) => w.envoy.waitLive(30000)));
    return new Mesh(configDir, logDir, backend, mastArgs, mast, workloads);
  }

  workload(pod: string): Workload {
    const w = this.workloads.find((x) => x.pod === pod);
    if (!w) throw new Error(`no pod ${pod} in the mesh (${this.workloads.map((x) => x.pod).join(', ')})`);
    return w;
  }

  get gateway(): Workload {
    const w = this.workloads.find((x) => x.role === 'router');
    if (!w) throw new Error('the mesh has no gateway pod');
    return w;
  }

  /** A URL on the ingress gateway's listener. */
  gatewayUrl(urlPath = '/productpage'): string {
    return `http://${this.gateway.ip}:${this.gateway.port}${urlPath}`;
  }

  /** A URL on a sidecar's outbound listener, where its app sends requests (pair with a Host). */
  outboundUrl(pod: string, port = 9080, urlPath = '/'): string {
    return `http://${this.workload(pod).outboundAddress}:${port}${urlPath}`;
  }

  /** `kubectl apply -f`, to the config dir or the API server; the documents are applied as they are. */
  apply(yaml: string): Promise<void> {
    return this.backend.apply(yaml);
  }

  /** `kubectl delete -f`: removes the objects `yaml` names. */
  delete(yaml: string): Promise<void> {
    return this.backend.delete(yaml);
  }

  /**
   * Stops Mast and starts it again on the same xDS and admin addresses, as a restarted pod behind
   * its Service would be; the Envoys redial by themselves. Resolves with the time (Date.now()) the
   * new Mast's /readyz first answered 200.
   */
  async restartMast(): Promise<number> {
    const old = this.current;
    await old.stop();
    let readyAt = 0;
    this.current = await Mast.start(this.mastArgs, this.logDir, {
      xdsTls: old.xdsTlsAddress,
      adminUrl: old.adminUrl,
      debugToken: this.backend.debugToken,
      until: async (m) => {
        const ready = (await get(`${m.adminUrl}/readyz`, { timeoutMs: 1000 })).status === 200;
        if (ready) readyAt = Date.now();
        return ready;
      },
    });
    return readyAt;
  }

  /**
   * Stops everything even when an Envoy reports a NACK no test expected (envoy.ts), or Mast
   * counted one (pilot_total_xds_rejects_total: also a NACK about a route table or cluster that
   * was removed before any Envoy's counters were read), then fails with it.
   */
  async stop(): Promise<void> {
    const counted = await get(`${this.current.adminUrl}/metrics`, { timeoutMs: 3000 })
      .then((r) => r.text.split('\n').filter((l) => /^pilot_total_xds_rejects_total\{/.test(l) && !/ 0$/.test(l)))
      .catch(() => [] as string[]);
    const stopped = await Promise.allSettled([...this.workloads.map((w) => w.envoy.stop()), this.current.stop()]);
    if (counted.length > 0) stopped.push({ status: 'rejected', reason: new Error(`Mast counted NACKs nobody expected:\n  ${counted.join('\n  ')}`) });
    await Promise.all(this.workloads.map((w) => w.app && closeServer(w.app)));
    await this.backend.stop();
    const errors = stopped.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    if (errors.length > 0) throw new Error(errors.join('\n'));
  }
}

let tasksDir: string | undefined;

/** Where Istio's own bookinfo task YAML is: fetched unchanged by tools/istio-samples.sh. */
export function istioTasksDir(): string {
  tasksDir ??= execFileSync(path.join(__dirname, '..', '..', 'tools', 'istio-samples.sh'), { encoding: 'utf8' }).trim();
  return tasksDir;
}

/** One of Istio's task files, as Istio ships it. */
export function task(file: string): string {
  return readFileSync(path.join(istioTasksDir(), file), 'utf8');
}

/**
 * The pod's app (unless it is a gateway) and its Envoy, addressed by the loopback plan; the Envoy
 * reaches Mast over TLS and proves its Pod's identity with the backend's credentials.
 */
async function startWorkload(p: PodSpec, mast: Mast, backend: ConfigBackend, logDir: string, delta: boolean, hostsFile?: string): Promise<Workload> {
  const labels = p.metadata.labels ?? {};
  const namespace = p.metadata.namespace ?? 'default';
  const role = (GATEWAY_LABEL[1] as readonly string[]).includes(labels[GATEWAY_LABEL[0]] ?? '') ? 'router' : 'sidecar';
  const ip = p.status.podIP;
  const [localAddress, outboundAddress] = role === 'router' ? [ip, ip] : [planAddress(ip, 2), planAddress(ip, 3)];
  const container = p.spec.containers[0];
  const port = container?.ports?.[0]?.containerPort ?? 9080;
  // A Pod annotated `mast.e2e/app: none` runs an app its scenario starts (tcp-echo, an HTTPS server).
  const app = role === 'router' || p.metadata.annotations?.[OWN_APP_ANNOTATION] === 'none' ? undefined : await startEcho({
    ...parseEchoArgs(container?.args ?? []),
    address: localAddress,
    port,
    service: labels['app'] ?? p.metadata.name,
    version: labels['version'] ?? 'v1',
    pod: p.metadata.name,
    via: outboundAddress,
  });
  if (app) onCleanup(() => closeServer(app));
  const id = nodeId(role, ip, `${p.metadata.name}.${namespace}`, namespace);
  const auth = await backend.proxyAuth({ name: p.metadata.name, namespace, ip, serviceAccount: p.spec.serviceAccountName ?? 'default', role }, logDir);
  const bootstrap = buildBootstrap({
    nodeId: id,
    xdsAddress: mast.xdsTlsAddress,
    ...auth,
    delta,
    adminAddress: localAddress,
    adminPort: ENVOY_ADMIN_PORT,
    labels,
    serviceAccount: p.spec.serviceAccountName,
    interceptionMode: 'NONE',
    localAddress,
    outboundAddress,
  });
  if ('error' in bootstrap) throw new Error(`pod ${p.metadata.name}: ${String(bootstrap.error)}`);
  const envoy = Envoy.start({ name: p.metadata.name, bootstrap, dir: logDir, adminUrl: `http://${localAddress}:${ENVOY_ADMIN_PORT}`, ...(hostsFile ? { hostsFile } : {}) });
  return { pod: p.metadata.name, namespace, labels, role, nodeId: id, ip, localAddress, outboundAddress, port, envoy, app };
}

function closeServer(s: Server): Promise<void> {
  // Envoy keeps upstream connections open; close() alone would wait for them.
  s.closeAllConnections();
  return new Promise((resolve) => s.close(() => resolve()));
}

/**
 * The YAML files of `source`, with every 127.0.x.y address moved to `<prefix>.x.y`, and the Pods
 * they describe.
 */
function readConfig(source: string | string[], prefix: string): { files: { file: string; text: string }[]; pods: PodSpec[] } {
  const files: { file: string; text: string }[] = [];
  const pods: PodSpec[] = [];
  const found = [source].flat().flatMap((dir) => readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((file) => ({ dir, file })));
  for (const { dir, file } of found) {
    const text = readFileSync(path.join(dir, file), 'utf8').replace(/\b127\.0\.(\d+)\.(\d+)\b/g, `${prefix}.$1.$2`);
    files.push({ file, text });
    for (const doc of parseAllDocuments(text)) {
      const obj = doc.toJS() as { kind?: string } | null;
      if (obj?.kind === 'Pod') pods.push(obj as PodSpec);
    }
  }
  return { files, pods };
}
