// A fleet of real Envoys as the sidecars of distinct Pods, for bench/envoy-fleet.ts. Each Envoy is
// started by the e2e harness (e2e/harness/envoy.ts: `--disable-hot-restart --concurrency 1`, so no
// shared-memory base id is needed and none collides) from the same bootstrap `mast bootstrap`
// writes, and reaches Mast over TLS with a token Mast signed for its Pod, as the e2e mesh's do.
import type { ProxyAuth, ProxyPod } from '../../e2e/harness/backend';
import { Envoy } from '../../e2e/harness/envoy';
import type { Mast } from '../../e2e/harness/mast';
import { get } from '../../e2e/harness/net';
import { podYaml } from '../../e2e/harness/pod-yaml';
import { buildBootstrap } from '../../src/bootstrap/bootstrap';
import { nodeId } from '../../src/proxy/node';
import { NAMESPACE, PORT } from '../mesh-gen';

/**
 * The fleet's loopback block, 127.66.201-203.N: no e2e file uses third octets past 88 under any
 * second octet (mesh.ts moves 127.0.X.Y to 127.OCTET.X.Y), and no other bench binds addresses.
 * Block 201 is the Pod IP, 202 its "localhost" (the Envoy's admin and stats ports), 203 where its
 * outbound listeners bind (docs/conventions.md, the laptop plan without traffic capture).
 */
const BLOCK = '127.66';
const POD_BLOCK = 201;
const LOCAL_BLOCK = 202;
const OUTBOUND_BLOCK = 203;
/** One /24 per role: past 250 Pods the plan would need another octet. */
export const MAX_FLEET = 250;
const ADMIN_PORT = 15000;
const APP = 'fleet';

export interface FleetMember {
  pod: string;
  nodeId: string;
  ip: string;
  envoy: Envoy;
  /** The Envoy's process id, for its RSS. */
  pid: number;
}

const podName = (i: number): string => `${APP}-${String(i).padStart(3, '0')}`;
const address = (block: number, i: number): string => `${BLOCK}.${block}.${i + 1}`;

/**
 * The fleet's `n` Pods (one Deployment: same labels and namespace, distinct names and IPs), for the
 * mesh's config dir: Mast then finds each Envoy's Pod by its IP, as it does in a cluster.
 */
export function fleetPodsYaml(n: number): string {
  if (n > MAX_FLEET) throw new Error(`at most ${MAX_FLEET} Envoys fit the loopback plan, not ${n}`);
  return Array.from({ length: n }, (_, i) => podYaml(podName(i), address(POD_BLOCK, i), { app: APP, version: 'v1' }, PORT, NAMESPACE)).join('---\n');
}

/**
 * Starts Envoy `i` of the fleet against `mast`: ADS over TLS (`delta` for the incremental
 * variant), admin on its Pod's local address. `auth` gives the Pod's credentials (the harness's
 * file backend signs a token for it). Does not wait for it to be ready.
 */
export async function startMember(i: number, mast: Mast, auth: (pod: ProxyPod) => Promise<ProxyAuth>, logDir: string, delta: boolean): Promise<FleetMember> {
  const pod = podName(i);
  const ip = address(POD_BLOCK, i);
  const localAddress = address(LOCAL_BLOCK, i);
  const id = nodeId('sidecar', ip, `${pod}.${NAMESPACE}`, NAMESPACE);
  const bootstrap = buildBootstrap({
    nodeId: id,
    xdsAddress: mast.xdsTlsAddress,
    ...(await auth({ name: pod, namespace: NAMESPACE, ip, serviceAccount: 'default', role: 'sidecar' })),
    delta,
    adminAddress: localAddress,
    adminPort: ADMIN_PORT,
    labels: { app: APP, version: 'v1' },
    interceptionMode: 'NONE',
    localAddress,
    outboundAddress: address(OUTBOUND_BLOCK, i),
  });
  if ('error' in bootstrap) throw new Error(`pod ${pod}: ${String(bootstrap.error)}`);
  const envoy = Envoy.start({ name: pod, bootstrap, dir: logDir, adminUrl: `http://${localAddress}:${ADMIN_PORT}` });
  const pid = envoy.proc.child.pid;
  if (pid === undefined) throw new Error(`envoy ${pod} did not start (see ${envoy.proc.logFile})`);
  return { pod, nodeId: id, ip, envoy, pid };
}

/**
 * What an Envoy's own stats say about its xDS state (envoy/docs: cluster manager, listener manager
 * and xDS subscription statistics): `cds`/`lds` update_success, clusters and listeners still
 * warming, listeners that failed to bind, and every `*.update_rejected` that is not 0 (a NACK).
 */
export interface EnvoyXdsStats {
  cdsUpdates: number;
  ldsUpdates: number;
  warmingClusters: number;
  warmingListeners: number;
  activeClusters: number;
  activeListeners: number;
  listenerCreateFailures: number;
  rejected: Record<string, number>;
}

const STATS_FILTER = '^(cluster_manager\\.(cds\\.update_success|warming_clusters|active_clusters)|listener_manager\\.(lds\\.update_success|total_listeners_(warming|active)|listener_create_failure))$|\\.update_rejected$';

export async function xdsStats(envoy: Envoy): Promise<EnvoyXdsStats> {
  const r = await get(`${envoy.adminUrl}/stats?filter=${encodeURIComponent(STATS_FILTER)}`, { timeoutMs: 5000 });
  if (r.status !== 200) throw new Error(`envoy ${envoy.name} /stats: ${r.status}`);
  const stats = new Map<string, number>();
  for (const line of r.text.split('\n')) {
    const m = /^(\S+): (\d+)$/.exec(line.trim());
    if (m) stats.set(m[1]!, Number(m[2]));
  }
  const n = (name: string): number => stats.get(name) ?? 0;
  const rejected = Object.fromEntries([...stats].filter(([k, v]) => k.endsWith('.update_rejected') && v > 0));
  return {
    cdsUpdates: n('cluster_manager.cds.update_success'),
    ldsUpdates: n('listener_manager.lds.update_success'),
    warmingClusters: n('cluster_manager.warming_clusters'),
    warmingListeners: n('listener_manager.total_listeners_warming'),
    activeClusters: n('cluster_manager.active_clusters'),
    activeListeners: n('listener_manager.total_listeners_active'),
    listenerCreateFailures: n('listener_manager.listener_create_failure'),
    rejected,
  };
}

/** Why these stats are not those of a settled, NACK-free Envoy, or undefined when they are. */
export function unsettled(s: EnvoyXdsStats): string | undefined {
  if (Object.keys(s.rejected).length > 0) return `NACKed: ${Object.entries(s.rejected).map(([k, v]) => `${k} ${v}`).join(', ')}`;
  if (s.listenerCreateFailures > 0) return `${s.listenerCreateFailures} listeners failed to bind`;
  if (s.cdsUpdates === 0 || s.ldsUpdates === 0) return `no CDS/LDS accepted yet (cds ${s.cdsUpdates}, lds ${s.ldsUpdates})`;
  if (s.warmingClusters > 0 || s.warmingListeners > 0) return `${s.warmingClusters} clusters and ${s.warmingListeners} listeners warming`;
  return undefined;
}
