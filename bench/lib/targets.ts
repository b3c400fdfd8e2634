// The servers the benchmark loads, each a child process started the way its users start it:
// - `mast`: `mast serve` on the config dir (file mode);
// - `peer`: the go-control-plane peer on the resources Mast's translation makes from the same dir;
// - `mast-k8s`: `mast serve --kubeconfig` (Kubernetes mode) on the same mesh in a real
//   kube-apiserver (bench/lib/kube-mesh.ts);
// - `istiod`: pilot-discovery on that API server with its push settings at their defaults, and
//   `istiod-matched` with them set to Mast's (bench/lib/istiod.ts).
// The process helpers are the e2e harness's, so a failed or interrupted run leaves no process behind.
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, get } from '../../e2e/harness/net';
import { spawnLogged, stop, waitReady, type Proc } from '../../e2e/harness/processes';
import { makeGo } from './go-fleet';
import { startIstiod, type IstiodPush } from './istiod';
import { cpuSeconds } from './proc-stats';
import { kubeMesh, type KubeMesh, type ProxyPod } from './kube-mesh';
import { META, proxyFromNode } from '../../src/proxy/node';
import type { NodeInfo } from '../../test/support/ads-client';
import { snapshotFromYaml } from '../../src/model';
import { translate } from '../../src/translate';
import type { ProxyClass, ResourceSet } from '../../src/translate/types';
import { fileName, rewriteService, snapshotOfDir } from '../mesh-gen';

const ROOT = path.join(__dirname, '..', '..');
const PEER_DIR = path.join(ROOT, 'bench', 'peer');
export const PEER_BIN = path.join(PEER_DIR, 'bin', 'peer');
const READY_TIMEOUT_MS = 180_000;

export const TARGET_NAMES = ['mast', 'peer', 'mast-k8s', 'istiod', 'istiod-matched'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface Target {
  name: TargetName;
  proc: Proc;
  pid: number;
  xdsAddress: string;
  /** Where its /metrics (and Mast's /debug) answer: Mast's admin address, istiod's monitoringAddr. */
  adminUrl: string;
  /** Gives service `i` the endpoint addresses `ips`; returns the moment the change was handed over. */
  change(i: number, ips: string[]): number;
  stop(): Promise<void>;
}

async function addresses(): Promise<{ xds: string; admin: string }> {
  return { xds: `127.0.0.1:${await freePort()}`, admin: `127.0.0.1:${await freePort()}` };
}

async function started(name: TargetName, proc: Proc, xds: string, admin: string, change: Target['change'], stopGraceMs?: number): Promise<Target> {
  const adminUrl = `http://${admin}`;
  await waitReady(proc, async () => (await get(`${adminUrl}/readyz`, { timeoutMs: 1000 })).status === 200, READY_TIMEOUT_MS);
  const pid = proc.child.pid;
  if (pid === undefined) throw new Error(`${name} has no pid`);
  return { name, proc, pid, xdsAddress: xds, adminUrl, change, stop: () => stop(proc, stopGraceMs) };
}

/**
 * The Mast the bench runs. `BENCH_MAST_BUILD=dist`: the compiled build (dist/, from `npm run build`,
 * which `make bench` runs first), as the image and bin/mast.js run it; refused if any source file
 * is newer than its build. Otherwise src/ under tsx, which keeps every module's transformed source
 * and inline source map in the heap: about 75 MiB more RSS on the 1000-service mesh than the
 * compiled Mast (BENCHMARKS.md, "Memory per proxy"), so memory figures differ between the two.
 */
function mastEntry(): string[] {
  if (process.env['BENCH_MAST_BUILD'] !== 'dist') return ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')];
  const stale = staleBuild(path.join(ROOT, 'src'), path.join(ROOT, 'dist', 'src'));
  if (stale) throw new Error(`BENCH_MAST_BUILD=dist, but ${stale} is newer than its build in dist/: run npm run build`);
  return [path.join(ROOT, 'dist', 'src', 'cli', 'main.js')];
}

/** The first .ts under `src` whose .js under `dist` is missing or older; undefined if none. */
function staleBuild(src: string, dist: string): string | undefined {
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    if (entry.isDirectory()) {
      const stale = staleBuild(from, path.join(dist, entry.name));
      if (stale) return stale;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const built = path.join(dist, entry.name.replace(/\.ts$/, '.js'));
      let builtAt = 0;
      try {
        builtAt = statSync(built).mtimeMs;
      } catch {
        // not built
      }
      if (builtAt < statSync(from).mtimeMs) return path.relative(ROOT, from);
    }
  }
  return undefined;
}

/** `mast serve` with the flags that choose its source (`--config-dir DIR` or `--kubeconfig FILE`). */
async function startMastServe(name: TargetName, sourceArgs: string[], logDir: string, change: Target['change']): Promise<Target> {
  const { xds, admin } = await addresses();
  // BENCH_MAST_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env['BENCH_MAST_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const args = [...nodeArgs, ...mastEntry(), 'serve', ...sourceArgs, '--state-dir', path.join(logDir, 'state'), '--xds-address', xds, '--admin-address', admin, '--log-level', 'warn',
    // Plaintext and unauthenticated, as the peer it is compared with; TLS on a port of its own.
    '--insecure-xds', '--xds-tls-address', `127.0.0.1:${await freePort()}`,
    // BENCH_MAST_ARGS="--eds-debounce": more `mast serve` flags, to compare settings.
    ...(process.env['BENCH_MAST_ARGS'] ?? '').split(' ').filter(Boolean)];
  // The glibc setting Mast's image and manifests launch it with (README, "Memory"), unless the caller set one.
  const env = { MALLOC_MMAP_THRESHOLD_: '131072', ...process.env };
  const proc = spawnLogged(name, process.execPath, args, path.join(logDir, `${name}.log`), env);
  // A profile of a run with thousands of streams takes longer to write than the usual 2 s grace.
  return started(name, proc, xds, admin, change, nodeArgs.includes('--cpu-prof') ? 60_000 : undefined);
}

export function startMast(configDir: string, logDir: string): Promise<Target> {
  return startMastServe('mast', ['--config-dir', configDir], logDir, (i, ips) => {
    const at = performance.now();
    rewriteService(configDir, i, ips);
    return at;
  });
}

/**
 * A target that reads `mesh`'s API server: endpoint changes go to the API server, and stopping it
 * puts every service it changed back, so the next target on the same API server starts from the
 * generated mesh (a change to an address a service already has would never arrive).
 */
function onKube(target: Target, mesh: KubeMesh): Target {
  const changed = new Set<number>();
  // The API server's and etcd's CPU is not the target's; noted on stderr, for a reader to weigh.
  const { apiserver, etcd } = mesh.kube.procs();
  const kubeCpu = (): number => cpuSeconds(apiserver.child.pid!) + cpuSeconds(etcd.child.pid!);
  const kubeCpuAtStart = kubeCpu();
  return {
    ...target,
    change(i, ips) {
      changed.add(i);
      return mesh.change(i, ips);
    },
    async stop() {
      process.stderr.write(`  ${target.name}: kube-apiserver and etcd used ${(kubeCpu() - kubeCpuAtStart).toFixed(1)} CPU s while it ran (not counted as its CPU)\n`);
      await target.stop();
      await mesh.restore([...changed]);
    },
  };
}

/**
 * Mast's Kubernetes mode on the kube mesh, with the admin kubeconfig istiod gets too. Its Lease
 * and CA Secret go to mast-system; a fixed identity lets the next run take the Lease at once.
 */
export async function startMastK8s(mesh: KubeMesh, logDir: string): Promise<Target> {
  const target = await startMastServe('mast-k8s', ['--kubeconfig', mesh.kubeconfigPath, '--namespace', 'mast-system', '--identity', 'mast-bench'], logDir, (i, ips) => mesh.change(i, ips));
  return onKube(target, mesh);
}

/** istiod on the kube mesh (bench/lib/istiod.ts), ready once /ready on its httpAddr answers 200. */
export async function startIstiodTarget(name: 'istiod' | 'istiod-matched', push: IstiodPush, mesh: KubeMesh, logDir: string): Promise<Target> {
  const istiod = await startIstiod(mesh.kubeconfigPath, logDir, push);
  const pid = istiod.proc.child.pid;
  if (pid === undefined) throw new Error(`${name} has no pid`);
  const target: Target = { name, proc: istiod.proc, pid, xdsAddress: istiod.xdsAddress, adminUrl: istiod.monitoringUrl, change: (i, ips) => mesh.change(i, ips), stop: () => stop(istiod.proc) };
  return onKube(target, mesh);
}

export interface TargetContext {
  /** The file-mode mesh (bench/mesh-gen.ts) of this run. */
  configDir: string;
  /** Where the target's logs and state go. */
  logDir: string;
  /** The proxy class every sidecar of the run belongs to (the peer serves it one snapshot). */
  proxy: ProxyClass;
  services: number;
  scope: number;
  /** The run's sidecars: kube targets get a Pod for each, as a cluster has. */
  nodes: readonly NodeInfo[];
}

/** The Pod a sidecar's node id and metadata describe (Istio's NAME, NAMESPACE, LABELS, INSTANCE_IPS, SERVICE_ACCOUNT). */
function podOf(node: NodeInfo): ProxyPod {
  const proxy = proxyFromNode(node.id, (node.metadata ?? {}) as Parameters<typeof proxyFromNode>[1]);
  if ('error' in proxy) throw new Error(proxy.error);
  const name = node.metadata?.[META.name];
  if (typeof name !== 'string') throw new Error(`node ${node.id} has no ${META.name}`);
  return { name, namespace: proxy.namespace, ip: proxy.ips[0]!, labels: proxy.labels, serviceAccount: proxy.serviceAccount };
}

/** The kube mesh of the run's shape, with a Pod for each of its sidecars. */
async function kubeMeshFor(c: TargetContext): Promise<KubeMesh> {
  const mesh = await kubeMesh(c.services, c.scope);
  await mesh.ensureProxyPods(c.nodes.map(podOf));
  return mesh;
}

/** Starts target `name` on the run's mesh: the config dir, or the same mesh in the kube mesh's API server. */
export async function startTarget(name: TargetName, c: TargetContext): Promise<Target> {
  switch (name) {
    case 'mast':
      return startMast(c.configDir, c.logDir);
    case 'peer':
      return startPeer(c.configDir, c.logDir, c.proxy);
    case 'mast-k8s':
      return startMastK8s(await kubeMeshFor(c), c.logDir);
    case 'istiod':
      return startIstiodTarget(name, 'default', await kubeMeshFor(c), c.logDir);
    case 'istiod-matched':
      return startIstiodTarget(name, 'mast', await kubeMeshFor(c), c.logDir);
    default:
      throw new Error(`unknown target ${String(name)}: one of ${TARGET_NAMES.join(', ')}`);
  }
}

/** What Mast's translation makes of the config dir for one proxy class: the peer's input. */
export function translateMesh(configDir: string, proxy: ProxyClass): ResourceSet {
  const { snapshot } = snapshotOfDir(configDir);
  return translate(snapshot, proxy);
}

/**
 * `current` after service `i`'s file changed: its ClusterLoadAssignments (the service's and its
 * subsets') translated from that file alone, in place of the old ones. A CLA depends only on its
 * Service, EndpointSlice, Pods and DestinationRule, all in the service's file (mesh-gen.ts); the
 * result equals a translation of the whole dir (checked for services with and without subsets),
 * which takes seconds at 1000 services and would hold the load client's event loop for longer than
 * a churn's interval (bench/xds-load.ts).
 */
function withServiceEndpoints(current: ResourceSet, configDir: string, i: number, proxy: ProxyClass): ResourceSet {
  const { snapshot } = snapshotFromYaml(readFileSync(path.join(configDir, fileName(i)), 'utf8'), configDir);
  const fresh = new Map(translate(snapshot, proxy).endpoints.map((e) => [e.name, e]));
  return { ...current, endpoints: current.endpoints.map((e) => fresh.get(e.name) ?? e) };
}

export async function startPeer(configDir: string, logDir: string, proxy: ProxyClass): Promise<Target> {
  makeGo('peer');
  const file = path.join(logDir, 'peer-resources.json');
  const aside = `${file}.new`;
  let resources = translateMesh(configDir, proxy);
  writeFileSync(file, JSON.stringify(resources));
  const { xds, admin } = await addresses();
  const proc = spawnLogged('peer', PEER_BIN, ['-xds-address', xds, '-admin-address', admin, '-resources', file], path.join(logDir, 'peer.log'));
  return started('peer', proc, xds, admin, (i, ips) => {
    // The peer has no model: the change reaches it as a new set of resources, prepared before the
    // clock starts, then swapped in and announced with SIGHUP.
    rewriteService(configDir, i, ips);
    resources = withServiceEndpoints(resources, configDir, i, proxy);
    writeFileSync(aside, JSON.stringify(resources));
    const at = performance.now();
    renameSync(aside, file);
    proc.child.kill('SIGHUP');
    return at;
  });
}
